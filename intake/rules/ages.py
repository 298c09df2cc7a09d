"""A child's age on a given day: in completed years, or in completed years and months."""

from __future__ import annotations

from datetime import date


def age_on(birth_date: date, day: date) -> int:
    """Completed years on `day` (what "8 ans" says); 29 February birthdays count on 1 March in
    common years. Not checked: a birth date after `day` gives a negative age."""
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - before_birthday


def _monthiversary(birth_date: date, months: int) -> date:
    """The day the child completes `months` months; a missing day rolls to the 1st after."""
    year, month = divmod(birth_date.month - 1 + months, 12)
    year += birth_date.year
    try:
        return date(year, month + 1, birth_date.day)
    except ValueError:
        # 29 February in a common year, or the 31st of a 30-day month: the day after the
        # month's last is the 1st of the next (never January, as December has 31 days).
        return date(year, month + 2, 1)


def years_and_months_on(birth_date: date, day: date) -> tuple[int, int]:
    """Completed (years, months) on `day`, as the screening words a toddler's age ("1 an et
    11 mois"); a missing day of the month rolls to the 1st after. ValueError if the child
    is not born on `day`."""
    if day < birth_date:
        raise ValueError(f"birth date {birth_date} is after {day}")
    months = (day.year - birth_date.year) * 12 + day.month - birth_date.month
    if _monthiversary(birth_date, months) > day:
        months -= 1
    years, rest = divmod(months, 12)
    return years, rest
