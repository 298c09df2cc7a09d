"""A referral's detail page as the views render it: its forms, and refusals put in words."""

from __future__ import annotations

from typing import TypeVar

from flask import current_app, render_template
from flask_babel import gettext
from flask_login import current_user

from intake.extensions import db
from intake.forms.fields import options
from intake.models import Referral
from intake.rules.clock import local_datetime, today
from intake.rules.vocabulary import format_datetime, status_label
from intake.rules.workflow import Status, TransitionError, allowed_next
from intake.triage.audit import ReadKind, reads, record_read
from intake.triage.filters import referents
from intake.triage.forms import (
    AgreementForm,
    AssignForm,
    NoteForm,
    StatusForm,
    WithdrawAgreementForm,
)
from intake.triage.operations import StaleVersion
from intake.triage.undelivered import undelivered_mail

F = TypeVar("F")


def render_detail(
    referral: Referral,
    code: int = 200,
    *,
    form: StatusForm | None = None,
    note_form: NoteForm | None = None,
    agreement_form: AgreementForm | None = None,
    withdraw_form: WithdrawAgreementForm | None = None,
    assign_form: AssignForm | None = None,
    withdraw_id: int | None = None,
    confirming: bool = False,
    stale: StaleVersion | None = None,
):
    """The detail page, with the forms as submitted when one of them was refused or asks
    for confirmation. Every change form carries the version this page shows."""
    forms = {
        "form": form or status_form(referral),
        "note_form": note_form or NoteForm(formdata=None),
        "agreement_form": agreement_form or AgreementForm(formdata=None),
        "withdraw_form": withdraw_form or WithdrawAgreementForm(formdata=None),
        "assign_form": assign_form or assign_form_for(referral),
    }
    for each in forms.values():
        each.version.data = str(referral.version)
        offer_children(each, referral)
    # Every display of the file is a read, the answer to a refused change included.
    record_read(current_user, ReadKind.DETAIL, [referral.reference])
    return render_template(
        "triage/detail.html",
        referral=referral,
        last_reads=reads(reference=referral.reference, limit=LAST_READS),
        undelivered=db.session.scalars(undelivered_mail(referral.id)).all(),
        withdraw_id=withdraw_id,
        today_iso=today().isoformat(),
        confirming=confirming,
        stale_message=stale_message(stale) if stale else None,
        **forms,
    ), code


# How many of the latest reads the detail page lists under "Consulté par".
LAST_READS = 5


def stale_message(stale: StaleVersion) -> str:
    """The 409's sentence: who changed the referral last, and when (Paris time; the day is
    only said when it is not today)."""
    by = stale.by.email if stale.by else gettext("un autre compte")
    at = local_datetime(stale.at)
    if at.date() == today():
        return gettext(
            "Ce dossier a été modifié par %(by)s à %(time)s, rechargez-le.",
            by=by,
            time=at.strftime("%H:%M"),
        )
    return gettext(
        "Ce dossier a été modifié par %(by)s le %(at)s, rechargez-le.",
        by=by,
        at=format_datetime(stale.at),
    )


def refuse_stale_change(stale: StaleVersion, **kept):
    """A change sent from a page older than the referral: 409, nothing of it stored, and the
    referral as it now stands, saying who changed it. `kept`: forms whose typed text is
    shown again (a note, an agreement), so that rereading the referral does not cost it."""
    db.session.rollback()
    current_app.logger.info(
        "stale change refused reference=%s user_id=%s", stale.referral.reference, current_user.id
    )
    return render_detail(stale.referral, 409, stale=StaleVersion(stale.referral), **kept)


def status_form(referral: Referral, formdata=None) -> StatusForm:
    """The status form offering only the moves allowed from the referral's status, with
    nothing chosen in advance: a move is always a deliberate choice."""
    form = StatusForm(formdata=formdata)
    form.status.choices = options(
        ((s.value, status_label(s.value)) for s in moves_from(referral)),
        placeholder=gettext("Choisissez un statut"),
    )
    return offer_children(form, referral)


def moves_from(referral: Referral) -> list[Status]:
    """The moves one of the referral's children at least may make, in the order of the path."""
    possible = {status for child in referral.children for status in allowed_next(child.status)}
    return [status for status in Status if status in possible]


def offer_children(form: F, referral: Referral) -> F:
    """`form` with the referral's children offered in its `children` field, if it has one."""
    if "children" in form:
        form.children.choices = child_choices(referral)
    return form


def child_choices(referral: Referral) -> list:
    """The referral's children as a change form offers them: their number, first name and
    status."""
    return options(
        (
            str(child.number),
            gettext(
                "Enfant %(number)s : %(name)s (%(status)s)",
                number=child.number,
                name=child.first_name,
                status=status_label(child.status),
            ),
        )
        for child in referral.children
    )


def transition_message(error: TransitionError) -> str:
    """A refused move's sentence, in French, its parameters translated too; said of a child
    when it is about one."""
    message = gettext(error.message, **{k: gettext(v) for k, v in error.params.items()})
    if error.child is None:
        return message
    return gettext("Enfant %(number)s : %(message)s", number=error.child, message=message)


def show_error(form, error: TransitionError) -> None:
    """Put a refused move's sentence on the form field it is about."""
    getattr(form, error.field).errors = [transition_message(error)]


def assign_form_for(referral: Referral, formdata=None) -> AssignForm:
    """The référent form offering the active coordinators, by e-mail, and nobody; showing
    the current référent when it is not posted."""
    form = AssignForm(formdata=formdata)
    form.assigned_to.choices = options(
        ((str(user.id), user.email) for user in db.session.scalars(referents())),
        placeholder=gettext("Personne (sans référent)"),
    )
    if formdata is None:
        form.assigned_to.data = str(referral.assigned_to_id or "")
    return form
