"""A family's data on request: /triage/<reference>/donnees (a page printed on A4) and
/triage/<reference>/donnees.json, for coordinators.

The routes are the triage blueprint's (its login guard), added to it as the child's page
adds its own (intake.parcours.views). Each use is a read of the referral in the log; the
read is recorded after the data are gathered, so the copy lists the reads before it.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from flask import Response, current_app, render_template
from flask_login import current_user

from intake.models import Referral
from intake.rgpd.operations import family_data
from intake.rules import decisions, parcours
from intake.rules.clock import today
from intake.rules.parcours import action_kinds
from intake.rules.vocabulary import format_date, format_datetime
from intake.triage.access import coordinator_required, get_referral
from intake.triage.audit import ReadKind, record_read
from intake.triage.blueprint import bp


def shown_date(value: str | None) -> str:
    """An ISO date of the data as the page says it (07/12/2026), "—" when there is none."""
    return format_date(date.fromisoformat(value)) if value else "—"


def shown_datetime(value: str | None) -> str:
    """An ISO time of the data as the page says it, in Paris time, "—" when there is none."""
    return format_datetime(datetime.fromisoformat(value)) if value else "—"


@bp.app_template_global()
def printed_on() -> str:
    """Today as a printed sheet's footer dates it (07/12/2026), Paris time."""
    return format_date(today())


def read_family_data(reference: str, kind: str) -> tuple[Referral, dict[str, Any]]:
    """The referral of `reference` (404 if unknown or anonymised) and its family's data, the
    read logged as `kind` once they are gathered: the copy lists the reads before it."""
    referral = get_referral(reference)
    data = family_data(referral)
    record_read(current_user, kind, [referral.reference])
    return referral, data


@bp.get("/<reference>/donnees")
@coordinator_required
def family_data_page(reference: str):
    """Everything held about the referral's family, in words, to print and hand over."""
    referral, data = read_family_data(reference, ReadKind.DATA)
    return render_template(
        "rgpd/data.html",
        referral=referral,
        data=data,
        shown_date=shown_date,
        shown_datetime=shown_datetime,
        decisions=decisions,
        pv=parcours,
        # The territory's own kinds of action too, as the child's page names them.
        action_kinds=action_kinds(
            (kind.code, kind.name) for kind in current_app.extensions["territory"].action_kinds
        ),
    )


@bp.get("/<reference>/donnees.json")
@coordinator_required
def family_data_json(reference: str):
    """The same data as a JSON file: codes, not labels; ISO 8601 dates."""
    referral, data = read_family_data(reference, ReadKind.DATA_JSON)
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f"attachment; filename={referral.reference}.json"},
    )
