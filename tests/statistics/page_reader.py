"""The statistics page's figures, read back from its HTML: each key figure, each breakdown's
lines by code, the months and the delays (the page's `data-*` attributes carry the numbers
its cells show in words)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SECTION = re.compile(r'<section[^>]*data-breakdown="([^"]+)"[^>]*>(.*?)</section>', re.S)
ROW = re.compile(r'<tr data-code="([^"]*)">(.*?)</tr>', re.S)
VALUE = re.compile(r'data-value="([^"]*)"')
FIGURE = re.compile(r'data-figure="([^"]+)"[^>]*>\s*<span[^>]*data-value="([^"]*)"', re.S)


def number(text: str) -> int | float | None:
    if text == "":
        return None
    return float(text) if "." in text else int(text)


@dataclass
class Page:
    key_figures: dict[str, int] = field(default_factory=dict)
    lines: dict[str, dict[str, int]] = field(default_factory=dict)
    months: list[tuple[int, int]] = field(default_factory=list)
    delays: dict[str, tuple[float | None, int]] = field(default_factory=dict)


def read_page(response) -> Page:
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = Page()
    page.key_figures = {code: number(value) for code, value in FIGURE.findall(html)}
    for key, body in SECTION.findall(html):
        rows = [
            (code, [number(v) for v in VALUE.findall(cells)]) for code, cells in ROW.findall(body)
        ]
        if key == "months":
            page.months = [tuple(values) for _, values in rows]
        elif key == "delays":
            page.delays = {code: (values[0], values[1]) for code, values in rows}
        else:
            page.lines[key] = {code: values[0] for code, values in rows}
    return page
