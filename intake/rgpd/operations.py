"""Everything the programme holds about one referral's family, as one JSON-able dict.

The answer to a family's request for its data (RGPD art. 15): the referral, its children and
their screening, the history of statuses and référents, agreements, parcours, notes,
corrections with the values they replaced, the read log's entries naming the referral and
the e-mails written about it. Codes, not labels; dates and times in ISO 8601 (UTC).

It lives in a feature of its own because the e-mails' subjects are written by the
notifications' renderer (most outbox rows store a kind and a context, not a subject), and
triage and notifications must ignore each other (.importlinter): this package may read both.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from flask import current_app
from jinja2 import TemplateError
from sqlalchemy import select

from intake.extensions import db
from intake.models import Child, OutboxMessage, Referral, User
from intake.notifications.failures import ReferralGone
from intake.notifications.render import message_subject
from intake.triage.audit import reads

# What a family's copy leaves out of the referral's and the children's rows: keys between
# tables, and what the application computes for itself (a digest of the form, the search key,
# the optimistic-locking counter, the reference's own parts). Accounts are given by e-mail.
INTERNAL = frozenset(
    {
        "id",
        "referral_id",
        "year",
        "number",
        "fingerprint",
        "search_key",
        # The languages spoken at home read as codes: the copy gives the words the family wrote.
        "home_language_codes",
        "version",
        "position",
        "updated_by_id",
        "assigned_to_id",
        "anonymised_at",
    }
)

KEYS = (
    "referral",
    "children",
    "history",
    "agreements",
    "parcours",
    "notes",
    "corrections",
    "reads",
    "emails",
)


def plain(value: Any) -> Any:
    """A stored value as JSON holds it: dates and times in ISO 8601."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def columns(row: Any, *, skip: Iterable[str] = ()) -> dict[str, Any]:
    """Every column of `row` that is data (not INTERNAL, not in `skip`), by name: a column
    added to the table later is in the family's copy without anyone remembering it here."""
    left_out = INTERNAL | set(skip)
    return {
        column.key: plain(getattr(row, column.key))
        for column in row.__table__.columns
        if column.key not in left_out
    }


class Accounts:
    """Staff accounts by id, read once: the records name their authors by id."""

    def __init__(self) -> None:
        self._emails: dict[int, str] = dict(db.session.execute(select(User.id, User.email)).all())

    def __call__(self, user_id: int | None) -> str | None:
        return self._emails.get(user_id) if user_id is not None else None


def family_data(referral: Referral) -> dict[str, Any]:
    """Everything held about `referral`'s family, keyed as the contract says (KEYS)."""
    by = Accounts()
    numbers = {child.id: child.number for child in referral.children}
    return {
        "referral": {
            **columns(referral),
            "assigned_to": by(referral.assigned_to_id),
            "updated_by": by(referral.updated_by_id),
        },
        "children": [child_data(child) for child in referral.children],
        "history": history(referral, by, numbers),
        "agreements": [agreement_data(each, by, numbers) for each in referral.agreements],
        "parcours": [
            parcours_data(child, by) for child in referral.children if child.parcours is not None
        ],
        "notes": [record(note, by) | {"text": note.text} for note in referral.notes],
        "corrections": [
            record(each, by)
            | {
                "fields": each.fields,
                "previous": each.previous,
                "current": each.current,
                "screening": each.screening,
            }
            for each in referral.corrections
        ],
        "reads": [
            {"at": plain(read.at), "by": read.email, "kind": read.kind}
            for read in reads(reference=referral.reference)
        ],
        "emails": emails(referral),
    }


def record(row: Any, by: Accounts) -> dict[str, Any]:
    """What every authored record starts with: when, and by whom."""
    return {"at": plain(row.at), "by": by(row.user_id)}


def child_data(child: Child) -> dict[str, Any]:
    """A child's fields, screening (its JSON and the columns the figures count) and status."""
    return {"number": child.number, **columns(child)}


def history(referral: Referral, by: Accounts, numbers: dict[int, int]) -> list[dict[str, Any]]:
    """Status changes (one a child) and changes of référent, in time order."""
    changes = [
        {"kind": "status", **record(change, by), "child": numbers.get(change.child_id)}
        | columns(change, skip={"at", "user_id", "child_id", "agenda_item_id"})
        for change in referral.history
    ]
    assignments = [
        {"kind": "assignment", **record(each, by), "assigned_to": by(each.assigned_to_id)}
        for each in referral.assignments
    ]
    return sorted(changes + assignments, key=lambda entry: (entry["at"], entry["kind"]))


def agreement_data(agreement: Any, by: Accounts, numbers: dict[int, int]) -> dict[str, Any]:
    """An agreement, the children it covers, and its withdrawals."""
    return {
        **columns(agreement, skip={"recorded_by_id", "withdrawn_by_id"}),
        "recorded_by": by(agreement.recorded_by_id),
        "withdrawn_by": by(agreement.withdrawn_by_id),
        "children": [
            {
                "child": numbers.get(cover.child_id),
                "withdrawn_on": plain(cover.withdrawn_on),
                "withdrawn_at": plain(cover.withdrawn_at),
                "withdrawn_by": by(cover.withdrawn_by_id),
            }
            for cover in agreement.covers
        ],
    }


def parcours_data(child: Child, by: Accounts) -> dict[str, Any]:
    """A child's parcours: entry, référent, objectives, actions, reviews, exit."""
    parcours = child.parcours
    assert parcours is not None
    authored = {"id", "parcours_id", "at", "user_id"}
    return {
        "child": child.number,
        "entered_on": plain(parcours.entered_on),
        "opened_at": plain(parcours.opened_at),
        "opened_by": by(parcours.opened_by_id),
        "referent": {
            "account": by(parcours.referent_id),
            "name": parcours.referent_name,
            "organisation": parcours.referent_organisation,
        },
        "next_review_on": plain(parcours.next_review_on),
        "objectives": [
            record(each, by) | columns(each, skip=authored) for each in parcours.objectives
        ],
        "actions": [record(each, by) | columns(each, skip=authored) for each in parcours.actions],
        "reviews": [record(each, by) | columns(each, skip=authored) for each in parcours.reviews],
        "exit": None
        if parcours.ended_on is None
        else {
            "ended_on": plain(parcours.ended_on),
            "reason": parcours.exit_reason,
            "service": parcours.exit_service,
            "comment": parcours.exit_comment,
            "at": plain(parcours.ended_at),
            "by": by(parcours.ended_by_id),
        },
    }


def emails(referral: Referral) -> list[dict[str, Any]]:
    """The e-mails written about the referral: to whom, when written, sent or given up, and
    their subject."""
    messages = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.referral_id == referral.id)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    return [
        {
            "kind": message.kind,
            "recipients": message.recipients,
            "subject": subject(message),
            "created_at": plain(message.created_at),
            "sent_at": plain(message.sent_at),
            "stopped_at": plain(message.stopped_at),
        }
        for message in messages
    ]


def subject(message: OutboxMessage) -> str | None:
    """The message's subject: stored when it was rendered in advance, otherwise written now
    from its kind and context as the worker writes it, in its reader's language (the
    subject template says nothing but the reference and the kind of news, so it reads the
    same as the one sent). None for a kind no template writes any more."""
    try:
        return message_subject(message, current_app.config)
    except (ValueError, KeyError, TemplateError, ReferralGone):
        return None
