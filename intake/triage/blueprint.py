"""The staff blueprint that the triage views add their routes to: login, stale changes."""

from __future__ import annotations

from flask import Blueprint, request
from flask_login import login_required
from sqlalchemy.orm.exc import StaleDataError

from intake.extensions import db
from intake.triage.access import get_referral
from intake.triage.detail_page import refuse_stale_change
from intake.triage.operations import StaleVersion

bp = Blueprint("triage", __name__)


@bp.before_request
@login_required
def require_login() -> None:
    """Every staff page needs a logged-in account; anonymous visitors go to /connexion."""


# A change sent from a page older than the referral, from any of the blueprint's forms,
# answers 409 with the referral as it now stands (detail_page.refuse_stale_change).
bp.register_error_handler(StaleVersion, refuse_stale_change)


@bp.errorhandler(StaleDataError)
def refuse_lost_race(error: StaleDataError):
    """Someone else's change was committed between our read and our write: SQLAlchemy's
    version check refused our UPDATE (at commit, or at an autoflush on the way). The same
    refusal as a stale form."""
    db.session.rollback()
    return refuse_stale_change(StaleVersion(get_referral(request.view_args["reference"])))
