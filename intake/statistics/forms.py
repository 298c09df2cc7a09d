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


def read_month(text: str, which: str) -> tuple[date | None, str | None]:
    """The first day of the month `text` writes (AAAA-MM), or the problem in words, named by
    `which` ("Mois de début"). A year outside those a period may name is refused as
    `annee=` refuses it (year 0 is no date, 9999's December has no month after it)."""
    match = MONTH.fullmatch(text.strip())
    if match is None or not 1 <= int(match[2]) <= 12:
        return None, gettext(
            "%(which)s : écrivez-le sous la forme AAAA-MM, par exemple 2025-09."
        ) % {"which": which}
    if not FIRST_YEAR <= int(match[1]) <= LAST_YEAR:
        message = gettext("%(which)s : l’année doit être comprise entre %(first)d et %(last)d.")
        return None, message % {"which": which, "first": FIRST_YEAR, "last": LAST_YEAR}
    return date(int(match[1]), int(match[2]), 1), None


def read_period(args: Mapping[str, str], today: date) -> PeriodChoice:
    """The period `args` name, else the current school year (calendar year with
    `calendrier=1`), with each problem named by its field."""
    errors: dict[str, str] = {}
    calendar = args.get("calendrier", "") in ("1", "on", "y")
    first, last = args.get("du", "").strip(), args.get("au", "").strip()
    if first or last:
        start, start_error = read_month(first, gettext("Mois de début"))
        end, end_error = read_month(last, gettext("Mois de fin"))
        errors.update(
            (field, error) for field, error in (("du", start_error), ("au", end_error)) if error
        )
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
