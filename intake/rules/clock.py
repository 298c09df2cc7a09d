"""The programme's clock: days and hours as they are in Paris, where the programme works.

Timestamps are stored in UTC; a day (a child's age, "today", a meeting's date, the digest's
once a day) is always the Paris one, so that nothing changes date at 1 or 2 in the morning.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def today(now: datetime | None = None) -> date:
    """The day it is in Paris at `now` (timezone-aware), or at this moment."""
    return local_date(now) if now is not None else datetime.now(PARIS).date()


def local_date(moment: datetime) -> date:
    """The Paris day of a timezone-aware moment."""
    return moment.astimezone(PARIS).date()


def local_datetime(moment: datetime) -> datetime:
    """A timezone-aware moment as Paris clocks show it (still timezone-aware)."""
    return moment.astimezone(PARIS)


def days_between(earlier: datetime, later: datetime) -> int:
    """How many Paris calendar days lie from `earlier` to `later` (timezone-aware moments):
    0 the same Paris day, 1 from 23:30 to 00:10 the next night, never below 0. Not elapsed
    24-hour periods, which said "today" of the evening before; and not the UTC dates, which
    change day at 1 or 2 in the morning in Paris."""
    return max((local_date(later) - local_date(earlier)).days, 0)


def days_after(moment: datetime, days: int) -> date:
    """The Paris day `days` days after the Paris day of `moment`: what "within 10 days" of a
    referral received at 23:30 means (days × 24 hours would land a day late across spring's
    change of time)."""
    return local_date(moment) + timedelta(days=days)


def moment_at(day: date, hour: time = time(0)) -> datetime:
    """The timezone-aware moment of `day` at `hour` (midnight by default), Paris time."""
    return datetime.combine(day, hour, tzinfo=PARIS)
