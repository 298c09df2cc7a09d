"""How meetings read on the pages: their labels, and the block of a referral's own page."""

from __future__ import annotations

from flask import g
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from intake.extensions import db
from intake.forms.fields import options
from intake.meetings.forms import POSTPONED_LABEL, EnrolForm
from intake.meetings.operations import MIXED, POSTPONED, upcoming_meetings
from intake.models import AgendaItem, Meeting, Referral
from intake.rules.vocabulary import format_datetime, status_label
from intake.rules.workflow import Status


def decision_label(code: str | None) -> str:
    """The coordinator's word for what a meeting decided."""
    if code is None:
        return ""
    if code == MIXED:
        return gettext("Décisions différentes selon l’enfant")
    return str(POSTPONED_LABEL) if code == POSTPONED else status_label(code)


def meeting_label(meeting: Meeting) -> str:
    """A meeting as a select option or a title names it: day, time, place."""
    return gettext(
        "%(when)s – %(place)s", when=format_datetime(meeting.starts_at), place=meeting.place
    )


def enrol_form_for(referral: Referral) -> EnrolForm | None:
    """The form of the referral page's "put on a meeting": the coming meetings it is not on
    yet, for a coordinator and a referral that may go there (or the refused attempt, with its
    error); else None (nothing shown)."""
    posted = g.get("enrol_form")
    # A refused attempt is shown with its reason, whatever the referral's status.
    if not current_user.can_edit or (
        posted is None and referral.status not in (Status.IN_REVIEW, Status.EPS)
    ):
        return None
    form = posted or EnrolForm(formdata=None)
    meetings = [
        meeting
        for meeting in upcoming_meetings()
        if all(item.referral_id != referral.id for item in meeting.items)
    ]
    form.meeting.choices = options(
        ((str(meeting.id), meeting_label(meeting)) for meeting in meetings),
        placeholder=gettext("Choisissez une réunion"),
    )
    form.version.data = str(referral.version)
    return form


def agenda_items_of(referral: Referral) -> list[AgendaItem]:
    """The agenda items that name this referral, latest meeting first."""
    return list(
        db.session.scalars(
            select(AgendaItem)
            .join(Meeting, AgendaItem.meeting_id == Meeting.id)
            .where(AgendaItem.referral_id == referral.id)
            .order_by(Meeting.starts_at.desc())
        )
    )
