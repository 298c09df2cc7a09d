"""`/triage/export.xlsx`: a row per child, French headers and labels, Paris time, no formula."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from intake.triage.spreadsheet import HEADERS, neutralise
from tests.support.app import login, post_change
from tests.support.builders import child, make_orientation


def workbook_rows(client, query: str = "") -> list[tuple]:
    response = client.get(f"/triage/export.xlsx{query}")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_data()
    response.close()  # as the server does once sent: the export is logged then
    sheet = load_workbook(io.BytesIO(data)).active
    return [tuple(cell.value for cell in row) for row in sheet.iter_rows()]


# Léa, and Hugo at a school outside the list whose name, as typed, looks like a formula.
HUGO = child(
    "Hugo",
    birth_date=date(2012, 1, 15),
    school="other",
    school_other='=HYPERLINK("http://x")',
    class_level="5e",
)


def test_a_row_per_child_with_french_headers_labels_and_local_time(app, client, users):
    # Received at 23:30 UTC on New Year's Eve: 00:30 on 1 January in Lillers.
    received_at = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)
    reference = make_orientation(app, children=[child(), HUGO], received_at=received_at)
    login(client, users["coordinator"])
    header, *rows = workbook_rows(client)
    assert header == HEADERS
    assert len(rows) == 2
    first, second = (dict(zip(HEADERS, row, strict=True)) for row in rows)
    assert first["Référence"] == second["Référence"] == reference
    assert first["Reçue le"] == datetime(2026, 1, 1, 0, 30)
    assert first["Origine"] == "Orientation par un·e professionnel·le"
    assert first["Statut"] == "Nouvelle"
    assert (first["Enfant"], second["Enfant"]) == (1, 2)
    assert first["Âge à la réception"] == 9 and second["Âge à la réception"] == 13
    assert first["Classe"] == "CE2"
    assert first["Fonction de l’orienteur"] == "Enseignant·e"
    assert "Santé" in first["Domaines"]
    # Names are not exported: the yearly report counts, it does not identify.
    assert not any("Martin" in str(value) or "Léa" in str(value) for value in rows[0] + rows[1])


def test_typed_text_never_becomes_a_formula(app, client, users):
    make_orientation(app, children=[child(), HUGO])
    login(client, users["coordinator"])
    response = client.get("/triage/export.xlsx")
    data = response.get_data()
    response.close()
    sheet = load_workbook(io.BytesIO(data)).active
    school = sheet.cell(row=3, column=HEADERS.index("École") + 1)
    assert school.value == '=HYPERLINK("http://x")'
    assert school.data_type == "s"


def test_the_decision_and_its_reason_in_words(app, client, users):
    reference = make_orientation(app, children=[child(), HUGO])
    login(client, users["coordinator"])
    response = post_change(
        client,
        reference,
        status="redirected",
        reason="mainstream_service",
        service="clas",
        comment="",
        confirm="y",
    )
    assert response.status_code == 303
    row = dict(zip(HEADERS, workbook_rows(client)[1], strict=True))
    assert row["Décision"] == row["Statut"]
    assert row["Motif"] and row["Service vers lequel orienter"]
    assert row["Motif"] != "mainstream_service" and row["Service vers lequel orienter"] != "clas"


def test_the_filters_apply(app, client, users):
    make_orientation(app, children=[child(), HUGO])
    make_orientation(app)
    login(client, users["coordinator"])
    assert len(workbook_rows(client)) == 4
    assert len(workbook_rows(client, "?q=pre-2026-00002")) == 2
    assert len(workbook_rows(client, "?status=closed")) == 1


def test_viewers_and_visitors_get_no_spreadsheet(app, client, users):
    assert client.get("/triage/export.xlsx").status_code == 302
    login(client, users["viewer"])
    assert client.get("/triage/export.xlsx").status_code == 403
    assert "Exporter" not in client.get("/triage/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+33 6", "'+33 6"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("PRE-2026-00001", "PRE-2026-00001"),
        ("a=b", "a=b"),
        (3, 3),
        (None, None),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_the_export_is_logged_without_the_search_text(app, client, users, caplog):
    make_orientation(app, children=[child(), HUGO])
    login(client, users["coordinator"])
    workbook_rows(client, "?q=martin")
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("export.xlsx")]
    assert lines == [
        "export.xlsx user_id=1 status=- eligibility=- agreement=- source=- school=- urgent=-"
        " assigned=- duplicate=- search=yes rows=2"
    ]
