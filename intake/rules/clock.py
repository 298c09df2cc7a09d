"""The programme's clock: days and hours as they are in Paris, where the programme works.

Timestamps are stored in UTC; a day (a child's age, "today", a meeting's date, the digest's
once a day) is always the Paris one, so that nothing changes date at 1 or 2 in the morning.
"""

from __future__ import annotations

from datetime import date, datetime, time
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


def moment_at(day: date, hour: time = time(0)) -> datetime:
    """The timezone-aware moment of `day` at `hour` (midnight by default), Paris time."""
    return datetime.combine(day, hour, tzinfo=PARIS)
