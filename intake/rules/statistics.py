"""What the programme's figures count, in pure rules: the periods they cover, the age bands,
who referred a child in the ANCT's words, how long a parcours lasted, and how a small count
is masked in a file shared outside the programme (contract, "The ANCT workbook")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median

from intake.i18n import _l, gettext
from intake.rules.ages import age_on

# The school year starts on 1 September (contract: `annee=YYYY`).
SCHOOL_YEAR_MONTH = 9

# The age bands the survey counts, on the first day of the period, and the lower bound of
# each (the first takes every child younger than 6: a child supported the year it turns 2
# may be 1 on the first day).
AGE_BANDS: dict[str, str] = {
    "2_5": _l("2 à 5 ans"),
    "6_10": _l("6 à 10 ans"),
    "11_16": _l("11 à 16 ans"),
    "17_plus": _l("17 ans et plus"),
}
_AGE_FLOORS = (("17_plus", 17), ("11_16", 11), ("6_10", 6), ("2_5", -1))

# Who referred a child, as the survey groups them (contract, `referred_by_*`).
REFERRER_GROUPS: dict[str, str] = {
    "school": _l("Éducation nationale"),
    "social": _l("Action sociale, jeunesse"),
    "health": _l("Santé (PMI)"),
    "family": _l("La famille elle-même"),
    "other": _l("Autre"),
}
_GROUP_OF_ROLE = {
    **dict.fromkeys(
        (
            "teacher",
            "head_teacher",
            "cpe",
            "rased",
            "school_nurse_doctor",
            "school_social_worker",
        ),
        "school",
    ),
    "social_worker": "social",
    "youth_worker": "social",
    "pmi": "health",
}

# How long parcours lasted, in bands of days: (code, label, first day of the band).
DURATION_BANDS: tuple[tuple[str, str, int], ...] = (
    ("under_3m", _l("Moins de 3 mois"), 0),
    ("3_6m", _l("3 à 6 mois"), 91),
    ("6_12m", _l("6 à 12 mois"), 183),
    ("12_24m", _l("1 à 2 ans"), 365),
    ("24m_plus", _l("2 ans et plus"), 730),
)

# Counts from 1 to 4 are written this way with `--mask-small` (contract).
MASK = "<5"
SMALL = 5


class PeriodError(ValueError):
    """A period asked for that cannot be counted (its message says why, in words)."""


@dataclass(frozen=True)
class Period:
    """The days the figures cover, both ends included, and how to name them."""

    kind: str  # "school_year", "calendar_year" or "months"
    start: date
    end: date

    @property
    def label(self) -> str:
        if self.kind == "school_year":
            return gettext("année scolaire %(first)d-%(second)d") % {
                "first": self.start.year,
                "second": self.end.year,
            }
        if self.kind == "calendar_year":
            return gettext("année civile %(year)d") % {"year": self.start.year}
        return gettext("du %(start)s au %(end)s") % {
            "start": self.start.strftime("%d/%m/%Y"),
            "end": self.end.strftime("%d/%m/%Y"),
        }

    @property
    def year(self) -> int:
        """The year the period is named by (`annee=`): its first day's."""
        return self.start.year

    def months(self) -> list[date]:
        """The first day of each month the period covers, in order."""
        months, month = [], self.start.replace(day=1)
        while month <= self.end:
            months.append(month)
            month = next_month(month)
        return months

    def as_of(self, today: date) -> date:
        """The day "on the last day" means: the last day, or today while the period runs."""
        return min(self.end, max(today, self.start))

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def school_year(year: int) -> Period:
    """1 September `year` to 31 August `year + 1`."""
    return Period("school_year", date(year, SCHOOL_YEAR_MONTH, 1), date(year + 1, 8, 31))


def calendar_year(year: int) -> Period:
    return Period("calendar_year", date(year, 1, 1), date(year, 12, 31))


def month_range(first: date, last: date) -> Period:
    """From the first day of `first`'s month to the last day of `last`'s."""
    if last < first:
        raise PeriodError(gettext("Le mois de fin précède le mois de début."))
    start = first.replace(day=1)
    end = next_month(last.replace(day=1)) - timedelta(days=1)
    if (end.year - start.year) * 12 + end.month - start.month >= 36:
        raise PeriodError(gettext("Une période couvre au plus 36 mois."))
    return Period("months", start, end)


def current_school_year(today: date) -> Period:
    """The school year `today` falls in."""
    return school_year(today.year if today.month >= SCHOOL_YEAR_MONTH else today.year - 1)


# Years a period may name: before the programmes existed (2005) or far ahead is a typo.
FIRST_YEAR, LAST_YEAR = 2005, 2100


def period_for(year: int | None, calendar: bool, today: date) -> Period:
    """The period `annee=` and `calendrier=1` name (the current school year or calendar year
    without a year)."""
    if year is None:
        return calendar_year(today.year) if calendar else current_school_year(today)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodError(
            gettext("L’année doit être comprise entre %(first)d et %(last)d.")
            % {"first": FIRST_YEAR, "last": LAST_YEAR}
        )
    return calendar_year(year) if calendar else school_year(year)


def age_band(birth_date: date, on: date) -> str:
    """The survey's age band of a child born `birth_date`, on the day `on`."""
    age = age_on(birth_date, on)
    return next(code for code, floor in _AGE_FLOORS if age >= floor)


def referrer_group(source: str, role: str | None) -> str:
    """Who referred the child, as the survey counts it: a request made at `/demande` is the
    family's; an orientation is its sender's role's group."""
    if source == "parent":
        return "family"
    return _GROUP_OF_ROLE.get(role or "", "other")


def duration_band(days: int) -> str:
    return next(code for code, _, first in reversed(DURATION_BANDS) if days >= first)


def median_days(values: Sequence[int]) -> float | None:
    """The median of a list of days (None for none): halves kept, as a figure to report."""
    return float(median(values)) if values else None


def mean_days(values: Sequence[int]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def masked(value: int | float | None, mask: bool) -> int | float | str | None:
    """`value` as a shared file writes it: counts from 1 to 4 as "<5" when `mask`."""
    if mask and isinstance(value, int) and not isinstance(value, bool) and 0 < value < SMALL:
        return MASK
    return value


def born_by(age: int, on: date) -> date:
    """The last birth date of a child `age` or older on `on`: a child born that day or before
    is (`age_on`), so age bands are counted by comparing birth dates, in SQL. A 29 February
    goes back to the 28th in a common year, as `age_on` counts it."""
    try:
        return on.replace(year=on.year - age)
    except ValueError:
        return on.replace(year=on.year - age, day=28)


def age_thresholds(on: date) -> list[tuple[str, date]]:
    """Each band but the youngest with the last birth date it takes, oldest first: a child
    is in the first band whose date is on or after its birth date, else in "2_5"."""
    return [(code, born_by(floor, on)) for code, floor in _AGE_FLOORS if floor >= 0]
