"""Anonymising the referrals past their retention: what `flask retention purge` does.

A referral is not deleted: what identifies the family is erased, column by column as
intake.rules.retention.ANONYMISED says, from the referral and from everything that hangs from
it (children, history, agreements, corrections, agenda items, parcours); its notes, e-mails
and suspected duplicates are deleted; the row is marked `anonymised_at` and leaves the queue,
the searches and the pages. Its codes and dates stay for the programme's figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, func, inspect, or_, select, text
from sqlalchemy.orm import selectinload

from intake.duplicates.pairs import forget_referrals
from intake.extensions import db
from intake.models import (
    Action,
    AgendaItem,
    Agreement,
    Child,
    DuplicatePair,
    Note,
    OutboxMessage,
    Parcours,
    Referral,
    Review,
    StatusChange,
    utcnow,
)
from intake.rules.retention import ANONYMISED, anonymised_value, is_expired, months_before
from intake.rules.workflow import FINAL

FINAL_CODES = tuple(status.value for status in FINAL)
# Ids per IN (…) list: a first purge of years of history may find tens of thousands, past
# what SQLite binds in one statement (32,766).
CHUNK = 5000


def chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def expired_ids(months: int, now: datetime | None = None) -> list[int]:
    """The ids of the referrals not yet anonymised, final (and every child of theirs), and
    untouched for `months` months, oldest activity first."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Referral.id, Referral.status, Referral.last_activity_at)
        .where(Referral.anonymised_at.is_(None))
        .where(Referral.status.in_(FINAL_CODES))
        .where(Referral.last_activity_at <= months_before(now, months))
        .order_by(Referral.last_activity_at, Referral.id)
    ).all()
    if not rows:
        return []
    statuses: dict[int, list[str]] = {}
    for some in chunks([row.id for row in rows]):
        for referral_id, status in db.session.execute(
            select(Child.referral_id, Child.status).where(Child.referral_id.in_(some))
        ):
            statuses.setdefault(referral_id, []).append(status)
    # The SQL narrows the search; the pure rule has the last word.
    return [
        row.id
        for row in rows
        if is_expired(row.status, row.last_activity_at, now, months, statuses.get(row.id, ()))
    ]


@dataclass(frozen=True)
class Tally:
    """What anonymising some referrals erases, deletes and keeps, in rows."""

    referrals: int = 0
    children: int = 0
    decisions: int = 0
    agreements: int = 0
    parcours: int = 0
    actions: int = 0
    reviews: int = 0
    notes: int = 0
    messages: int = 0
    pairs: int = 0

    def __add__(self, other: Tally) -> Tally:
        mine, theirs = vars(self).values(), vars(other).values()
        return Tally(*(a + b for a, b in zip(mine, theirs, strict=True)))


def tally(ids: Sequence[int]) -> Tally:
    """Count what anonymising the referrals `ids` would keep (as rows stripped of what
    identifies) and delete, without changing anything."""
    return sum((tally_of(some) for some in chunks(ids)), Tally())


def tally_of(ids: Sequence[int]) -> Tally:
    """tally() of at most CHUNK referrals."""
    if not ids:
        return Tally()

    def count(model, *where) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    of = list(ids)
    in_parcours = Parcours.referral_id.in_(of)
    return Tally(
        referrals=len(of),
        children=count(Child, Child.referral_id.in_(of)),
        decisions=count(StatusChange, StatusChange.referral_id.in_(of)),
        agreements=count(Agreement, Agreement.referral_id.in_(of)),
        parcours=count(Parcours, in_parcours),
        actions=count(Action, Action.parcours_id.in_(select(Parcours.id).where(in_parcours))),
        reviews=count(Review, Review.parcours_id.in_(select(Parcours.id).where(in_parcours))),
        notes=count(Note, Note.referral_id.in_(of)),
        messages=count(OutboxMessage, OutboxMessage.referral_id.in_(of)),
        pairs=count(
            DuplicatePair,
            or_(DuplicatePair.referral_id.in_(of), DuplicatePair.other_referral_id.in_(of)),
        ),
    )


def erase(row: object) -> None:
    """Apply ANONYMISED to one row: each column its fate (a value already anonymised is left,
    so that a row is only written when something changes)."""
    mapper = inspect(row).mapper
    fates = ANONYMISED[mapper.local_table.name]
    for attribute in mapper.column_attrs:
        column = attribute.columns[0]
        value = getattr(row, attribute.key)
        new = anonymised_value(fates[column.name], value, nullable=column.nullable)
        if new != value:
            setattr(row, attribute.key, new)


def anonymise(referrals: Iterable[Referral], now: datetime | None = None) -> list[str]:
    """Anonymise `referrals` (loaded with what hangs from them: see `load`) and return their
    references. Flushed, not committed."""
    now = now or utcnow()
    referrals = list(referrals)
    ids = [referral.id for referral in referrals]
    # The pairs naming them, and the flag of the referrals on their other side.
    forget_referrals(ids)
    db.session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.referral_id.in_(ids))
        .execution_options(synchronize_session=False)
    )
    items = db.session.scalars(select(AgendaItem).where(AgendaItem.referral_id.in_(ids)))
    for item in items:
        erase(item)
    for referral in referrals:
        referral.notes.clear()  # delete-orphan: the notes are deleted
        for child in referral.children:
            # The school level was worked out from the whole birth date (a class the form
            # does not list): the figures keep it as it was, not as the 1st of the month
            # would give it.
            level = child.school_level
            erase(child)
            child.school_level = level
            if child.parcours is not None:
                for row in (
                    child.parcours,
                    *child.parcours.objectives,
                    *child.parcours.actions,
                    *child.parcours.reviews,
                ):
                    erase(row)
        for row in (
            *referral.history,
            *referral.agreements,
            *referral.corrections,
            *referral.assignments,
        ):
            erase(row)
        referral.anonymised_at = now
        referral.duplicate_suspected = False  # its pairs are gone
        # The search key follows (Referral's before_flush hook empties an anonymised one).
        erase(referral)
    db.session.flush()
    return [referral.reference for referral in referrals]


def load(ids: Sequence[int]) -> list[Referral]:
    """The referrals `ids` with everything anonymise() writes, in a few queries."""
    parcours = selectinload(Referral.children).selectinload(Child.parcours)
    return list(
        db.session.scalars(
            select(Referral)
            .where(Referral.id.in_(ids))
            .order_by(Referral.last_activity_at, Referral.id)
            .options(
                parcours.selectinload(Parcours.objectives),
                parcours.selectinload(Parcours.actions),
                parcours.selectinload(Parcours.reviews),
                selectinload(Referral.history),
                selectinload(Referral.agreements),
                selectinload(Referral.corrections),
                selectinload(Referral.assignments),
                selectinload(Referral.notes),
                selectinload(Referral.language_rows),
            )
        )
    )


def compact_search_index() -> None:
    """Merge SQLite's search index into one segment: FTS5 marks a key's trigrams deleted and
    keeps them on disk until its segments are merged. PostgreSQL's trigram index drops the
    dead entries at its next (auto)vacuum."""
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("INSERT INTO referral_search(referral_search) VALUES ('optimize')"))
    current_app.logger.debug("retention purge compacted the search index")
