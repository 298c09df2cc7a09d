"""A one-sheet .xlsx workbook written as a stream of bytes, a batch of rows at a time.

An .xlsx is a zip of XML parts. The sheet's XML is generated row by row (text as inline
strings, numbers as numbers, times as day serial numbers under a date style) and deflated
into the zip as it is written, so the first bytes leave before the database is read and
memory does not grow with the rows: nothing is kept of a row once its XML is compressed.

The zip is Python's own `zipfile` writing to a sink that cannot seek: each entry's sizes
and checksum then follow its data (a data descriptor, as Office itself writes them), and no
entry is ZIP64 (Excel has refused ZIP64 records in small files). The sheet stays far below
the 2 GiB a non-ZIP64 entry may hold: Excel's 1,048,576 rows of this export's width are
about 1 GB of XML.

The parts that depend on the last row (the autofilter's range, and the workbook's hidden
name for it) are written after the rows: a zip's order of entries is free, readers go by
its central directory.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from xml.sax.saxutils import quoteattr

# Day 0 of the 1900 date system as spreadsheets count it (1899-12-31 is day 1, and Excel's
# phantom 29 February 1900 makes every later serial one more: counting from the 30th gives
# the serial Excel shows for any date after February 1900).
EPOCH = datetime(1899, 12, 30)
ONE_DAY = timedelta(days=1)

# Styles of styles.xml's cellXfs, by index.
DATETIME_STYLE = 1
DATE_STYLE = 2
HEADER_STYLE = 3

# What Excel keeps of a cell's text.
MAX_TEXT = 32_767

# Characters XML 1.0 cannot carry at all (and the two non-characters): dropped.
ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# `\r` written as a reference, or XML readers would turn it into `\n`.
ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
NEEDS_ESCAPE = re.compile("[&<>\r]")

# Deflate's level for the sheet: 1 compresses this repetitive XML almost as well as the
# default (6) at a fraction of the CPU, which is what the export's rate is made of.
COMPRESS_LEVEL = 1

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def content_types(sheets: int) -> str:
    """The package's content types: the workbook, its `sheets` sheets, the styles."""
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for n in range(1, sheets + 1)
    )
    return (
        DECLARATION + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/>' + overrides + "<Override "
        'PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.styles+xml"/>'
        "</Types>"
    )


def workbook_rels(sheets: int) -> str:
    """The workbook's relationships: its sheets (rId1…), then its styles."""
    worksheets = "".join(
        f'<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/'
        f'2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, sheets + 1)
    )
    return (
        DECLARATION
        + f'<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
        + worksheets
        + f'<Relationship Id="rId{sheets + 1}" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/styles" Target="styles.xml"/>'
        "</Relationships>"
    )


CONTENT_TYPES = content_types(1)

