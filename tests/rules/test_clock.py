"""The programme's clock: days counted as Paris calendar days, never as elapsed 24-hour periods
nor as UTC dates. Pure rules; the queue's rows that use them are tested in tests/triage."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from intake.rules.clock import PARIS, days_after, days_between
from intake.rules.retention import days_since, is_overdue, is_stalled


def paris(*fields: int) -> datetime:
    """A moment as Paris clocks show it."""
    return datetime(*fields, tzinfo=PARIS)


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)


# Winter: Paris is UTC+1 (CET); summer: UTC+2 (CEST). The last Sunday of March 2026 (the 29th)
# Paris goes from 02:00 to 03:00; the last Sunday of October (the 25th), from 03:00 to 02:00.
DAYS = [
    # The bug as seen: received the evening before, seen after midnight.
    pytest.param(paris(2026, 1, 14, 23, 30), paris(2026, 1, 15, 0, 10), 1, id="winter-2330-0010"),
    pytest.param(paris(2026, 7, 14, 23, 30), paris(2026, 7, 15, 0, 10), 1, id="summer-2330-0010"),
    # The same Paris day, from just after midnight to just before the next.
    pytest.param(paris(2026, 1, 15, 0, 10), paris(2026, 1, 15, 23, 50), 0, id="winter-same-day"),
    pytest.param(paris(2026, 7, 15, 0, 10), paris(2026, 7, 15, 23, 50), 0, id="summer-same-day"),
    # The UTC dates differ (received 23:30 UTC on the 14th, seen 21:00 UTC on the 15th) but
    # the Paris day is the same: 0, where UTC dates would say 1.
    pytest.param(utc(2026, 7, 14, 23, 30), utc(2026, 7, 15, 21, 0), 0, id="summer-utc-dates-trap"),
    pytest.param(utc(2026, 1, 14, 23, 30), utc(2026, 1, 15, 22, 0), 0, id="winter-utc-dates-trap"),
    # The UTC date is the same (the 14th) but Paris has passed midnight: 1, where UTC says 0.
    pytest.param(utc(2026, 7, 14, 21, 0), utc(2026, 7, 14, 22, 10), 1, id="summer-utc-same-date"),
    pytest.param(utc(2026, 1, 14, 22, 0), utc(2026, 1, 14, 23, 10), 1, id="winter-utc-same-date"),
    # Almost 48 hours, still one midnight: 1; just over 24 hours, two midnights: 2.
    pytest.param(paris(2026, 1, 14, 0, 5), paris(2026, 1, 15, 23, 55), 1, id="47h50-one-midnight"),
    pytest.param(paris(2026, 1, 14, 23, 55), paris(2026, 1, 16, 0, 5), 2, id="24h10-two-midnights"),
    # Across the changes of time: a night of 23 hours and one of 25.
    pytest.param(paris(2026, 3, 28, 23, 30), paris(2026, 3, 29, 0, 10), 1, id="spring-night"),
    pytest.param(paris(2026, 3, 28, 0, 30), paris(2026, 3, 29, 23, 30), 1, id="spring-23h-day"),
    pytest.param(paris(2026, 10, 24, 23, 30), paris(2026, 10, 25, 0, 10), 1, id="autumn-night"),
    pytest.param(paris(2026, 10, 25, 0, 10), paris(2026, 10, 25, 23, 50), 0, id="autumn-25h-day"),
    # A week, whatever the hour: the eighth Paris day after.
    pytest.param(paris(2026, 3, 22, 23, 30), paris(2026, 3, 29, 0, 10), 7, id="week-over-spring"),
    pytest.param(paris(2026, 10, 18, 23, 30), paris(2026, 10, 25, 0, 10), 7, id="week-over-autumn"),
    # A moment after `now` (a clock set a little ahead) waits 0, never a negative count.
    pytest.param(paris(2026, 1, 15, 0, 10), paris(2026, 1, 14, 23, 50), 0, id="ahead-of-now"),
]  # fmt: skip


@pytest.mark.parametrize(("earlier", "later", "days"), DAYS)
def test_days_are_paris_calendar_days(earlier, later, days):
    assert days_between(earlier, later) == days
    # The queue's waits and its flags count the same days.
    assert days_since(earlier, later) == days


@pytest.mark.parametrize(("earlier", "later", "days"), DAYS)
def test_a_referral_is_overdue_and_stalled_from_the_paris_day_it_reaches(earlier, later, days):
    for remind_after_days in (1, 2, 7):
        flagged = days >= remind_after_days
        assert is_overdue("new", earlier, later, remind_after_days) is flagged
        assert is_stalled("in_review", earlier, later, remind_after_days) is flagged
        # Neither flag for what waits for nothing.
        assert not is_overdue("in_review", earlier, later, remind_after_days)
        assert not is_stalled("closed", earlier, later, remind_after_days)


@pytest.mark.parametrize(
    ("moment", "days", "day"),
    [
        # 23:30 in Paris the night before spring's change: 10 days later is the 7 April, not
        # the 8th that 10 × 24 hours (01:30 CEST on the 8th) would give.
        (paris(2026, 3, 28, 23, 30), 10, date(2026, 4, 7)),
        (paris(2026, 10, 24, 23, 30), 10, date(2026, 11, 3)),
        # 00:30 in Paris on a summer 2 March is 22:30 UTC the day before: the Paris day counts.
        (paris(2026, 7, 2, 0, 30), 10, date(2026, 7, 12)),
        (paris(2026, 1, 2, 23, 59), 0, date(2026, 1, 2)),
    ],
    ids=["spring-change", "autumn-change", "summer-just-after-midnight", "same-day"],
)
def test_days_after_counts_from_the_paris_day(moment, days, day):
    assert days_after(moment, days) == day
