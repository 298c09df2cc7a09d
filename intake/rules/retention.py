"""The retention rule: when a closed referral's data must be deleted. Pure, no Flask."""

from __future__ import annotations

import calendar
from datetime import datetime

from intake.rules.workflow import FINAL, Status


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (31 March - 1 month = 28/29 Feb)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def is_expired(
    status: str, last_activity_at: datetime, now: datetime, retention_months: int
) -> bool:
    """Whether a referral's data are past retention: final, and untouched for the period."""
    return Status(status) in FINAL and last_activity_at <= months_before(now, retention_months)


def is_overdue(status: str, received_at: datetime, now: datetime, remind_after_days: int) -> bool:
    """Whether a referral has waited too long in `new` and should be flagged in the queue."""
    return Status(status) is Status.NEW and (now - received_at).days >= remind_after_days


def days_since(moment: datetime, now: datetime) -> int:
    """Whole days from `moment` to `now` (0 the first 24 hours), as the queue shows waits."""
    return max((now - moment).days, 0)


def is_stalled(
    status: str, last_activity_at: datetime, now: datetime, remind_after_days: int
) -> bool:
    """Whether an open referral has had no staff action for too long and should be flagged in
    the queue (a final one waits for nothing)."""
    return Status(status) not in FINAL and days_since(last_activity_at, now) >= remind_after_days
