"""The statistics page's choice of period, read from its query string: a school or calendar
year (`annee=YYYY`, `calendrier=1`), or a range of months (`du=YYYY-MM`, `au=YYYY-MM`)."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField

from intake.forms.base import BaseForm
from intake.forms.fields import options
from intake.rules.statistics import (
    FIRST_YEAR,
    LAST_YEAR,
    Period,
    PeriodError,
    current_school_year,
    month_range,
    period_for,
)

YEAR = re.compile(r"[0-9]{4}")
MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
# The years the select offers: the programme's first possible one to next year.
YEARS_AHEAD = 1


class PeriodForm(BaseForm):
    """Two GET forms of the page in one: the year and its kind, or the months. Nothing is
    changed, so no CSRF token."""

    class Meta:
        csrf = False

    annee = SelectField(_l("Année"), validate_choice=False)
    calendrier = SelectField(
        _l("Type d’année"),
        choices=options(
            [
                ("", _l("scolaire (septembre à août)")),
                ("1", _l("civile (janvier à décembre)")),
            ]
        ),
        validate_choice=False,
    )
    du = StringField(
        _l("Premier mois"),
        description=_l("Au format AAAA-MM, par exemple 2026-01."),
        render_kw={"type": "month", "autocomplete": "off"},
    )
    au = StringField(
        _l("Dernier mois"),
        description=_l("Au format AAAA-MM, par exemple 2026-06."),
        render_kw={"type": "month", "autocomplete": "off"},
    )

    def period(self, today: date) -> Period | None:
        """The period asked for (the current school year when nothing is), or None with the
        fields at fault carrying their message."""
        default = current_school_year(today)
        years = range(default.year + YEARS_AHEAD, FIRST_YEAR - 1, -1)
        self.annee.choices = options((str(year), str(year)) for year in years)
        if self.du.data or self.au.data:
            return self.months()
        return self.year(today)

    def year(self, today: date) -> Period | None:
        calendar = self.calendrier.data or ""
        if calendar not in ("", "0", "1"):
            self.calendrier.errors = [_l("Choisissez une année scolaire ou une année civile.")]
            return None
        year = None
        if self.annee.data:
            if not YEAR.fullmatch(self.annee.data):
                self.annee.errors = [_l("L’année s’écrit avec quatre chiffres, par exemple 2025.")]
                return None
            year = int(self.annee.data)
        try:
            return period_for(year, calendar == "1", today)
        except PeriodError as error:
            self.annee.errors = [str(error)]
            return None

    def months(self) -> Period | None:
        first, last = self.month(self.du), self.month(self.au)
        if first is None or last is None:
            return None
        try:
            return month_range(first, last)
        except PeriodError as error:
            self.au.errors = [str(error)]
            return None

    @staticmethod
    def month(field: StringField) -> date | None:
        """The first day of the month `field` names, or None with its message."""
        match = MONTH.fullmatch(field.data or "")
        if not field.data:
            field.errors = [_l("Indiquez aussi ce mois, au format AAAA-MM.")]
        elif match is None or not 1 <= int(match.group(2)) <= 12:
            field.errors = [_l("Ce mois s’écrit AAAA-MM, par exemple 2026-01.")]
        elif not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
            field.errors = [_l("Ce mois est hors des années que le programme peut compter.")]
        else:
            return date(int(match.group(1)), int(match.group(2)), 1)
        return None
