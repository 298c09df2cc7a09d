"""State changes made from the queue."""

from __future__ import annotations

from datetime import datetime

from blinker import Namespace
from flask import current_app

from ..models import Note, Referral, StatusChange, User, utcnow
from ..workflow import check_transition

signals = Namespace()
# Sent by change_status with `change` (the StatusChange, flushed) once a move is recorded, in
# the same transaction: the notifications queue their e-mails from it.
status_changed = signals.signal("status-changed")


class StaleVersion(Exception):
    """A change was made on a page read before someone else's change: it is refused."""

    def __init__(self, referral: Referral) -> None:
        super().__init__(referral.reference)
        self.referral = referral
        self.by: User | None = referral.updated_by
        self.at: datetime = referral.last_activity_at


def check_version(referral: Referral, submitted: str | int | None) -> None:
    """Raise StaleVersion unless `submitted` (the form's hidden `version`) is the current one.

    A missing or unreadable version counts as stale: a form that does not say what it saw
    cannot be trusted not to overwrite something.
    """
    text = str(submitted or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) < 10) or int(text) != referral.version:
        raise StaleVersion(referral)


def touch(referral: Referral, user: User, now: datetime | None = None) -> datetime:
    """Record that `user` changed `referral` now: its activity date, its author, and through
    the UPDATE this makes, its version (SQLAlchemy's version counter)."""
    now = now or utcnow()
    referral.last_activity_at = now
    referral.updated_by_id = user.id
    return now


def change_status(referral: Referral, target: str, comment: str, user: User) -> StatusChange:
    """Move `referral` to `target`, recording who, when, from, to and why (not committed).

    Raises `TransitionError` and changes nothing when the move is not allowed.
    """
    new_status = check_transition(referral.status, target, comment)
    now = touch(referral, user)
    change = StatusChange(
        at=now,
        user_id=user.id,
        from_status=referral.status,
        to_status=new_status.value,
        comment=comment.strip(),
    )
    referral.history.append(change)
    referral.status = new_status.value
    current_app.logger.info(
        "status changed reference=%s from=%s to=%s user_id=%s",
        referral.reference,
        change.from_status,
        change.to_status,
        user.id,
    )
    status_changed.send(current_app._get_current_object(), referral=referral, change=change)
    return change


def add_note(referral: Referral, text: str, user: User) -> Note:
    """Add a note to `referral` (not committed); it counts as activity for retention."""
    now = touch(referral, user)
    note = Note(at=now, user_id=user.id, text=text.strip())
    referral.notes.append(note)
    current_app.logger.info("note added reference=%s user_id=%s", referral.reference, user.id)
    return note