ROOT_RELS = (
    DECLARATION + f'<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)

WORKBOOK_RELS = workbook_rels(1)

# Four cell formats: the default, a date and time the French way, a date, and the header's
# bold. Fills and borders hold what every reader expects to find (two fills, one border).
STYLES = (
    DECLARATION + f'<styleSheet xmlns="{MAIN}">'
    '<numFmts count="2">'
    '<numFmt numFmtId="164" formatCode="DD/MM/YYYY HH:MM"/>'
    '<numFmt numFmtId="165" formatCode="DD/MM/YYYY"/>'
    "</numFmts>"
    '<fonts count="2">'
    '<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    "</fonts>"
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


@dataclass(frozen=True)
class Column:
    """A column of the sheet: its header, and its width in characters of the default font."""

    header: str
    width: float


def column_letter(index: int) -> str:
    """The letters of the 0-based column `index`: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def text(value: str) -> str:
    """`value` as the content of a `<t>`: what XML cannot carry dropped, escaped, at most
    what a cell holds."""
    if ILLEGAL.search(value):
        value = ILLEGAL.sub("", value)
    if len(value) > MAX_TEXT:
        value = value[:MAX_TEXT]
    if NEEDS_ESCAPE.search(value):
        value = value.translate(ESCAPES)
    return value


def serial(moment: datetime | date) -> float | int:
    """A local date or time as the spreadsheet's count of days."""
    if isinstance(moment, datetime):
        return (moment.replace(tzinfo=None) - EPOCH) / ONE_DAY
    return (moment - EPOCH.date()).days


def cell(reference: str, value: Any, style: int = 0) -> str:
    """The XML of one cell; "" for an empty one (None or ""), which is left out."""
    styled = f' s="{style}"' if style else ""
    if isinstance(value, str):
        if not value:
            return ""
        content = text(value)
        space = ' xml:space="preserve"' if content[:1].isspace() or content[-1:].isspace() else ""
        # Typed as text: a spreadsheet never runs "=…" stored this way as a formula.
        return f'<c r="{reference}"{styled} t="inlineStr"><is><t{space}>{content}</t></is></c>'
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{reference}"{styled} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{reference}"{styled}><v>{value!r}</v></c>'
    if isinstance(value, datetime):
        style = style or DATETIME_STYLE
        return f'<c r="{reference}" s="{style}"><v>{serial(value)!r}</v></c>'
    if isinstance(value, date):
        style = style or DATE_STYLE
        return f'<c r="{reference}" s="{style}"><v>{serial(value)!r}</v></c>'
    return cell(reference, str(value), style)


def row_xml(number: int, letters: Sequence[str], values: Sequence[Any], style: int = 0) -> str:
    """The XML of the sheet's row `number` (1-based)."""
    cells = "".join(
        cell(f"{letter}{number}", value, style)
        for letter, value in zip(letters, values, strict=True)
    )
    return f'<row r="{number}">{cells}</row>'


def sheet_start(columns: Sequence[Column]) -> str:
    """The sheet's XML up to its first data row: the frozen header row, the widths, the
    headers."""
    letters = [column_letter(index) for index in range(len(columns))]
    widths = "".join(
        f'<col min="{n}" max="{n}" width="{column.width:g}" customWidth="1"/>'
        for n, column in enumerate(columns, start=1)
    )
    return (
        DECLARATION + f'<worksheet xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
        "</sheetView></sheetViews>"
        '<sheetFormatPr defaultRowHeight="15"/>'
        f"<cols>{widths}</cols>"
        "<sheetData>" + row_xml(1, letters, [column.header for column in columns], HEADER_STYLE)
    )


def filter_range(columns: Sequence[Column], last_row: int) -> str:
    """The autofilter's range: the headers and every data row ("A1:R2501")."""
    return f"A1:{column_letter(len(columns) - 1)}{last_row}"


def sheet_end(columns: Sequence[Column], last_row: int) -> str:
    """The sheet's XML after its last row: the autofilter over the headers and the data."""
    return f'</sheetData><autoFilter ref="{filter_range(columns, last_row)}"/></worksheet>'


def workbook_xml(sheet_name: str, columns: Sequence[Column], last_row: int) -> str:
    """The workbook part: its one sheet, and the hidden name Excel gives a sheet's
    autofilter (Excel writes it, and expects it)."""
    name = quoteattr(text(sheet_name)[:31])
    # A sheet's name is quoted in a reference: 'Orientations'!$A$1:$R$9.
    quoted = "'" + text(sheet_name)[:31].replace("'", "''") + "'"
    last = column_letter(len(columns) - 1)
    return (
        DECLARATION + f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
        f'<sheets><sheet name={name} sheetId="1" r:id="rId1"/></sheets>'
        '<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
        f"{quoted}!$A$1:${last}${last_row}</definedName></definedNames>"
        "</workbook>"
    )


class Sink:
    """Where the zip is written: bytes kept until the response takes them. It cannot seek,
    so `zipfile` writes each entry's sizes after its data instead of going back for them."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        """What was written since the last take."""
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def stream_workbook(
    sheet_name: str,
    columns: Sequence[Column],
    batches: Iterable[Iterable[Sequence[Any]]],
) -> Iterator[bytes]:
    """The .xlsx workbook of one sheet, `columns` over the rows of `batches`, as chunks of
    bytes: the fixed parts at once, then what the compressor gives back after each batch,
    then the end. A batch's values are read only once its chunk is asked for."""
    sink = Sink()
    archive = zipfile.ZipFile(
        sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL
    )
    for name, content in (
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ("xl/styles.xml", STYLES),
    ):
        archive.writestr(name, content)
    letters = [column_letter(index) for index in range(len(columns))]
    number = 1  # the header's row
    with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
        sheet.write(sheet_start(columns).encode())
        # The fixed parts, and the sheet's zip header: the response's first bytes.
        yield sink.take()
        for batch in batches:
            lines = []
            for values in batch:
                number += 1
                lines.append(row_xml(number, letters, values))
            sheet.write("".join(lines).encode("utf-8", "replace"))
            if chunk := sink.take():
                yield chunk
        sheet.write(sheet_end(columns, number).encode())
    archive.writestr("xl/workbook.xml", workbook_xml(sheet_name, columns, number))
    archive.close()
    yield sink.take()


@dataclass(frozen=True)
class Sheet:
    """A small sheet written whole: its name, columns, and rows, each with its style (0, or
    HEADER_STYLE for a row that titles what follows)."""

    name: str
    columns: Sequence[Column]
    rows: Sequence[tuple[Sequence[Any], int]]


def small_workbook(sheets: Sequence[Sheet]) -> bytes:
    """A workbook of several small sheets, in memory (a report, not an export: no autofilter,
    no streaming). Each sheet's header row is frozen as in the export."""
    sink = Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types(len(sheets)))
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/_rels/workbook.xml.rels", workbook_rels(len(sheets)))
        archive.writestr("xl/styles.xml", STYLES)
        for n, sheet in enumerate(sheets, start=1):
            letters = [column_letter(index) for index in range(len(sheet.columns))]
            width = len(letters)
            rows = "".join(
                row_xml(number, letters, [*values, *[None] * (width - len(values))], style)
                for number, (values, style) in enumerate(sheet.rows, start=2)
            )
            archive.writestr(
                f"xl/worksheets/sheet{n}.xml",
                sheet_start(sheet.columns) + rows + "</sheetData></worksheet>",
            )
        entries = "".join(
            f'<sheet name={quoteattr(text(sheet.name)[:31])} sheetId="{n}" r:id="rId{n}"/>'
            for n, sheet in enumerate(sheets, start=1)
        )
        archive.writestr(
            "xl/workbook.xml",
            DECLARATION + f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
            f"<sheets>{entries}</sheets></workbook>",
        )
    return sink.take()
