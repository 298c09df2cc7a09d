"""Territoire du programme (/triage/territoire): what the territory file holds and lacks, and
an address placed as screening places it, for coordinators and viewers alike."""

from __future__ import annotations

import html as entities
import logging
import re
from dataclasses import replace
from datetime import timedelta
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.rules.clock import today
from intake.rules.screening import decide
from intake.territory.addresses import postcode_in
from intake.territory.model import Commune, Street
from tests.support.app import login
from tests.support.builders import BAN_SHA256, BAN_URL, built_territory
from tests.support.pages import errors_of

PAGE = "/triage/territoire"


def text_of(html: str) -> str:
    """The page's text, tags removed and spaces collapsed, as a reader reads it."""
    return re.sub(r"\s+", " ", entities.unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def section(html: str, title_id: str) -> str:
    """The text of a part of the page, from its <h2> (whose id this is) to the next one."""
    start = html.index(f'<h2 id="{title_id}"')
    ends = [found for mark in ("<h2 ", "</main>") if (found := html.find(mark, start + 1)) >= 0]
    return text_of(html[start : min(ends)])


def warnings_of(html: str) -> str:
    """The text of the warning block at the top, '' when there is none."""
    return section(html, "gaps-title") if 'aria-labelledby="gaps-title"' in html else ""


def school_groups(html: str) -> dict[str, list[str]]:
    """Each network's heading (with its count) and the UAIs listed under it, in order."""
    groups = {}
    for block in html.split('<section aria-labelledby="network-')[1:]:
        heading = text_of(re.search(r"<h3[^>]*>(.*?)</h3>", block, re.S).group(1))
        groups[heading] = re.findall(r"<td>(\d{7}[A-Z])</td>", block.split("</section>")[0])
    return groups


def placed(html: str) -> str | None:
    """The residence code the result shows, None when the page shows no result."""
    found = re.search(r'class="placement" data-residence="(\w+)"', html)
    return found.group(1) if found else None


def result_of(html: str) -> str:
    """The result's text."""
    start = html.index('class="placement"')
    return text_of(html[start : html.index("</section>", start)])


def ask(client, address: str) -> str:
    response = client.get(f"{PAGE}?adresse={quote(address)}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- Who sees it ---------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    for path in (PAGE, f"{PAGE}?adresse=3+rue+des+Tilleuls%2C+62999"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/connexion")


@pytest.mark.parametrize("role", ["coordinator", "viewer"])
def test_staff_read_the_communes_qpvs_and_schools(client, users, role):
    assert login(client, users[role]).status_code == 303
    html = client.get(PAGE).get_data(as_text=True)
    assert "<h1>Territoire du programme</h1>" in html
    programme = section(html, "programme-title")
    assert "Programme de Réussite Éducative de Testville" in programme
    assert "CCAS de Testville" in programme
    assert "de 2 à 16 ans" in programme
    assert "réside en QPV ou est scolarisé en REP/REP+" in programme
    communes = section(html, "communes-title")
    assert "Testville 62901 62999" in communes
    assert "Autreville 62902 62998" in communes
    qpvs = section(html, "qpv-title")
    assert "Les Tilleuls (QN06299X)" in qpvs
    assert (
        "4 rues : 1 en entier, 2 limitées à une plage de numéros, 1 limitée à un seul côté."
    ) in qpvs
    # Every entry in words, inside a <details> that keeps the page short.
    details = html[html.index("<details>") : html.index("</details>")]
    entries = [text_of(item) for item in re.findall(r"<li>(.*?)</li>", details)]
    assert entries == [
        "rue des Tilleuls (en entier)",
        "avenue Jean-Jaurès (nos 1 à 59, côté impair)",
        "boulevard de l'Égalité (côté pair)",
        "rue Saint-Exupéry (nos 10 à 20)",
    ]
    assert school_groups(html) == {
        "REP+ (1)": ["0629001A"],
        "REP (1)": ["0629002B"],
        "Hors éducation prioritaire (2)": ["0629003C", "0629004D"],
    }
    assert "École d'Autreville 0629004D Autreville" in section(html, "schools-title")


def test_every_kind_of_street_entry_is_said_in_words(app, coordinator):
    territory = app.extensions["territory"]
    streets = (
        Street("rue Haute", from_=10),
        Street("rue Basse", to=20, side="even"),
        Street("rue Neuve", 1, 59, "odd"),
    )
    app.extensions["territory"] = replace(
        territory, qpvs=(replace(territory.qpvs[0], streets=streets),)
    )
    html = coordinator.get(PAGE).get_data(as_text=True)
    details = html[html.index("<details>") : html.index("</details>")]
    assert [text_of(item) for item in re.findall(r"<li>(.*?)</li>", details)] == [
        "rue Haute (à partir du no 10)",
        "rue Basse (jusqu’au no 20, côté pair)",
        "rue Neuve (nos 1 à 59, côté impair)",
    ]
    # A range with a side counts as a range; the kinds the QPV has not are not said.
    assert "3 rues : 3 limitées à une plage de numéros." in section(html, "qpv-title")


def test_the_and_rule_is_said_in_words(app, coordinator):
    territory = app.extensions["territory"]
    programme = replace(territory.programme, rule="qpv_and_priority_school")
    app.extensions["territory"] = replace(territory, programme=programme)
    html = coordinator.get(PAGE).get_data(as_text=True)
    assert "réside en QPV et est scolarisé en REP/REP+" in section(html, "programme-title")


def test_the_staff_navigation_links_the_page(coordinator):
    link = re.compile(r'<a href="/triage/territoire"( aria-current="page")?>Territoire</a>')
    queue = link.search(coordinator.get("/triage/").get_data(as_text=True))
    assert queue is not None and queue.group(1) is None
    here = link.search(coordinator.get(PAGE).get_data(as_text=True))
    assert here is not None and here.group(1) == ' aria-current="page"'


# --- What the file lacks ---------------------------------------------------------------------


def test_a_territory_without_sources_says_nothing_dates_it(coordinator):
    html = coordinator.get(PAGE).get_data(as_text=True)
    warnings = warnings_of(html)
    assert "ni de quand ils datent" in warnings
    # What to do, for this territory's communes.
    assert "flask --app wsgi territory build --commune 62901 --commune 62902 --write" in warnings
    assert "plus d’un an" not in warnings
    assert "saisis à la main ou importés : le fichier n’en garde ni la date ni la source" in (
        section(html, "sources-title")
    )


@pytest.mark.parametrize(("days", "stale"), [(400, True), (1, False)])
def test_a_territory_built_over_a_year_ago_is_flagged(app, coordinator, tmp_path, days, stale):
    built_on = today() - timedelta(days=days)
    app.extensions["territory"] = built_territory(tmp_path, built_on)
    html = coordinator.get(PAGE).get_data(as_text=True)
    warnings = warnings_of(html)
    assert ("il y a plus d’un an (400 jours)" in warnings) is stale
    assert ("territory build --commune 62901 --commune 62902 --write" in warnings) is stale
    assert "ni de quand ils datent" not in warnings
    sources = section(html, "sources-title")
    assert f"Construit le {built_on:%d/%m/%Y} (il y a {days} jour" in sources
    assert (
        "Base Adresse Nationale Fichier adresses-62.csv.gz "
        f"Date {built_on - timedelta(days=3):%d/%m/%Y} SHA-256 0123456789ab… "
        f"Provenance {BAN_URL}"
    ) in sources
    assert (
        "Annuaire de l’éducation (Éducation nationale) Fichier fr-en-annuaire-education.csv "
        f"Date {built_on:%d/%m/%Y} SHA-256 ffffffffffff… Provenance fichier fourni à la main"
    ) in sources
    assert BAN_SHA256 not in html  # the first 12 digits are enough to tell files apart


def test_a_qpv_without_streets_and_a_commune_without_school_are_flagged(app, coordinator):
    territory = app.extensions["territory"]
    qpv = replace(territory.qpvs[0], streets=())
    app.extensions["territory"] = replace(
        territory,
        qpvs=(qpv,),
        communes=(*territory.communes, Commune("Troisville", ("62997",), "62903")),
    )
    html = coordinator.get(PAGE).get_data(as_text=True)
    warnings = warnings_of(html)
    assert "Le quartier prioritaire Les Tilleuls (QN06299X) ne liste aucune rue" in warnings
    assert "les adresses de ce quartier seront « à vérifier »" in warnings
    assert "Aucun établissement de Troisville dans le fichier" in warnings
    assert "Aucun établissement de Testville" not in warnings
    assert "--commune 62901 --commune 62902 --commune 62903 --write" in warnings
    assert "Aucune rue renseignée." in section(html, "qpv-title")
    # Placing an address of the commune names the QPV that lists no street.
    result = result_of(ask(coordinator, "3 rue des Tilleuls, 62999"))
    assert "Les Tilleuls (QN06299X), qui ne liste encore aucune rue" in result


def test_a_territory_without_schools_is_flagged_once(app, coordinator):
    app.extensions["territory"] = replace(app.extensions["territory"], schools=())
    warnings = warnings_of(coordinator.get(PAGE).get_data(as_text=True))
    assert "Aucun établissement dans le fichier" in warnings
    # Not once more for each commune.
    assert "Aucun établissement de" not in warnings


def test_a_complete_recent_territory_shows_no_warning(app, coordinator, tmp_path):
    app.extensions["territory"] = built_territory(tmp_path, today())
    html = coordinator.get(PAGE).get_data(as_text=True)
    assert warnings_of(html) == ""
    assert f"Construit aujourd’hui, le {today():%d/%m/%Y}, à partir de" in section(
        html, "sources-title"
    )


# --- « Où se trouve cette adresse ? » --------------------------------------------------------


def test_the_form_is_a_labelled_get_form_without_a_result_at_first(coordinator):
    html = coordinator.get(PAGE).get_data(as_text=True)
    form = html[html.index('<form method="get"') : html.index("</form>", html.index('"get"'))]
    assert 'action="/triage/territoire#ou-se-trouve"' in form
    assert '<label for="adresse">Adresse</label>' in form
    assert "par exemple «\u00a012 rue Neuve, 62190\u00a0»" in form
    assert 'name="adresse"' in form and 'maxlength="300"' in form
    assert placed(html) is None
    # An empty address: the form again, no result and no error.
    empty = coordinator.get(f"{PAGE}?adresse=++").get_data(as_text=True)
    assert placed(empty) is None and errors_of(empty) == {}


@pytest.mark.parametrize(
    ("address", "residence", "shown"),
    [
        pytest.param(
            "14 bis rue des Tilleuls, 62999",
            "qpv",
            [
                "Domicile En quartier prioritaire (QPV)",
                "Numéro : 14 bis",
                "« rue des tilleuls »",
                "Code postal 62999",
                "Domicile : adresse dans le quartier prioritaire Les Tilleuls (QN06299X).",
                "Entrée du fichier qui a décidé Les Tilleuls (QN06299X) : "
                "rue des Tilleuls (en entier)",
            ],
            id="whole-street-of-a-qpv",
        ),
        pytest.param(
            "16 av. Jean-Jaurès, 62999",
            "outside_qpv",
            [
                "Domicile Hors QPV",
                "Entrée du fichier qui a décidé aucune entrée du fichier",
                # Why: the street is in the file, for other numbers.
                "Cette rue est dans le fichier pour d’autres numéros seulement : "
                "Les Tilleuls (QN06299X) : avenue Jean-Jaurès (nos 1 à 59, côté impair)",
            ],
            id="number-outside-the-range",
        ),
        pytest.param(
            "14 rue des Tilleuls, 75011 Paris",
            "outside_territory",
            [
                "Domicile Hors du territoire",
                "Domicile : code postal 75011 hors du territoire du programme.",
                "Entrée du fichier qui a décidé aucune entrée du fichier",
            ],
            id="unknown-postcode",
        ),
    ],
)
def test_an_address_is_placed_with_the_entry_that_decided(coordinator, address, residence, shown):
    html = ask(coordinator, address)
    assert placed(html) == residence
    result = result_of(html)
    for text in shown:
        assert text in result
    assert ("d’autres numéros seulement" in result) is (residence == "outside_qpv")


def test_an_address_without_a_street(coordinator):
    result = result_of(ask(coordinator, "62999"))
    assert "Adresse lue aucune rue reconnue" in result
    assert "Domicile : adresse impossible à situer, à vérifier." in result


@pytest.mark.parametrize(
    "address",
    [
        "14 bis rue des Tilleuls, 62999",
        "3 r. des tilleuls 62999 Testville",
        "avenue Jean Jaures, 62999 Testville",
        "15 avenue Jean-Jaurès, 62999",
        "61 avenue Jean-Jaurès, 62999",
        "12 bd de l'Égalité, 62999",
        "13 boulevard de l'Egalite, 62999",
        "12 rue St Exupéry, 62999",
        "22 rue Saint-Exupéry, 62999",
        "14 rue des Tilleuls, 62998 Autreville",
        "14 rue des Tilleuls, 75011 Paris",
        "14 rue des Tilleuls",
        "Résidence Les Pins, bâtiment B, 62999",
    ],
)
def test_the_page_places_an_address_as_screening_does(app, coordinator, address):
    """The residence and the reason shown are `decide`'s, for the same text and postcode."""
    decision = decide(address, postcode_in(address), app.extensions["territory"])
    html = ask(coordinator, address)
    assert placed(html) == decision.residence.value
    assert decision.reason.text in result_of(html)


def test_an_address_too_long_is_refused_by_its_field(coordinator):
    response = coordinator.get(f"{PAGE}?adresse={'9' * 2000}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert errors_of(html) == {"adresse": "L’adresse doit tenir en 300 caractères au plus."}
    assert 'aria-invalid="true"' in html
    assert placed(html) is None
    assert "<title>Erreur – Territoire du programme" in html


def test_control_characters_are_dropped_or_refused_not_a_500(coordinator):
    # Control characters are dropped as in every field; what is left is placed.
    assert placed(ask(coordinator, "3 rue des\x07 Tilleuls,\x1b 62999")) == "qpv"
    only_controls = ask(coordinator, "\x01\x02\x1b\x7f")
    assert placed(only_controls) is None and errors_of(only_controls) == {}
    # Bytes that are not UTF-8 stay the text "%FF" (Werkzeug): read, placed, no error.
    assert placed(ask(coordinator, "3%FF rue des Tilleuls")) == "unknown"
    # What a client makes of bytes it could not read: the field says so.
    unreadable = ask(coordinator, "3 rue des Tilleuls\ufffd, 62999")
    assert "caractères illisibles" in errors_of(unreadable)["adresse"]
    assert placed(unreadable) is None


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(max_size=400))
def test_any_text_answers_without_a_server_error(coordinator, text):
    response = coordinator.get(PAGE, query_string={"adresse": text})
    # A NUL is refused (400) before any view, as everywhere; everything else is a page.
    assert response.status_code == (400 if "\x00" in text else 200)


def test_the_address_reaches_no_log_and_no_cache(coordinator, caplog):
    address = "14 bis rue des Tilleuls, 62999 Testville"
    with caplog.at_level(logging.DEBUG):
        response = coordinator.get(f"{PAGE}?adresse={quote(address)}")
        refused = coordinator.get(f"{PAGE}?adresse={quote(address * 20)}")
    assert placed(response.get_data(as_text=True)) == "qpv"
    assert refused.status_code == 200
    logged = caplog.text + "".join(str(record.args) for record in caplog.records)
    for piece in ("Tilleuls", "Testville", "adresse", quote(address)):
        assert piece not in logged
    for answer in (response, refused):
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.headers["Referrer-Policy"] == "no-referrer"
