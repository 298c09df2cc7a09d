"""Reading pages as a test reads them: field errors, the CSRF token a form carries, the
queue's tabs, the spreadsheet export's rows."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook


def errors_of(html: str) -> dict[str, str]:
    """Each field's own error message, by the id of its input."""
    return {
        match.group(1): re.sub(r"<[^>]+>", "", match.group(2)).replace("Erreur :", "").strip()
        for match in re.finditer(r'class="error-message" id="([^"]+)-error">(.*?)</p>', html, re.S)
    }


def csrf_token(client, path: str) -> str:
    """The token Flask-WTF put in the form at `path`, as a browser would send it back."""
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def queue_tabs(html: str) -> dict[str, tuple[str | None, bool, str]]:
    """The queue's status tabs: label -> (its count as shown, "12" or "100+", or None when
    the tab shows none; whether it is the current one; its href)."""
    nav = html.split('class="tabs"', 1)[1].split("</nav>", 1)[0]
    return {
        label: (count or None, bool(current), href.replace("&amp;", "&"))
        for href, current, label, count in re.findall(
            r'<a href="([^"]*)"( aria-current="page")?>([^<]*?)'
            r'(?: <span class="tab-count">\(([^)]*)\)</span>)?</a>',
            nav,
        )
    }


def workbook_rows(client, query: str = "") -> list[tuple]:
    """The rows of `/triage/export.xlsx` (with `query`), header first, as openpyxl reads them."""
    response = client.get(f"/triage/export.xlsx{query}")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_data()
    response.close()  # as the server does once sent: the export is logged then
    sheet = load_workbook(io.BytesIO(data)).active
    return [tuple(cell.value for cell in row) for row in sheet.iter_rows()]
