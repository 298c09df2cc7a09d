"""A birth date typed as day, month and year: read it, or say which part is wrong and how."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from intake.i18n import N_
from intake.rules.text import unaccented

PARTS = ("day", "month", "year")
# ASCII digits only: str.isdigit() and int() also read "٣" or "²" (see intake.forms.children.INDEX).
SHORT_NUMBER = re.compile(r"[0-9]{1,2}")
YEAR = re.compile(r"[0-9]{4}")
TWO_DIGITS = re.compile(r"[0-9]{2}")
# Before this year a birth date is a typing slip (1916 for 2016), not a child.
EARLIEST_YEAR = 1990

# Marked for translation: a date that does not exist is named in the page's language.
MONTH_NAMES = (
    N_("janvier"),
    N_("février"),
    N_("mars"),
    N_("avril"),
    N_("mai"),
    N_("juin"),
    N_("juillet"),
    N_("août"),
    N_("septembre"),
    N_("octobre"),
    N_("novembre"),
    N_("décembre"),
)


def _plain(text: str) -> str:
    """Lower case without accents: "Février" and "fevrier" are the same month."""
    return unaccented(text).rstrip(".")


# A month may be written as people write it in letters (the GOV.UK pattern accepts it too):
# its name or a usual abbreviation, with or without accents.
MONTHS_IN_LETTERS = {
    **{_plain(name): number for number, name in enumerate(MONTH_NAMES, 1)},
    **{"janv": 1, "fevr": 2, "fev": 2, "avr": 4, "juil": 7, "sept": 9, "oct": 10, "nov": 11},
    "dec": 12,
}

# What is missing, by the parts left empty (in the order day, month, year).
MISSING = {
    ("day", "month", "year"): _l("Indiquez la date de naissance de l’enfant."),
    ("day",): _l("Indiquez le jour de naissance."),
    ("month",): _l("Indiquez le mois de naissance."),
    ("year",): _l("Indiquez l’année de naissance."),
    ("day", "month"): _l("Indiquez le jour et le mois de naissance."),
    ("day", "year"): _l("Indiquez le jour et l’année de naissance."),
    ("month", "year"): _l("Indiquez le mois et l’année de naissance."),
}
BAD_DAY = _l("Le jour doit être entre 1 et 31.")
BAD_MONTH = _l("Le mois doit être entre 1 et 12.")
BAD_YEAR = _l("L’année doit avoir 4 chiffres, par exemple 2015.")
SHORT_YEAR = N_("Écrivez l’année avec ses 4 chiffres : %(full)s et non %(short)s.")
NO_SUCH_DAY = N_("Le %(day)d %(month)s n’existe pas.")
NO_SUCH_LEAP_DAY = N_("Le 29 février %(year)d n’existe pas : %(year)d n’est pas bissextile.")
IN_FUTURE = _l("La date de naissance ne peut pas être dans le futur.")
TOO_OLD = _l("Vérifiez l’année de naissance.")


@dataclass(frozen=True)
class DateProblem:
    """Why a date cannot be read, and the inputs at fault (all three: the date as a whole)."""

    message: str
    parts: tuple[str, ...] = PARTS


def read_date(day: str, month: str, year: str, today: date) -> date | DateProblem:
    """The birth date written in three fields, or the first problem with it, naming the part.

    Surrounding spaces are ignored, leading zeros accepted ("04") and a month may be written
    in letters ("sept", "Février"), as people type them.
    """
    typed = {"day": day.strip(), "month": month.strip(), "year": year.strip()}
    missing = tuple(part for part in PARTS if not typed[part])
    if missing:
        return DateProblem(MISSING[missing], missing)
    if not SHORT_NUMBER.fullmatch(typed["day"]) or not 1 <= int(typed["day"]) <= 31:
        return DateProblem(BAD_DAY, ("day",))
    month_number = MONTHS_IN_LETTERS.get(_plain(typed["month"]))
    if month_number is None:
        if not SHORT_NUMBER.fullmatch(typed["month"]) or not 1 <= int(typed["month"]) <= 12:
            return DateProblem(BAD_MONTH, ("month",))
        month_number = int(typed["month"])
    if TWO_DIGITS.fullmatch(typed["year"]):
        short = int(typed["year"])
        # The century that makes the child born before today: 15 is 2015, 98 is 1998.
        full = 2000 + short if 2000 + short <= today.year else 1900 + short
        return DateProblem(_l(SHORT_YEAR, full=full, short=typed["year"]), ("year",))
    if not YEAR.fullmatch(typed["year"]):
        return DateProblem(BAD_YEAR, ("year",))
    day_number, year_number = int(typed["day"]), int(typed["year"])
    if year_number < EARLIEST_YEAR:
        return DateProblem(TOO_OLD, ("year",))
    if day_number > calendar.monthrange(year_number, month_number)[1]:
        if month_number == 2 and day_number == 29:
            return DateProblem(_l(NO_SUCH_LEAP_DAY, year=year_number), ("day",))
        name = MONTH_NAMES[month_number - 1]
        return DateProblem(_l(NO_SUCH_DAY, day=day_number, month=_l(name)), ("day",))
    born = date(year_number, month_number, day_number)
    return DateProblem(IN_FUTURE) if born > today else born


def birth_date_problem(born: date, today: date) -> DateProblem | None:
    """What is wrong with a date read whole (ISO or DD/MM/YYYY), as `read_date` says it."""
    if born > today:
        return DateProblem(IN_FUTURE)
    if born.year < EARLIEST_YEAR:
        return DateProblem(TOO_OLD, ("year",))
    return None
