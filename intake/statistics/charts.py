"""The geometry of the statistics page's SVG charts: where each bar, column, tick and label
sits, in the units of the chart's viewBox. Pure: the page's Jinja macros draw what this
computes (templates/statistics/_charts.html), with no style attribute (the CSP refuses
them) and no script.

A horizontal bar chart draws one bar a line, its label above it (a long label, a school's
name, keeps the chart's width on a phone) and its value at its end; a column chart draws
series side by side for each category (the months), with a legend. Axes run from 0 to a
round number, with ticks at round steps (1, 2 or 5 times a power of ten).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import ceil, floor, log10

# The viewBox's width: the page scales it to its column (less on a phone, capped on a
# desktop by static/style.css), text scaling with it: 400 keeps a bar chart's labels near
# their size on a phone's 360 px; the months' chart, with a dozen columns or more, is wider.
WIDTH = 400
COLUMNS_WIDTH = 480
FONT = 14  # text's size in viewBox units, as static/style.css gives it
# Label characters that fit across the chart before one is shortened with "…" (the table
# beside the chart keeps it whole).
LABEL_CHARACTERS = 50

# Bar chart rows: the label's line, then the bar, then the gap to the next row.
BAR_LABEL = 18
BAR_HEIGHT = 16
BAR_GAP = 12
BAR_ROW = BAR_LABEL + BAR_HEIGHT + BAR_GAP
# Room to the right of the longest bar for its value, and under the rows for the ticks.
VALUE_ROOM = 56
AXIS_ROOM = 24
MARGIN = 4

# Column chart: the legend's line on top, the ticks' labels on the left, months under.
COLUMN_HEIGHT = 200
LEGEND_ROOM = 28
Y_LABELS_ROOM = 44
X_LABELS_ROOM = 36
# Below this width in viewBox units (5 letters at the labels' 12) a month's label would run
# into its neighbour's.
MONTH_LABEL_WIDTH = 34


@dataclass(frozen=True)
class Tick:
    """A round value of the axis and where it falls (x in a bar chart, y in a column chart)."""

    value: int
    position: float


@dataclass(frozen=True)
class Bar:
    label: str  # shortened to fit; the line's own label is `full_label`
    full_label: str
    value: int
    label_y: float  # the label's baseline
    y: float  # the bar's top
    length: float
    value_x: float  # where the value's text starts, just past the bar's end


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    left: float
    bar_height: int
    top: float  # the first row's top: the grid's lines run from here…
    bottom: float  # …to the axis
    bars: list[Bar]
    ticks: list[Tick]


@dataclass(frozen=True)
class Column:
    series: int  # its index in the series: the macro gives each its class
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Category:
    label: str
    full_label: str
    note: str  # a second line under the label (a month's year), or ""
    label_x: float  # the centre of its columns
    show_label: bool  # every n-th only when the categories are too many to name each
    columns: list[Column]


@dataclass(frozen=True)
class LegendItem:
    series: int
    label: str
    x: float
    y: float


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    categories: list[Category]
    ticks: list[Tick]
    legend: list[LegendItem]


def nice_step(largest: int, most: int = 5) -> int:
    """The round step (1, 2 or 5 times a power of ten, at least 1: counts are whole) that
    covers `largest` in at most `most` steps."""
    if largest <= most:
        return 1
    rough = largest / most
    power = 10 ** floor(log10(rough))
    return next(factor * power for factor in (1, 2, 5, 10) if factor * power >= rough)


def nice_ticks(largest: int, most: int = 5) -> list[int]:
    """The axis' values from 0 to the first multiple of the step at or past `largest` (0 to
    1 for an axis of zeros, which still has a length)."""
    step = nice_step(largest, most)
    top = max(ceil(largest / step), 1) * step
    return list(range(0, top + 1, step))


def shortened(label: str, characters: int = LABEL_CHARACTERS) -> str:
    """`label` cut to `characters`, its end said by "…"."""
    if len(label) <= characters:
        return label
    return label[: characters - 1].rstrip() + "…"


def bar_chart(lines: Sequence[tuple[str, int]], width: int = WIDTH) -> BarChart:
    """One horizontal bar a (label, value) line, their lengths in proportion to the values on
    an axis from 0 to a round number past the largest."""
    ticks = nice_ticks(max((value for _, value in lines), default=0))
    left, plot = MARGIN, width - MARGIN - VALUE_ROOM
    scale = plot / ticks[-1]
    bars = []
    for index, (label, value) in enumerate(lines):
        top = MARGIN + index * BAR_ROW
        length = value * scale
        bars.append(
            Bar(
                label=shortened(label),
                full_label=label,
                value=value,
                label_y=top + BAR_LABEL - 5,
                y=top + BAR_LABEL,
                length=length,
                value_x=left + length + 6,
            )
        )
    bottom = MARGIN + len(lines) * BAR_ROW
    return BarChart(
        width=width,
        height=int(bottom + AXIS_ROOM),
        left=left,
        bar_height=BAR_HEIGHT,
        top=MARGIN,
        bottom=bottom,
        bars=bars,
        ticks=[Tick(value, left + value * scale) for value in ticks],
    )


def column_chart(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    short: Sequence[str] | None = None,
    notes: Sequence[str] | None = None,
    width: int = COLUMNS_WIDTH,
) -> ColumnChart:
    """Columns side by side for each category, one per series (label, values in the order of
    `categories`), on an axis from 0 to a round number past the largest value. `short` names
    the categories under their columns when their full names are long (months), `notes` on a
    second line (a month's year, under January and the first month)."""
    short = list(short or categories)
    notes = list(notes or [""] * len(categories))
    largest = max((value for _, values in series for value in values), default=0)
    ticks = nice_ticks(largest)
    left, right = Y_LABELS_ROOM, width - MARGIN
    top, bottom = LEGEND_ROOM + MARGIN, LEGEND_ROOM + MARGIN + COLUMN_HEIGHT
    scale = COLUMN_HEIGHT / ticks[-1]
    slot = (right - left) / max(len(categories), 1)
    # The columns take two thirds of their slot, the rest is the gap between categories.
    column_width = slot * 2 / 3 / max(len(series), 1)
    every = ceil(MONTH_LABEL_WIDTH / slot) if slot < MONTH_LABEL_WIDTH else 1
    drawn = []
    for index, name in enumerate(categories):
        start = left + index * slot + slot / 6
        columns = []
        for number, (_, values) in enumerate(series):
            height = values[index] * scale
            columns.append(
                Column(
                    series=number,
                    value=values[index],
                    x=start + number * column_width,
                    y=bottom - height,
                    width=column_width,
                    height=height,
                )
            )
        drawn.append(
            Category(
                label=short[index],
                full_label=name,
                note=notes[index],
                label_x=left + (index + 0.5) * slot,
                show_label=index % every == 0,
                columns=columns,
            )
        )
    # The legend's entries side by side: a swatch, then the series' label.
    legend, x = [], left
    for number, (label, _) in enumerate(series):
        legend.append(LegendItem(series=number, label=label, x=x, y=MARGIN + 4))
        x += 28 + len(label) * FONT * 0.55
    return ColumnChart(
        width=width,
        height=int(bottom + X_LABELS_ROOM),
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        categories=drawn,
        ticks=[Tick(value, bottom - value * scale) for value in ticks],
        legend=legend,
    )
