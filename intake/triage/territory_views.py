"""The coordinator's view of the territory file: what it holds, what it lacks, and where an
address lies (`GET /triage/territoire?adresse=…`). Read only, for every staff account: the
page shows the file, nothing a family wrote."""

from __future__ import annotations

from flask import current_app, render_template, request

from intake.rules.clock import today
from intake.rules.territory_summary import (
    build_command,
    gaps,
    place,
    schools_by_network,
    street_counts,
)
from intake.triage.blueprint import bp
from intake.triage.forms import PlaceForm


@bp.get("/territoire")
def territory():
    """The communes, QPVs with their streets, schools by network, sources and their dates,
    what the file lacks, and the form that places an address with the entry that decided.

    The address travels in the query string (a GET form, so that a result has an address of
    its own): the app logs no request's query string, and the page is sent `no-store` as
    every page is."""
    territory = current_app.extensions["territory"]
    asked = "adresse" in request.args
    form = PlaceForm(formdata=request.args if asked else None)
    placement = None
    if asked and form.validate() and form.adresse.data:
        placement = place(form.adresse.data, territory)
    day = today()
    return render_template(
        "triage/territory.html",
        form=form,
        placement=placement,
        gaps=gaps(territory, day),
        counts={qpv.code: street_counts(qpv) for qpv in territory.qpvs},
        networks=schools_by_network(territory.schools),
        build_command=build_command(territory),
        today=day,
    )
