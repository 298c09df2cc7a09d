"""A referral's own fiche de liaison, /triage/<reference>/fiche: the `fiches` blueprint.

A blueprint of its own, mounted under /triage next to the referral's detail page; it needs a
login, and a coordinator.
"""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user, login_required

from intake.meetings.fiches import render_fiches
from intake.rules.clock import today
from intake.triage.access import coordinator_required, get_referral
from intake.triage.audit import ReadKind, record_read

bp = Blueprint("fiches", __name__)


@bp.before_request
@login_required
def require_login_for_fiches() -> None:
    """The fiche needs a logged-in account (and a coordinator, below)."""


@bp.get("/<reference>/fiche")
@coordinator_required
def fiche(reference: str):
    """One referral's fiche de liaison; ages today."""
    referral = get_referral(reference)
    record_read(current_user, ReadKind.FICHE, [referral.reference])
    return render_fiches([referral], today(), None)
