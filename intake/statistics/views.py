"""The statistics page, GET /triage/statistiques: the programme's figures for a period, as
charts (inline SVG, drawn by templates/statistics/_charts.html from intake.statistics.charts)
and the tables they come from; printable on A4 (static/print.css).

Counts only, for every staff account, viewers too: no name, no free text. The route is the
triage blueprint's (its login guard), added to it by the application factory's import.
"""

from __future__ import annotations

from datetime import date

from flask import current_app, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from intake.rules.clock import today
from intake.rules.statistics import Period, current_school_year
from intake.statistics import charts
from intake.statistics.forms import PeriodForm
from intake.statistics.shapes import Breakdown, Figures, Month
from intake.triage.blueprint import bp

try:
    from intake.statistics.figures import compute
except ImportError:  # pragma: no cover - until the aggregation lands on this branch

    def compute(period: Period, today: date) -> Figures:
        return Figures(period=period, as_of=period.as_of(today))


# The ANCT workbook of the period's year (coordinators only): linked when the route exists.
WORKBOOK = "triage.anct_workbook"

# What a breakdown counts (Breakdown.unit), as its table's column says it.
UNITS = {
    "referrals": _l("Orientations"),
    "children": _l("Enfants"),
    "decisions": _l("Décisions"),
    "actions": _l("Actions"),
    "objectives": _l("Objectifs"),
    "exits": _l("Sorties"),
}

MONTH_NAMES = (
    _l("janvier"),
    _l("février"),
    _l("mars"),
    _l("avril"),
    _l("mai"),
    _l("juin"),
    _l("juillet"),
    _l("août"),
    _l("septembre"),
    _l("octobre"),
    _l("novembre"),
    _l("décembre"),
)
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


@bp.get("/statistiques")
def statistics():
    """The figures of the period the query string names (the current school year without
    one); a period that cannot be counted says why, on the form, over the default's figures."""
    day = today()
    default = current_school_year(day)
    form = PeriodForm(formdata=request.args, annee=str(default.year))
    period = form.period(day) or default
    figures = compute(period, day)
    return render_template(
        "statistics/page.html",
        form=form,
        figures=figures,
        default=default,
        workbook_url=workbook_url(period),
        today=day,
        chart_of=chart_of,
        months_chart=months_chart(figures.months),
        units=UNITS,
        month_name=month_name,
    )


def workbook_url(period: Period) -> str | None:
    """The ANCT workbook of the period's year, for coordinators; none for a range of months
    (the workbook counts years) or before the workbook's route exists."""
    if (
        not current_user.can_edit
        or period.kind == "months"
        or WORKBOOK not in current_app.view_functions
    ):
        return None
    calendar = 1 if period.kind == "calendar_year" else None
    return url_for(WORKBOOK, annee=period.year, calendrier=calendar)


def month_name(month: date) -> str:
    """A month as the page names it: "septembre 2025"."""
    return f"{MONTH_NAMES[month.month - 1]} {month.year}"


def chart_of(breakdown: Breakdown) -> charts.BarChart | charts.ColumnChart:
    """A breakdown's chart as it asks to be drawn: a bar a line, or a column a line."""
    if breakdown.chart == "columns":
        return charts.column_chart(
            [line.label for line in breakdown.lines],
            [
                (
                    str(UNITS.get(breakdown.unit, breakdown.title)),
                    [line.value for line in breakdown.lines],
                )
            ],
        )
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
