"""State changes made from the queue."""

from __future__ import annotations

from flask import current_app

from ..models import Note, Referral, StatusChange, User, utcnow
from ..workflow import check_transition


def change_status(referral: Referral, target: str, comment: str, user: User) -> StatusChange:
    """Move `referral` to `target`, recording who, when, from, to and why (not committed).

    Raises `TransitionError` and changes nothing when the move is not allowed.
    """
    new_status = check_transition(referral.status, target, comment)
    now = utcnow()
    change = StatusChange(
        at=now,
        user_id=user.id,
        from_status=referral.status,
        to_status=new_status.value,
        comment=comment.strip(),
    )
    referral.history.append(change)
    referral.status = new_status.value
    referral.last_activity_at = now
    current_app.logger.info(
        "status changed reference=%s from=%s to=%s user_id=%s",
        referral.reference,
        change.from_status,
        change.to_status,
        user.id,
    )
    return change


def add_note(referral: Referral, text: str, user: User) -> Note:
    """Add a note to `referral` (not committed); it counts as activity for retention."""
    now = utcnow()
    note = Note(at=now, user_id=user.id, text=text.strip())
    referral.notes.append(note)
    referral.last_activity_at = now
    current_app.logger.info("note added reference=%s user_id=%s", referral.reference, user.id)
    return note
