"""`/triage/export.xlsx`: a row per child, French headers and labels, Paris time, no formula."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import tracemalloc
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from intake.triage.exports import EXPORT_BATCH
from intake.triage.spreadsheet import HEADERS, MAX_WIDTH, local, neutralise
from intake.triage.workbook import Column, column_letter, stream_workbook
from tests.support.app import login, post_change
from tests.support.builders import START, child, make_orientation
from tests.support.builders import store_referrals as store
from tests.support.pages import workbook_rows

LIBREOFFICE = shutil.which("libreoffice") or shutil.which("soffice")


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
    # What the yearly figures count of each child.
    assert (first["Niveau scolaire"], second["Niveau scolaire"]) == ("Élémentaire", "Collège")
    assert first["Statut de l’enfant"] == "Nouvelle"
    assert first["Sexe"] == "Non renseigné"
    assert first["Entrée en parcours"] is None and first["Motif de sortie"] is None
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


# --- the streamed workbook -------------------------------------------------------------------


def test_every_row_of_a_large_selection_read_back(make_app, users):
    """2,500 referrals, more than two batches: every row in the queue's order, the headers,
    times typed as dates."""
    app = make_app()
    references = store(app, 2500)
    client = app.test_client()
    login(client, users["coordinator"])
    response = client.get("/triage/export.xlsx", buffered=False)
    assert response.is_streamed
    data = response.get_data()
    response.close()
    rows = list(load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True))
    assert rows[0] == HEADERS
    assert [row[0] for row in rows[1:]] == list(reversed(references))
    newest = dict(zip(HEADERS, rows[1], strict=True))
    # Received 2,499 minutes after START (UTC), shown in Paris time, typed as a date.
    assert newest["Reçue le"] == local(START + timedelta(minutes=2499))
    assert all(isinstance(row[1], datetime) for row in rows[1:])
    assert newest["Enfant"] == 1 and isinstance(newest["Âge à la réception"], int)


def test_the_sheet_is_laid_out_for_reading(app, client, users):
    """The header row frozen, a filter over the headers and every row, times shown the
    French way, and each column as wide as its header (and its filter button) or its longest
    label, within a maximum."""
    make_orientation(app, children=[child(), HUGO])
    login(client, users["coordinator"])
    sheet = load_workbook(io.BytesIO(client.get("/triage/export.xlsx").get_data())).active
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:AC3"
    assert sheet.cell(row=2, column=2).is_date
    assert sheet.cell(row=2, column=2).number_format == "DD/MM/YYYY HH:MM"
    assert sheet.cell(row=1, column=1).font.b  # the headers in bold
    widths = [sheet.column_dimensions[column_letter(n)].width for n in range(len(HEADERS))]
    assert all(3 < width <= MAX_WIDTH + 1 for width in widths), widths
    for header, width in zip(HEADERS, widths, strict=True):
        assert width >= min(MAX_WIDTH, len(header) + 2), (header, width)
    assert widths[HEADERS.index("Urgent")] < widths[HEADERS.index("Origine")]


def test_the_first_bytes_leave_before_any_row_is_read():
    """The generator gives the workbook's fixed parts before it asks for the first batch,
    and a chunk per batch after: a batch is read only once the chunks before it have gone."""
    columns = [Column(header, 12) for header in ("Référence", "Reçue le", "Rang")]
    asked = []

    def batches():
        for number in range(3):
            asked.append(number)
            yield [
                (f"PRE-{number:02d}-{n:04d}", datetime(2026, 1, 1, 9, n % 60), n)
                for n in range(2000)
            ]

    chunks = stream_workbook("Orientations", columns, batches())
    first = next(chunks)
    assert asked == [] and first.startswith(b"PK\x03\x04")
    second = next(chunks)
    assert second and asked == [0]
    rest = b"".join(chunks)
    assert asked == [0, 1, 2]
    sheet = load_workbook(io.BytesIO(first + second + rest)).active  # a whole file, in order
    assert sheet.max_row == 6001 and sheet["A6001"].value == "PRE-02-1999"


def peak_writing(rows: int) -> int:
    """The most memory Python held at once while writing `rows` rows of the export's width
    (tracemalloc), given a batch at a time as the database gives them (one batch's rows,
    given again: what the database would hand over, without the test's own making)."""
    columns = [Column(header, 12) for header in HEADERS]
    batch = [
        [f"PRE-2026-{n:05d}", datetime(2026, 1, 1, 9, 30), "Demande d’un parent"]
        + ["Nouvelle", "non", "Éligible", 1, "Nouvelle", "Fille", 9, "CE2", "Élémentaire"]
        + ["École Jean Jaurès", "REP+", "QN06201M", "À vérifier", "Santé, Langage"]
        + ["Enseignant·e", "", None, "", date(2026, 1, 5), None, ""]
        + ["français", "arabe, français", "non", "", None]
        for n in range(EXPORT_BATCH)
    ]
    tracemalloc.start()
    try:
        batches = (batch for _ in range(rows // EXPORT_BATCH))
        size = sum(len(chunk) for chunk in stream_workbook("Orientations", columns, batches))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        assert size > rows * 10


def test_memory_does_not_grow_with_the_rows():
    """Writing 20,000 rows holds no more than writing 5,000: what a batch and the compressor
    hold, never the sheet."""
    small, large = peak_writing(5_000), peak_writing(20_000)
    assert large < small * 1.2, (small, large)
    # What one batch's XML costs while it is built, encoded and compressed: about 300 bytes
    # a cell (8.6 MB for 1,000 rows of 29 columns), within 400.
    assert large < EXPORT_BATCH * len(HEADERS) * 400, large


def test_text_is_kept_as_typed_and_as_xml_allows():
    """Markup, a carriage return and spaces around stay as typed; what XML cannot carry
    at all (control characters) is dropped; numbers, booleans and days keep their types."""
    values = ["<b>&amp;</b>", "deux\r\nlignes", "  espaces ", "bip\x07"]
    values += [True, 2.5, date(2026, 3, 1)]
    columns = [Column(f"C{n}", 10) for n in range(len(values))]
    data = b"".join(stream_workbook("Feuille", columns, [[values]]))
    row = next(load_workbook(io.BytesIO(data)).active.iter_rows(min_row=2, values_only=True))
    assert row[:4] == ("<b>&amp;</b>", "deux\r\nlignes", "  espaces ", "bip")
    assert row[4:] == (True, 2.5, datetime(2026, 3, 1))


@pytest.mark.skipif(not LIBREOFFICE, reason="LibreOffice is not installed (libreoffice-calc)")
def test_libreoffice_reads_the_workbook(app, client, users, tmp_path):
    """A spreadsheet program, not only openpyxl, opens the streamed file: LibreOffice
    converts it to CSV with every row and the typed-as-text school."""
    make_orientation(app, children=[child(), HUGO])
    login(client, users["coordinator"])
    (tmp_path / "orientations.xlsx").write_bytes(client.get("/triage/export.xlsx").get_data())
    subprocess.run(
        # CSV filter options: comma, double quote, UTF-8 (76).
        [LIBREOFFICE, "--headless", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76"]
        + ["--outdir", str(tmp_path)]
        + [str(tmp_path / "orientations.xlsx"), f"-env:UserInstallation=file://{tmp_path}/lo"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    lines = list(csv.reader(io.StringIO((tmp_path / "orientations.csv").read_text())))
    assert lines[0] == list(HEADERS)
    assert len(lines) == 3
    # A date and time, shown with the sheet's French format.
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", lines[1][HEADERS.index("Reçue le")])
    assert lines[2][HEADERS.index("École")] == '=HYPERLINK("http://x")'
