"""One query, three views: a year made through the public forms and the staff's pages, counted
by the ANCT workbook (downloaded and read back with openpyxl), by `flask stats anct`, and
by the statistics page, every figure against what the story says by hand (seeded.py).
The same again after retention has anonymised the referrals that ended: the figures are
made of what it keeps."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import time_machine
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import Referral
from tests.statistics.seeded import (
    EXPECTED,
    EXPECTED_DELAYS,
    EXPECTED_LINES,
    EXPECTED_MONTHS,
    EXPECTED_REVIEWED,
    YEAR,
    at,
    seed_year,
)
from tests.support.app import login


def read_workbook(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


def donnees(workbook: openpyxl.Workbook) -> dict:
    rows = list(workbook["donnees"].iter_rows(values_only=True))
    assert rows[0] == ("indicator", "value")
    return dict(rows[1:])


def detail(workbook: openpyxl.Workbook) -> dict[str, dict[str, int]]:
    """The detail sheet's lines by code, under each breakdown's title."""
    sections: dict[str, dict[str, int]] = {}
    current: dict[str, int] | None = None
    for label, value, *rest in workbook["Détail"].iter_rows(min_row=2, values_only=True):
        code = rest[0] if rest else None
        if label and value is None and not code:
            current = sections.setdefault(label, {})
        elif current is not None and code:
            current[code] = value
    return sections


def survey_codes(workbook: openpyxl.Workbook) -> dict:
    """The people's sheet: each figure's value by its code, beside its definition."""
    found = {}
    for definition, value, code in workbook["Enquête"].iter_rows(min_row=2, values_only=True):
        if code:
            assert definition, code  # every figure says what it counts
            found[code] = value
    return found


def check_workbook(workbook: openpyxl.Workbook) -> None:
    figures = donnees(workbook)
    assert figures == EXPECTED
    assert survey_codes(workbook) == EXPECTED
    sections = detail(workbook)
    by_code = {}
    for lines in sections.values():
        by_code.update({code: value for code, value in lines.items()})
    for key, lines in EXPECTED_LINES.items():
        for code, value in lines.items():
            matching = [s for s in sections.values() if code in s and s[code] == value]
            assert matching, (key, code, value)


def test_the_year_on_the_workbook_the_command_and_the_page(app, client, users, runner, tmp_path):
    refs = seed_year(app, client, users)

    with time_machine.travel(at(2026, 12, 7), tick=False):
        assert login(client, users["coordinator"]).status_code == 303
        answer = client.get(f"/triage/statistiques/anct.xlsx?annee={YEAR}")
        assert answer.status_code == 200
        assert answer.headers["Content-Disposition"].endswith("anct-2025-2026.xlsx")
        before = read_workbook(answer.data)
        check_workbook(before)

    # Two years on, retention anonymises every referral that ended: all but Awa's (still in
    # parcours) and the two left new.
    with time_machine.travel(at(2028, 11, 1), tick=False):
        result = runner.invoke(args=["retention", "purge"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            anonymised = db.session.scalars(
                select(Referral.reference).where(Referral.anonymised_at.is_not(None))
            ).all()
            assert sorted(anonymised) == sorted([refs["R1"], refs["R2"], refs["R7"], refs["R4"]])
            assert db.session.scalar(select(func.count()).select_from(Referral)) == 7

        assert login(client, users["coordinator"]).status_code == 303
        answer = client.get(f"/triage/statistiques/anct.xlsx?annee={YEAR}")
        assert answer.status_code == 200
        after = read_workbook(answer.data)
        check_workbook(after)

        # The command writes the same workbook.
        out = tmp_path / "anct.xlsx"
        result = runner.invoke(args=["stats", "anct", "--year", str(YEAR), "--out", str(out)])
        assert result.exit_code == 0, result.output
        check_workbook(read_workbook(out.read_bytes()))
        # Masked for a file shared outside: 1 to 4 read "<5", 0 and 5 stay.
        masked = tmp_path / "masked.xlsx"
        result = runner.invoke(
            args=["stats", "anct", "--year", str(YEAR), "--mask-small", "--out", str(masked)]
        )
        assert result.exit_code == 0, result.output
        shared = donnees(read_workbook(masked.read_bytes()))
        assert shared == {
            code: "<5" if isinstance(value, int) and 0 < value < 5 else value
            for code, value in EXPECTED.items()
        }
        assert shared["referrals_received"] == 5 and shared["level_college"] == 0

        # The calendar year 2026: R3, R4, R5 and R6 (1 September in Paris).
        answer = client.get("/triage/statistiques/anct.xlsx?annee=2026&calendrier=1")
        assert donnees(read_workbook(answer.data))["referrals_received"] == 4

        check_page(client)


def check_page(client) -> None:
    """The statistics page shows the same figures (see test_page's reader)."""
    from tests.statistics.page_reader import read_page

    page = read_page(client.get(f"/triage/statistiques?annee={YEAR}"))
    assert page.key_figures == {
        "referrals_received": EXPECTED["referrals_received"],
        "children_referred": EXPECTED["children_referred"],
        "supported": EXPECTED["children_supported"],
        "entries": EXPECTED["entries"],
        "exits": EXPECTED["exits"],
        "active": EXPECTED["active_on_last_day"],
        "eps_meetings": EXPECTED["eps_meetings"],
        "children_reviewed": EXPECTED_REVIEWED,
    }
    for key, lines in EXPECTED_LINES.items():
        for code, value in lines.items():
            assert page.lines[key].get(code, 0) == value, (key, code)
    assert page.months == EXPECTED_MONTHS
    assert page.delays == EXPECTED_DELAYS


def test_a_period_that_cannot_be_read_is_no_file(app, coordinator):
    for query in ("annee=abc", "annee=1800", "du=2026-13&au=2026-01", "du=2026-05&au=2026-01"):
        answer = coordinator.get(f"/triage/statistiques/anct.xlsx?{query}")
        assert answer.status_code == 400, query
        assert "xlsx" not in answer.content_type
        text = answer.get_data(as_text=True).lower()
        assert any(word in text for word in ("année", "mois")), query


def test_viewers_do_not_get_the_workbook(app, viewer):
    assert viewer.get("/triage/statistiques/anct.xlsx?annee=2025").status_code == 403


def test_the_command_refuses_a_year_out_of_range(app, runner, tmp_path: Path):
    out = tmp_path / "x.xlsx"
    result = runner.invoke(args=["stats", "anct", "--year", "1800", "--out", str(out)])
    assert result.exit_code != 0
    assert "--year" in result.output and "2005" in result.output
    assert not out.exists()
