"""Changes of a child's parcours. Like the triage operations, these flush and log and leave
the commit to the caller; each touches the child's referral, whose version guards the forms.
"""

from __future__ import annotations

from datetime import date

from flask import current_app

from intake.models import Child, Parcours, User, utcnow
from intake.rules.clock import today
from intake.rules.parcours import Exit


def open_parcours(child: Child, user: User, on: date | None = None) -> Parcours:
    """Open `child`'s parcours on the day of the decision (not committed), followed by the
    referral's référent if it has one. A child has one parcours: one already open is kept."""
    if child.parcours is not None:
        return child.parcours
    referral = child.referral
    child.parcours = Parcours(
        referral_id=referral.id,
        entered_on=on or today(),
        opened_by_id=user.id,
        referent_id=referral.assigned_to_id,
    )
    current_app.logger.info(
        "parcours opened reference=%s child=%s user_id=%s",
        referral.reference,
        child.number,
        user.id,
    )
    return child.parcours


def record_exit(parcours: Parcours, user: User, exit_: Exit, comment: str) -> None:
    """Write a checked exit on `parcours` (the child's status is the caller's: see
    intake.triage.operations.end_parcours), not committed."""
    parcours.ended_on = exit_.ended_on
    parcours.exit_reason = exit_.reason
    parcours.exit_service = exit_.service
    parcours.exit_comment = comment.strip()
    parcours.ended_at = utcnow()
    parcours.ended_by_id = user.id
    current_app.logger.info(
        "parcours ended reference=%s child=%s reason=%s user_id=%s",
        parcours.child.referral.reference,
        parcours.child.number,
        exit_.reason,
        user.id,
    )
