"""The geometry of the statistics page's charts (intake.statistics.charts): round ticks, bars
and columns in proportion to their values, and the edge cases (zeros, nothing, one line)."""

from __future__ import annotations

import pytest

from intake.statistics.charts import (
    BAR_ROW,
    COLUMNS_WIDTH,
    LABEL_CHARACTERS,
    WIDTH,
    bar_chart,
    column_chart,
    nice_step,
    nice_ticks,
    shortened,
)


@pytest.mark.parametrize(
    ("largest", "ticks"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (4, [0, 1, 2, 3, 4]),
        (5, [0, 1, 2, 3, 4, 5]),
        (6, [0, 2, 4, 6]),
        (7, [0, 2, 4, 6, 8]),
        (10, [0, 2, 4, 6, 8, 10]),
        (11, [0, 5, 10, 15]),
        (25, [0, 5, 10, 15, 20, 25]),
        (26, [0, 10, 20, 30]),
        (100, [0, 20, 40, 60, 80, 100]),
        (1100, [0, 500, 1000, 1500]),
        (99_999, [0, 20_000, 40_000, 60_000, 80_000, 100_000]),
    ],
    ids=lambda value: str(value) if isinstance(value, int) else None,
)
def test_ticks_are_round_steps_from_zero_to_past_the_largest(largest, ticks):
    assert nice_ticks(largest) == ticks
    assert ticks[-1] >= largest and len(ticks) <= 6


@pytest.mark.parametrize("largest", [*range(0, 120), 999, 1001, 12_345, 10**7])
def test_a_step_is_whole_and_one_two_or_five_times_a_power_of_ten(largest):
    step = nice_step(largest)
    assert isinstance(step, int) and step >= 1
    assert str(step).rstrip("0") in ("1", "2", "5")
    assert len(nice_ticks(largest)) - 1 <= 5


def test_bars_are_as_long_as_their_values_say():
    chart = bar_chart([("Écoles", 40), ("Familles", 10), ("Santé", 0), ("Social", 25)])
    lengths = [bar.length for bar in chart.bars]
    # Proportional: 40 is four times 10, 25 is 2.5 times; 0 draws no bar.
    assert lengths[0] == pytest.approx(4 * lengths[1])
    assert lengths[3] == pytest.approx(2.5 * lengths[1])
    assert lengths[2] == 0
    # On an axis from 0 to 40 (ticks 0, 10… 40), whose end is where a bar of 40 ends.
    assert [tick.value for tick in chart.ticks] == [0, 10, 20, 30, 40]
    assert chart.ticks[0].position == chart.left
    assert chart.ticks[-1].position == pytest.approx(chart.left + lengths[0])
    # Within the chart, the value written just past the bar's end, with room for it.
    for bar in chart.bars:
        assert bar.value_x == pytest.approx(chart.left + bar.length + 6)
        assert bar.value_x + 6 * 8 <= chart.width
    assert chart.width == WIDTH


def test_rows_follow_one_another_and_the_chart_is_as_tall_as_they_are():
    chart = bar_chart([("a", 1), ("b", 2), ("c", 3)])
    tops = [bar.y for bar in chart.bars]
    assert [b - a for a, b in zip(tops, tops[1:], strict=False)] == [BAR_ROW, BAR_ROW]
    assert all(bar.label_y < bar.y for bar in chart.bars)  # each label above its bar
    assert chart.bottom == chart.top + 3 * BAR_ROW
    assert chart.height > chart.bottom  # the ticks' labels under the rows
    one = bar_chart([("seul", 7)])
    assert one.height == chart.height - 2 * BAR_ROW


def test_a_chart_of_zeros_or_of_nothing_still_has_an_axis():
    zeros = bar_chart([("a", 0), ("b", 0)])
    assert [bar.length for bar in zeros.bars] == [0, 0]
    assert [tick.value for tick in zeros.ticks] == [0, 1]
    empty = bar_chart([])
    assert empty.bars == [] and empty.height > 0


def test_a_long_label_is_shortened_in_the_chart_and_kept_whole_beside():
    long = "École élémentaire publique Jean-Baptiste Poquelin dit Molière, site des Tilleuls"
    (bar,) = bar_chart([(long, 3)]).bars
    assert bar.full_label == long
    assert len(bar.label) == LABEL_CHARACTERS and bar.label.endswith("…")
    assert long.startswith(bar.label[:-1])
    assert shortened("Collège Voltaire") == "Collège Voltaire"
    assert shortened("a" * LABEL_CHARACTERS) == "a" * LABEL_CHARACTERS


def test_columns_stand_on_the_axis_as_tall_as_their_values_say():
    months = ["septembre 2025", "octobre 2025", "novembre 2025"]
    chart = column_chart(
        months,
        [("Orientations", [10, 0, 30]), ("Enfants", [20, 5, 45])],
        short=["sept.", "oct.", "nov."],
        notes=["2025", "", ""],
    )
    assert chart.width == COLUMNS_WIDTH
    assert [tick.value for tick in chart.ticks] == [0, 10, 20, 30, 40, 50]
    assert chart.ticks[0].position == chart.bottom
    assert chart.ticks[-1].position == pytest.approx(chart.top)
    columns = [column for category in chart.categories for column in category.columns]
    unit = columns[0].height / 10
    for column in columns:
        assert column.height == pytest.approx(column.value * unit)
        assert column.y + column.height == pytest.approx(chart.bottom)
        assert chart.left <= column.x and column.x + column.width <= chart.right
    # Series side by side, in order, within their category; categories left to right.
    first, second = chart.categories[0].columns
    assert (first.series, second.series) == (0, 1)
    assert second.x == pytest.approx(first.x + first.width)
    assert [c.label for c in chart.categories] == ["sept.", "oct.", "nov."]
    assert [c.full_label for c in chart.categories] == months
    assert [c.note for c in chart.categories] == ["2025", "", ""]
    xs = [c.label_x for c in chart.categories]
    assert xs == sorted(xs) and all(c.show_label for c in chart.categories)
    # The legend: one entry a series, side by side.
    assert [(item.series, item.label) for item in chart.legend] == [
        (0, "Orientations"),
        (1, "Enfants"),
    ]
    assert chart.legend[1].x > chart.legend[0].x + 20


def test_a_year_names_each_month_and_three_years_every_other_or_third():
    def shown(count: int) -> int:
        chart = column_chart([str(i) for i in range(count)], [("s", [1] * count)])
        return sum(category.show_label for category in chart.categories)

    assert shown(12) == 12
    assert 9 <= shown(36) <= 18
    assert shown(36) < 36


def test_a_column_chart_of_nothing_has_an_axis_and_no_columns():
    chart = column_chart([], [("Orientations", []), ("Enfants", [])])
    assert chart.categories == []
    assert [tick.value for tick in chart.ticks] == [0, 1]
