"""The statistics page's rendering (GET /triage/statistiques): the figures it is given, for
coordinators and viewers, the period its query string names, a clear error for a period that
cannot be counted, and nothing inline that the CSP would refuse. The figures come from a
hand-made Figures (tests/statistics/sample.py); the seeded end-to-end test checks real ones."""

from __future__ import annotations

import re
from datetime import date

import pytest

from intake.rules.statistics import Period, calendar_year, month_range, school_year
from intake.statistics import views
from intake.statistics.shapes import Figures
from tests.statistics.sample import LONG_SCHOOL, sample_figures
from tests.support.app import login
from tests.support.builders import make_orientation

TODAY = date(2026, 12, 7)  # in the school year 2026-2027
PAGE = "/triage/statistiques"
NARROW_NBSP = "\u202f"  # French thousands' separator, as Babel writes it


@pytest.fixture
def asked(monkeypatch) -> list[Period]:
    """The periods the page computes, its day fixed; the figures are the sample's."""
    periods: list[Period] = []

    def compute(period: Period, today: date) -> Figures:
        periods.append(period)
        return sample_figures(period, today)

    monkeypatch.setattr(views, "compute", compute)
    monkeypatch.setattr(views, "today", lambda: TODAY)
    return periods


def text_of(html: str) -> str:
    """The page's text, tags out and spaces as one (thousands' separators included)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.replace(NARROW_NBSP, " ")))


def test_a_coordinator_reads_the_figures_as_charts_and_tables(coordinator, asked):
    response = coordinator.get(PAGE)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = text_of(html)
    assert asked == [school_year(2026)]
    assert "Année scolaire 2026-2027 (du 01/09/2026 au 31/08/2027)" in text
    # Key figures, with their definitions.
    for code, value in (("referrals_received", 1234), ("exits", 17), ("eps_meetings", 9)):
        assert re.search(
            rf'data-figure="{code}">\s*<span class="key-figure__value" data-value="{value}">', html
        ), code
    assert "1 234 orientations reçues" in text
    assert "en parcours au 07/12/2026" in text  # as_of: the period runs
    assert "Parcours terminés pendant la période." in text
    # Every breakdown given: its title, an SVG chart named by it, its table, in order.
    for key, title in (
        ("source", "Par origine"),
        ("school", "Par établissement"),
        ("outcome", "Par décision"),
        ("exit_reason", "Sorties par motif"),
        ("duration", "Durées des parcours"),
        ("sex", "Par sexe"),
    ):
        assert f'data-breakdown="{key}"' in html, key
        assert f'<title id="chart-{key}-title">{title}</title>' in html, key
        assert f'aria-labelledby="chart-{key}-title chart-{key}-desc"' in html, key
    assert html.index('data-breakdown="source"') < html.index('data-breakdown="sex"')
    assert (
        '<tr data-code="professional"><th scope="row">Orientation par un professionnel</th>' in html
    )
    assert '<td class="number" data-value="1100">1 100</td>' in html.replace(NARROW_NBSP, " ")
    # A long label is shortened in the chart, whole in the table and the bar's own title.
    assert f'<th scope="row">{LONG_SCHOOL}</th>' in html
    assert f"<tspan>{LONG_SCHOOL}</tspan>" not in html
    assert LONG_SCHOOL[:50] in html and "…</text>" in html
    # An all-zero breakdown says so instead of drawing an empty chart.
    qpv = html[html.index('data-breakdown="qpv"') :]
    qpv = qpv[: qpv.index("</section>")]
    assert "Aucune donnée pour cette période" in qpv and "<svg" not in qpv
    # The months: a column chart of two series with a legend, and their table.
    assert '<title id="chart-months-title">' in html
    assert html.count('class="chart__series-1"') == 12 + 1  # a column a month, and the legend
    assert "septembre 2026" in text and "août 2027" in text
    # Delays and durations, halves kept, a missing median said in words.
    assert "3,5 jours" in text and "21 jours" in text
    assert "183,5 jours" in text and "201,2 jours" in text
    assert "aucune donnée" in text
    # The page's footer on paper says what it is, for when, printed when.
    assert re.search(
        r'<p class="print-footer" hidden>Statistiques du programme, année scolaire 2026-2027 '
        r"– des comptes, sans aucun nom – imprimées le 07/12/2026</p>",
        html,
    )
    # The staff menu names the page as the current one.
    assert 'href="/triage/statistiques" aria-current="page">Statistiques</a>' in html


def test_a_viewer_reads_the_same_counts(viewer, asked):
    response = viewer.get(PAGE + "?annee=2025")
    assert response.status_code == 200
    text = text_of(response.get_data(as_text=True))
    assert asked == [school_year(2025)]
    assert "1 234 orientations reçues" in text and "Par sexe" in text
    assert "Période en cours" not in text  # 2025-2026 is over: figures as of its last day
    assert "en parcours au 31/08/2026" in text


@pytest.mark.parametrize(
    ("query", "period", "shown"),
    [
        ("", school_year(2026), "Année scolaire 2026-2027"),
        ("?annee=2024", school_year(2024), "Année scolaire 2024-2025"),
        ("?annee=2025&calendrier=1", calendar_year(2025), "Année civile 2025"),
        ("?calendrier=1", calendar_year(2026), "Année civile 2026"),
        ("?calendrier=0&annee=2026", school_year(2026), "Année scolaire 2026-2027"),
        (
            "?du=2026-01&au=2026-06",
            month_range(date(2026, 1, 1), date(2026, 6, 1)),
            "Du 01/01/2026 au 30/06/2026",
        ),
        # The months win over a year sent with them (the page's two forms are apart).
        (
            "?annee=2020&du=2025-11&au=2025-11",
            month_range(date(2025, 11, 1), date(2025, 11, 1)),
            "Du 01/11/2025 au 30/11/2025",
        ),
        ("?page=3&tri=x", school_year(2026), "Année scolaire 2026-2027"),
    ],
    ids=[
        "default",
        "school-year",
        "calendar-year",
        "calendar-now",
        "calendrier-0",
        "months",
        "months-over-year",
        "unknown-args",
    ],
)
def test_the_query_string_names_the_period(coordinator, asked, query, period, shown):
    response = coordinator.get(PAGE + query)
    assert response.status_code == 200
    assert asked == [period]
    html = response.get_data(as_text=True)
    assert shown in text_of(html)
    assert "error-summary" not in html


def test_the_forms_show_the_period_asked(coordinator, asked):
    html = coordinator.get(PAGE + "?annee=2024&calendrier=1").get_data(as_text=True)
    assert '<option value="2024" selected>2024</option>' in html
    assert '<option value="1" selected>' in html
    html = coordinator.get(PAGE + "?du=2026-01&au=2026-06").get_data(as_text=True)
    assert re.search(r'<input id="du"[^>]*type="month"[^>]*value="2026-01"', html)
    assert re.search(r'<input id="au"[^>]*type="month"[^>]*value="2026-06"', html)
    # Months that cannot be counted stay as typed, to be corrected.
    html = coordinator.get(PAGE + "?du=2026-06&au=2026-01").get_data(as_text=True)
    assert re.search(r'<input id="du"[^>]*value="2026-06"', html)
    assert re.search(r'<input id="au"[^>]*value="2026-01"', html)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("?annee=abc", "annee", "Année : écrivez-la en quatre chiffres"),
        ("?annee=%C2%B2%C2%B2%C2%B2%C2%B2", "annee", "Année : écrivez-la en quatre chiffres"),
        ("?annee=99999999999999999999", "annee", "Année : écrivez-la en quatre chiffres"),
        ("?annee=1800", "annee", "L’année doit être comprise entre 2005 et 2100."),
        (
            "?du=2026-13&au=2026-12",
            "du",
            "Mois de début : écrivez-le sous la forme AAAA-MM, par exemple 2025-09.",
        ),
        (
            "?du=2026-1&au=2026-12",
            "du",
            "Mois de début : écrivez-le sous la forme AAAA-MM, par exemple 2025-09.",
        ),
        (
            "?du=0000-01&au=0000-02",
            "du",
            "Mois de début : l’année doit être comprise entre 2005 et 2100.",
        ),
        (
            "?du=9999-12&au=9999-12",
            "au",
            "Mois de fin : l’année doit être comprise entre 2005 et 2100.",
        ),
        ("?du=2026-06&au=2026-01", "au", "Le mois de fin précède le mois de début."),
        (
            "?du=2026-01",
            "au",
            "Mois de fin : écrivez-le sous la forme AAAA-MM, par exemple 2025-09.",
        ),
        (
            "?au=2026-01",
            "du",
            "Mois de début : écrivez-le sous la forme AAAA-MM, par exemple 2025-09.",
        ),
        ("?du=2020-01&au=2026-01", "au", "Une période couvre au plus 36 mois."),
        (
            "?du=%E2%80%AE2026-01&au=x",
            "du",
            "Mois de début : écrivez-le sous la forme AAAA-MM, par exemple 2025-09.",
        ),
    ],
    ids=[
        "letters",
        "superscripts",
        "huge",
        "too-early",
        "month-13",
        "one-digit-month",
        "year-0",
        "year-9999",
        "backwards",
        "no-end",
        "no-start",
        "too-long",
        "garbage",
    ],
)
def test_a_period_that_cannot_be_counted_says_why_over_the_default(
    coordinator, asked, query, field, message
):
    response = coordinator.get(PAGE + query)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = text_of(html)
    # The summary links to the field at fault, which carries the message and is marked.
    assert f'<a href="#{field}">' in html
    assert f'<p class="error-message" id="{field}-error">' in html
    assert message in text
    assert re.search(
        rf'<(select|input) id="{field}" name="{field}" '
        rf'aria-describedby="[^"]*{field}-error" aria-invalid="true"',
        html,
    )
    # The figures shown are the default period's, and the page says so.
    assert asked == [school_year(2026)]
    assert (
        "Les chiffres affichés sont ceux de la période par défaut, l’année scolaire 2026-2027."
        in text
    )
    assert "1 234 orientations reçues" in text


def test_nothing_inline_that_the_csp_refuses(coordinator, asked):
    response = coordinator.get(PAGE + "?annee=abc")
    html = response.get_data(as_text=True)
    assert " style=" not in html and "<style" not in html
    assert all(" src=" in tag for tag in re.findall(r"<script[^>]*>", html))
    assert re.search(r"\son[a-z]+=", html) is None  # no event handler attribute
    assert "style-src 'self'" in response.headers["Content-Security-Policy"]


def test_empty_figures_say_there_is_no_data(coordinator, monkeypatch):
    """Figures of a period with nothing in it (a fresh install): every section says so."""
    monkeypatch.setattr(views, "compute", lambda period, today: Figures(period, period.end))
    html = coordinator.get(PAGE + "?annee=2010").get_data(as_text=True)
    text = text_of(html)
    assert "<svg" not in html
    assert text.count("Aucune donnée pour cette période") == 2  # the months and the delays
    assert "0 orientations reçues" in text


def test_the_anct_workbook_is_linked_for_coordinators(app, users, asked):
    coordinator, viewer = app.test_client(), app.test_client()
    assert login(coordinator, users["coordinator"]).status_code == 303
    assert login(viewer, users["viewer"]).status_code == 303
    link = "Classeur ANCT (.xlsx)"
    html = coordinator.get(PAGE + "?annee=2025&calendrier=1").get_data(as_text=True)
    url = "/triage/statistiques/anct.xlsx?annee=2025&amp;calendrier=1"
    assert f'<a href="{url}">{link}</a>' in html
    html = coordinator.get(PAGE + "?annee=2024").get_data(as_text=True)
    assert f'<a href="/triage/statistiques/anct.xlsx?annee=2024">{link}</a>' in html
    # The workbook counts years: none for a range of months; and viewers do not export.
    assert link not in coordinator.get(PAGE + "?du=2026-01&au=2026-03").get_data(as_text=True)
    assert link not in viewer.get(PAGE + "?annee=2024").get_data(as_text=True)


def test_the_real_figures_render_without_a_name_or_a_free_text(app, viewer):
    """The aggregation itself, not a hand-made Figures: a referral of this school year is
    counted on the page, which shows neither its family's names nor its situation."""
    reference = make_orientation(app, situation="Situation confiée, mots de l’enseignante")
    html = viewer.get(PAGE).get_data(as_text=True)
    assert re.search(
        r'data-figure="referrals_received">\s*<span class="key-figure__value" data-value="1">',
        html,
    )
    assert '<svg class="chart chart--columns"' in html
    for private in (reference, "Situation confiée", "Léa", "Martin"):
        assert private not in html, private


def test_visitors_are_sent_to_log_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")
