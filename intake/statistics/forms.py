"""The period a statistics request asks for, read from its query string: a school year
(`annee=YYYY`), a calendar year (`annee=YYYY&calendrier=1`) or a range of months
(`du=YYYY-MM&au=YYYY-MM`). What cannot be read is named, and the default period is used."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from intake.i18n import gettext
from intake.rules.statistics import (
    FIRST_YEAR,
    LAST_YEAR,
    Period,
    PeriodError,
    month_range,
    period_for,
)

YEAR = re.compile(r"[0-9]{4}")
MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


@dataclass(frozen=True)
class PeriodChoice:
    """The period read, and the problems met on the way, by field (`annee`, `du`, `au`)."""

    period: Period
    errors: dict[str, str]


def read_month(text: str) -> date | None:
    match = MONTH.fullmatch(text.strip())
    # Outside the years a period may name, as `annee=` (year 0 is no date, 9999's December
    # has no month after it).
    if (
        match is None
        or not 1 <= int(match[2]) <= 12
        or not FIRST_YEAR <= int(match[1]) <= LAST_YEAR
    ):
        return None
    return date(int(match[1]), int(match[2]), 1)


def read_period(args: Mapping[str, str], today: date) -> PeriodChoice:
    """The period `args` name, else the current school year (calendar year with
    `calendrier=1`), with each problem named by its field."""
    errors: dict[str, str] = {}
    calendar = args.get("calendrier", "") in ("1", "on", "y")
    first, last = args.get("du", "").strip(), args.get("au", "").strip()
    if first or last:
        start, end = read_month(first), read_month(last)
        if start is None:
            errors["du"] = gettext("Mois de début : écrivez-le sous la forme AAAA-MM.")
        if end is None:
            errors["au"] = gettext("Mois de fin : écrivez-le sous la forme AAAA-MM.")
        if start is not None and end is not None:
            try:
                return PeriodChoice(month_range(start, end), errors)
            except PeriodError as error:
                errors["au"] = str(error)
        return PeriodChoice(period_for(None, calendar, today), errors)
    text = args.get("annee", "").strip()
    year = None
    if text:
        if YEAR.fullmatch(text):
            year = int(text)
        else:
            errors["annee"] = gettext("Année : écrivez-la en quatre chiffres, par exemple 2025.")
    try:
        return PeriodChoice(period_for(year, calendar, today), errors)
    except PeriodError as error:
        errors["annee"] = str(error)
        return PeriodChoice(period_for(None, calendar, today), errors)
