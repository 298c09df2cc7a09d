"""The ANCT survey's workbook, for coordinators: `GET /triage/statistiques/anct.xlsx`."""

from __future__ import annotations

from flask import Response, current_app, render_template, request
from flask_babel import gettext

from intake.rules.clock import today
from intake.statistics.anct import CONTENT_TYPE, filename, workbook
from intake.statistics.figures import compute
from intake.statistics.forms import read_period
from intake.triage.access import coordinator_required
from intake.triage.blueprint import bp


@bp.get("/statistiques/anct.xlsx")
@coordinator_required
def anct_workbook():
    """The workbook of `annee` (school year, or calendar year with `calendrier=1`); counts
    from 1 to 4 masked with `masquer=1`. A period that cannot be read is a 400 naming it:
    a file of another period than the one asked for would be worse than none."""
    day = today()
    choice = read_period(request.args, day)
    if choice.errors:
        message = " ".join(choice.errors.values())
        title = gettext("Période incorrecte")
        return render_template("errors/error.html", title=title, message=message), 400
    figures = compute(choice.period, day)
    content = workbook(
        figures,
        current_app.extensions["territory"],
        day,
        mask=request.args.get("masquer", "") in ("1", "on", "y"),
    )
    return Response(
        content,
        mimetype=CONTENT_TYPE,
        headers={"Content-Disposition": f"attachment; filename={filename(figures)}"},
    )
