"""State changes made from the queue."""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app

from intake.i18n import N_
from intake.models import Agreement, Assignment, Note, Referral, StatusChange, User
from intake.rules.workflow import FINAL, TransitionError, check_decision, check_transition
from intake.signals import status_changed


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


def change_status(
    referral: Referral,
    target: str,
    comment: str,
    user: User,
    *,
    reason: str | None = None,
    service: str | None = None,
    withdrawn_by: str | None = None,
    share_reason: bool = False,
) -> StatusChange:
    """Move `referral` to `target`, recording who, when, from, to and why (not committed):
    the comment, and for a decision its codes (reason, service, who withdrew) and whether the
    reason is told to the family and the referrer.

    Raises `TransitionError` and changes nothing when the move is not allowed.
    """
    new_status = check_transition(referral.status, target, comment)
    decision = check_decision(
        new_status,
        comment=comment,
        reason=reason,
        service=service,
        withdrawn_by=withdrawn_by,
        has_agreement=referral.has_agreement,
    )
    now = referral.touch(user)
    change = StatusChange(
        at=now,
        user_id=user.id,
        from_status=referral.status,
        to_status=new_status.value,
        comment=comment.strip(),
        reason=decision.reason,
        service=decision.service,
        withdrawn_by=decision.withdrawn_by,
        # Only a decision has a reason to share; a step forward or a reopening does not.
        share_reason=bool(share_reason) and new_status in FINAL and new_status.value != "closed",
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
    now = referral.touch(user)
    note = Note(at=now, user_id=user.id, text=text.strip())
    referral.notes.append(note)
    current_app.logger.info("note added reference=%s user_id=%s", referral.reference, user.id)
    return note


def record_agreement(
    referral: Referral, user: User, *, guardian_name: str, given_on: date, method: str, comment: str
) -> Agreement:
    """Record a legal representative's agreement to the programme (not committed)."""
    now = referral.touch(user)
    agreement = Agreement(
        guardian_name=guardian_name.strip(),
        given_on=given_on,
        method=method,
        comment=comment.strip(),
        recorded_at=now,
        recorded_by_id=user.id,
    )
    referral.agreements.append(agreement)
    current_app.logger.info(
        "agreement recorded reference=%s method=%s user_id=%s", referral.reference, method, user.id
    )
    return agreement


def withdraw_agreement(
    referral: Referral, agreement: Agreement, user: User, withdrawn_on: date
) -> Agreement:
    """Record that a legal representative withdrew their agreement (not committed).

    The agreement stays listed, marked withdrawn: what was agreed, and until when, is part of
    the referral's story. Raises `TransitionError` if it is already withdrawn.
    """
    if agreement.withdrawn_on is not None:
        raise TransitionError(N_("Cet accord est déjà retiré."), field="withdrawn_on")
    if withdrawn_on < agreement.given_on:
        raise TransitionError(
            N_("Un accord ne peut être retiré avant d’avoir été donné."), field="withdrawn_on"
        )
    now = referral.touch(user)
    agreement.withdrawn_on = withdrawn_on
    agreement.withdrawn_at = now
    agreement.withdrawn_by_id = user.id
    current_app.logger.info(
        "agreement withdrawn reference=%s agreement_id=%s user_id=%s",
        referral.reference,
        agreement.id,
        user.id,
    )
    return agreement


def assign(referral: Referral, to_user: User | None, by_user: User) -> Assignment | None:
    """Make `to_user` the référent of `referral` (None: nobody), recording who did it and when
    (not committed). Naming the référent it already has changes nothing and returns None.

    Raises `TransitionError` and changes nothing when `to_user` may not follow a case: only
    an active coordinator's account may (a viewer only reads).
    """
    if to_user is not None and not (to_user.active and to_user.can_edit):
        raise TransitionError(
            N_("Choisissez un membre de la coordination dont le compte est actif."),
            field="assigned_to",
        )
    # The relationship, not the column: the column lags until a flush.
    if referral.assigned_to is to_user:
        return None
    to_user_id = to_user.id if to_user is not None else None
    # The list is loaded (an autoflush) before the referral changes: one UPDATE, one version.
    assignment = Assignment(user_id=by_user.id, assigned_to=to_user)
    referral.assignments.append(assignment)
    assignment.at = referral.touch(by_user)
    referral.assigned_to = to_user
    current_app.logger.info(
        "assign reference=%s user_id=%s to_user_id=%s", referral.reference, by_user.id, to_user_id
    )
    return assignment
