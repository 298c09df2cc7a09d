"""The statistics page, GET /triage/statistiques: the programme's figures for a period, as
charts (inline SVG, drawn by templates/statistics/_charts.html from intake.statistics.charts)
and the tables they come from; printable on A4 (static/print.css).

Counts only, for every staff account, viewers too: no name, no free text. The route is the
triage blueprint's (its login guard), added to it by the application factory's import.
"""

from __future__ import annotations

from datetime import date

from flask import render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from intake.forms.dates import MONTH_NAMES
from intake.rules.clock import today
from intake.rules.statistics import FIRST_YEAR, Period, current_school_year
from intake.statistics import charts
from intake.statistics.figures import compute
from intake.statistics.forms import PeriodChoice, read_period
from intake.statistics.shapes import Breakdown, Month
from intake.triage.blueprint import bp

# What a breakdown counts (Breakdown.unit), as its table's column says it.
UNITS = {
    "referrals": _l("Orientations"),
    "children": _l("Enfants"),
    "decisions": _l("Décisions"),
    "actions": _l("Actions"),
    "objectives": _l("Objectifs"),
    "exits": _l("Sorties"),
}

# Under a column: five letters at most.
MONTH_ABBREVIATIONS = (
    _l("janv."),
    _l("févr."),
    _l("mars"),
    _l("avr."),
    _l("mai"),
    _l("juin"),
    _l("juil."),
    _l("août"),
    _l("sept."),
    _l("oct."),
    _l("nov."),
    _l("déc."),
)


# The years the form offers: the first a period may name to next year.
YEARS_AHEAD = 1


@bp.get("/statistiques")
def statistics():
    """The figures of the period the query string names (the current school year without
    one); a period that cannot be counted says why, on its field, over the default's figures."""
    day = today()
    choice = read_period(request.args, day)
    figures = compute(choice.period, day)
    return render_template(
        "statistics/page.html",
        errors=choice.errors,
        fields=form_values(choice, request.args),
        years=range(current_school_year(day).year + YEARS_AHEAD, FIRST_YEAR - 1, -1),
        figures=figures,
        workbook_url=workbook_url(choice.period),
        today=day,
        chart_of=chart_of,
        months_chart=months_chart(figures.months),
        units=UNITS,
        month_name=month_name,
    )


def form_values(choice: PeriodChoice, args) -> dict[str, str]:
    """What the period form shows: the period counted, or the months as typed when they
    could not be counted."""
    period = choice.period
    values = {"annee": str(period.year), "calendrier": "", "du": "", "au": ""}
    if period.kind == "calendar_year":
        values["calendrier"] = "1"
    elif period.kind == "months":
        values.update(du=period.start.strftime("%Y-%m"), au=period.end.strftime("%Y-%m"))
    if "du" in choice.errors or "au" in choice.errors:
        values.update(du=args.get("du", ""), au=args.get("au", ""))
    return values


def workbook_url(period: Period) -> str | None:
    """The ANCT workbook of the period's year, for coordinators (viewers do not export);
    none for a range of months: the workbook counts years."""
    if not current_user.can_edit or period.kind == "months":
        return None
    calendar = 1 if period.kind == "calendar_year" else None
    return url_for("triage.anct_workbook", annee=period.year, calendrier=calendar)


def month_name(month: date) -> str:
    """A month as the page names it: "septembre 2025"."""
    return f"{gettext(MONTH_NAMES[month.month - 1])} {month.year}"


def chart_of(breakdown: Breakdown) -> charts.BarChart:
    """A breakdown's chart: a bar a line."""
    return charts.bar_chart([(line.label, line.value) for line in breakdown.lines])


def months_chart(months: list[Month]) -> charts.ColumnChart:
    """Referrals and children received, month by month; the year under January and the
    first month."""
    return charts.column_chart(
        [month_name(m.month) for m in months],
        [
            (str(_l("Orientations")), [m.referrals for m in months]),
            (str(_l("Enfants")), [m.children for m in months]),
        ],
        short=[str(MONTH_ABBREVIATIONS[m.month.month - 1]) for m in months],
        notes=[
            str(m.month.year) if index == 0 or m.month.month == 1 else ""
            for index, m in enumerate(months)
        ],
    )
