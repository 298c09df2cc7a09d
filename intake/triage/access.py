"""Staff access helpers: the coordinator-only decorator, a referral by reference or 404."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from intake.extensions import db
from intake.models import Referral


def coordinator_required(view):
    """Refuse changes and exports (403) to accounts that may only read."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.can_edit:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def get_referral(reference: str) -> Referral:
    """The referral with this reference, or 404 (also when it was anonymised: nothing of the
    case is left to show or change, and its figures need no page)."""
    referral = db.session.scalar(
        select(Referral).where(Referral.reference == reference, Referral.anonymised_at.is_(None))
    )
    if referral is None:
        abort(404)
    return referral
