"""State changes made from the queue."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext

from intake.i18n import N_
from intake.models import (
    Agreement,
    AgreementChild,
    Assignment,
    Child,
    Note,
    Referral,
    StatusChange,
    User,
)
from intake.parcours.operations import open_parcours, record_exit
from intake.rules.clock import local_date
from intake.rules.parcours import check_exit
from intake.rules.vocabulary import format_date
from intake.rules.workflow import (
    FINAL,
    Decision,
    Status,
    TransitionError,
    applies_to,
    check_decision,
    check_transition,
)
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


@contextmanager
def about(child: Child, several: bool) -> Iterator[None]:
    """A refusal raised within, said of `child` when its referral has several."""
    try:
        yield
    except TransitionError as error:
        if several:
            error.about_child(child.number)
        raise


def children_moving(
    referral: Referral, target: str, comment: str, numbers: Collection[int] | None = None
) -> list[Child]:
    """The children a move to `target` is for: those numbered `numbers` (1 to 4, as the page
    shows them), or when none is given, every child the move applies to.

    Raises `TransitionError` when a number names no child, when a named child may not make
    the move, or when none may (said of the first child, as for a referral of one).
    """
    several = len(referral.children) > 1
    if numbers:
        chosen = chosen_children(referral, numbers)
    else:
        chosen = [c for c in referral.children if applies_to(c.status, target)]
        chosen = chosen or referral.children[:1]
    for child in chosen:
        with about(child, several):
            check_transition(child.status, target, comment)
    return chosen


def check_status_change(
    referral: Referral,
    target: str,
    comment: str,
    *,
    children: Collection[int] | None = None,
    reason: str | None = None,
    service: str | None = None,
    withdrawn_by: str | None = None,
) -> tuple[list[Child], Decision]:
    """The children a move to `target` is for and what it records, checked as `change_status`
    checks them, changing nothing: the confirmation step asks only about a move allowed."""
    moving = children_moving(referral, target, comment, children)
    several = len(referral.children) > 1
    decision = Decision()
    for child in moving:
        with about(child, several):
            decision = check_decision(
                Status(target),
                comment=comment,
                reason=reason,
                service=service,
                withdrawn_by=withdrawn_by,
                has_agreement=child.has_agreement,
            )
    return moving, decision


def change_status(
    referral: Referral,
    target: str,
    comment: str,
    user: User,
    *,
    children: Collection[int] | None = None,
    reason: str | None = None,
    service: str | None = None,
    withdrawn_by: str | None = None,
    share_reason: bool = False,
) -> list[StatusChange]:
    """Move the children numbered `children` (None: every child the move applies to) to
    `target`, recording for each who, when, from, to and why (not committed): the comment,
    and for a decision its codes (reason, service, who withdrew) and whether the reason is
    told to the family and the referrer. The referral's status follows its children's;
    a child accepted opens its parcours, dated from the decision.

    Raises `TransitionError` and changes nothing when the move is not allowed for one of
    them (`accepted` for a child no standing agreement covers, among others).
    """
    moving, decision = check_status_change(
        referral,
        target,
        comment,
        children=children,
        reason=reason,
        service=service,
        withdrawn_by=withdrawn_by,
    )
    new_status = Status(target)
    now = referral.touch(user)
    changes = []
    for child in moving:
        change = StatusChange(
            at=now,
            user_id=user.id,
            child=child,
            from_status=child.status,
            to_status=new_status.value,
            comment=comment.strip(),
            reason=decision.reason,
            service=decision.service,
            withdrawn_by=decision.withdrawn_by,
            # Only a decision has a reason to share; a step forward or a reopening does not.
            share_reason=bool(share_reason)
            and new_status in FINAL
            and new_status is not Status.CLOSED,
        )
        referral.history.append(change)
        child.status = new_status.value
        if new_status is Status.ACCEPTED:
            open_parcours(child, user, local_date(now))
        changes.append(change)
    previous = referral.status
    referral.derive_status()
    current_app.logger.info(
        "status changed reference=%s children=%s from=%s to=%s referral=%s user_id=%s",
        referral.reference,
        ",".join(str(child.number) for child in moving),
        ",".join(sorted({change.from_status or "" for change in changes})),
        new_status.value,
        referral.status,
        user.id,
    )
    status_changed.send(
        current_app._get_current_object(),
        referral=referral,
        change=changes[0],
        changes=changes,
        previous=previous,
    )
    return changes


def add_note(referral: Referral, text: str, user: User) -> Note:
    """Add a note to `referral` (not committed); it counts as activity for retention."""
    now = referral.touch(user)
    note = Note(at=now, user_id=user.id, text=text.strip())
    referral.notes.append(note)
    current_app.logger.info("note added reference=%s user_id=%s", referral.reference, user.id)
    return note


def chosen_children(referral: Referral, numbers: Collection[int] | None) -> list[Child]:
    """The children numbered `numbers` (1 to 4), or all of them when none is given.

    Raises `TransitionError` when a number names no child of the referral."""
    if not numbers:
        return list(referral.children)
    chosen = []
    for number in sorted(set(numbers)):
        child = referral.child_at(number)
        if child is None:
            raise TransitionError(
                N_("Ce dossier n’a pas d’enfant n° %(number)s."),
                field="children",
                number=str(number),
            )
        chosen.append(child)
    return chosen


def record_agreement(
    referral: Referral,
    user: User,
    *,
    guardian_name: str,
    given_on: date,
    method: str,
    comment: str,
    children: Collection[int] | None = None,
) -> Agreement:
    """Record a legal representative's agreement to the programme for the children numbered
    `children` (None: all of them), not committed. Raises `TransitionError` for a number
    that names no child."""
    covered = chosen_children(referral, children)
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
    # Once the agreement belongs to the session (through its referral), not before: each
    # cover joins the child's list too, and an autoflush must find it there.
    for child in covered:
        agreement.covers.append(AgreementChild(child=child))
    current_app.logger.info(
        "agreement recorded reference=%s children=%s method=%s user_id=%s",
        referral.reference,
        ",".join(str(child.number) for child in covered),
        method,
        user.id,
    )
    return agreement


# The history's words for a parcours that ends because its agreement was withdrawn.
AGREEMENT_WITHDRAWN = N_("Accord de la famille retiré le %(day)s : fin du parcours.")


def withdraw_agreement(
    referral: Referral,
    agreement: Agreement,
    user: User,
    withdrawn_on: date,
    children: Collection[int] | None = None,
) -> Agreement:
    """Record that a legal representative withdrew their agreement for the children numbered
    `children` (None: every child it still covers), not committed.

    The agreement stays listed, marked withdrawn for them: what was agreed, and until when,
    is part of the referral's story; once withdrawn for all its children, it is withdrawn.
    A child accepted that no other agreement covers any more leaves the programme: its
    parcours ends on that day (`family_ended`) and it is `closed`, as a child is accepted only
    while an agreement stands. Raises `TransitionError` if it is already withdrawn for them.
    """
    if withdrawn_on < agreement.given_on:
        raise TransitionError(
            N_("Un accord ne peut être retiré avant d’avoir été donné."), field="withdrawn_on"
        )
    standing = [cover for cover in agreement.covers if cover.withdrawn_on is None]
    if children:
        numbers = {child.number for child in chosen_children(referral, children)}
        standing = [cover for cover in standing if cover.child.number in numbers]
    if not standing:
        raise TransitionError(N_("Cet accord est déjà retiré."), field="withdrawn_on")
    now = referral.touch(user)
    for cover in standing:
        cover.withdrawn_on = withdrawn_on
        cover.withdrawn_at = now
        cover.withdrawn_by_id = user.id
    if all(cover.withdrawn_on is not None for cover in agreement.covers):
        agreement.withdrawn_on = withdrawn_on
        agreement.withdrawn_at = now
        agreement.withdrawn_by_id = user.id
    current_app.logger.info(
        "agreement withdrawn reference=%s agreement_id=%s children=%s user_id=%s",
        referral.reference,
        agreement.id,
        ",".join(str(cover.child.number) for cover in standing),
        user.id,
    )
    leaving = [
        cover.child
        for cover in standing
        if cover.child.status == Status.ACCEPTED and not cover.child.has_agreement
    ]
    for child in leaving:
        entered_on = child.parcours.entered_on if child.parcours is not None else withdrawn_on
        end_parcours(
            child,
            user,
            # A withdrawal recorded late may predate the acceptance: the parcours then ends
            # the day it began.
            ended_on=max(withdrawn_on, entered_on),
            exit_reason="family_ended",
            comment=gettext(AGREEMENT_WITHDRAWN, day=format_date(withdrawn_on)),
        )
    return agreement


def end_parcours(
    child: Child,
    user: User,
    *,
    ended_on: date,
    exit_reason: str,
    service: str | None = None,
    comment: str = "",
) -> StatusChange:
    """End `child`'s parcours on `ended_on` for `exit_reason` (contract's codes; a `service`
    for `handed_over`, a comment for `other`) and move the child to `closed`, not committed.

    Raises `TransitionError` and changes nothing when the exit is refused: a child not
    accepted, an unknown reason, a missing service or comment, a day before the entry.
    """
    referral = child.referral
    parcours = child.parcours
    exit_ = check_exit(
        entered_on=parcours.entered_on if parcours is not None else None,
        ended_on=ended_on,
        exit_reason=exit_reason,
        service=service,
        comment=comment,
    )
    (change,) = change_status(referral, Status.CLOSED.value, comment, user, children=[child.number])
    parcours = parcours or open_parcours(child, user, ended_on)
    record_exit(parcours, user, exit_, comment)
    return change


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
