"""The retention rule: when a closed referral's data must be deleted. Pure, no Flask."""

from __future__ import annotations

import calendar
from datetime import datetime

from intake.rules.clock import days_between
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
    """Whether a referral has waited too long in `new` and should be flagged in the queue:
    `remind_after_days` Paris days or more since it was received (as days_since counts)."""
    return Status(status) is Status.NEW and days_since(received_at, now) >= remind_after_days


def days_since(moment: datetime, now: datetime) -> int:
    """Paris calendar days from `moment` to `now`, as the queue shows waits: 0 the day it
    came, 1 ("hier") from midnight in Paris, whatever the hour it came at."""
    return days_between(moment, now)


def is_stalled(
    status: str, last_activity_at: datetime, now: datetime, remind_after_days: int
) -> bool:
    """Whether an open referral has had no staff action for too long and should be flagged in
    the queue (a final one waits for nothing)."""
    return Status(status) not in FINAL and days_since(last_activity_at, now) >= remind_after_days
