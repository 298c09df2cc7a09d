"""The read log: who displayed or exported which referrals, and when.

A child's file holds the most sensitive data a town keeps; the CNIL expects access to it to
be traceable. Every display of a referral's detail or fiche, of a meeting's agenda, and every
export writes one ReadEvent naming the references it showed. References, not row ids: the log
outlives the referrals that retention purges, and still says what was read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Select, delete, func, insert, select, update

from intake.extensions import db
from intake.models import ReadEvent, ReadReferral, User, utcnow
from intake.models.rows import bulk_insert
from intake.rules.retention import months_before

Row = TypeVar("Row")

# References an export holds before writing them to the log.
INSERT_BATCH = 1000


class ReadKind:
    """What kind of read a ReadEvent records."""

    DETAIL = "detail"
    FICHE = "fiche"
    AGENDA = "agenda"
    EXPORT_CSV = "export.csv"
    EXPORT_XLSX = "export.xlsx"
    # A family's data on request (RGPD art. 15): the printable page and the JSON file.
    DATA = "donnees"
    DATA_JSON = "donnees.json"


def record_read(user: User | int, kind: str, references: Iterable[str], **details: Any) -> None:
    """Log that `user` read `references` now (`details`: what else says what was read, such
    as an export's filters) and commit it, so that a read is logged even when the request
    writes nothing else. Its references go in as rows, not an object each, the way an
    export's do (`rows.bulk_insert`)."""
    user_id = user if isinstance(user, int) else user.id
    event = ReadEvent(at=utcnow(), user_id=user_id, kind=kind, details=details)
    db.session.add(event)
    db.session.flush()
    rows = [{"event_id": event.id, "reference": ref} for ref in dict.fromkeys(references)]
    bulk_insert(db.session.connection(), ReadReferral.__table__, rows)
    db.session.commit()


class ExportLog:
    """An export's entry in the read log, written as the export streams: the event when it
    starts, the references of each batch of rows as they pass (inserted a batch at a time,
    never all held in memory), its details when it ends, so that an export the client left
    half-way names what it sent.

    Each of these writes commits on its own, on a connection apart from the one the export
    reads its rows through. Written in the request's transaction, the log held that write
    open for as long as the export streamed, and SQLite lets one transaction write at a
    time: through a 100,000-row export, every login, submission, status change and second
    export waited for it, then failed ("database is locked")."""

    def __init__(self, user_id: int, kind: str) -> None:
        table = ReadEvent.__table__
        with db.engine.begin() as connection:
            inserted = connection.execute(
                insert(table).values(at=utcnow(), user_id=user_id, kind=kind, details={})
            )
            self.event_id: int = inserted.inserted_primary_key[0]
        self._pending: list[dict[str, Any]] = []
        self._last: str | None = None

    def through(self, rows: Iterable[Row]) -> Iterator[Row]:
        """`rows`, unchanged, each one's `reference` logged as it passes (a referral's rows
        are consecutive: a spreadsheet has one per child)."""
        for row in rows:
            reference = row.reference  # type: ignore[attr-defined]
            if reference != self._last:
                self._last = reference
                self._pending.append({"event_id": self.event_id, "reference": reference})
                if len(self._pending) >= INSERT_BATCH:
                    with db.engine.begin() as connection:
                        self._write(connection)
            yield row

    def _write(self, connection: Connection) -> None:
        if self._pending:
            # No ORM object per reference, and COPY on PostgreSQL: as an executemany, this
            # log took half the time of a 100,000-row export there.
            bulk_insert(connection, ReadReferral.__table__, self._pending)
            self._pending = []

    def close(self, **details: Any) -> None:
        """Write what is left and the details."""
        table = ReadEvent.__table__
        with db.engine.begin() as connection:
            self._write(connection)
            connection.execute(
                update(table).where(table.c.id == self.event_id).values(details=details)
            )


@dataclass(frozen=True)
class Read:
    """One line of the log as staff read it."""

    at: datetime
    email: str | None
    kind: str
    references: list[str]
    total: int


def reads(
    reference: str | None = None, email: str | None = None, limit: int | None = None
) -> list[Read]:
    """The log's events, oldest first (newest first when `limit` is given: "the last
    reads"), optionally only those naming `reference` or made by the account `email`.
    Each comes with its references (only `reference` itself when the log is read for one
    referral, so an export of thousands does not flood the answer) and how many it named."""
    query: Select = select(ReadEvent, User.email).outerjoin(User, User.id == ReadEvent.user_id)
    if reference is not None:
        named = select(ReadReferral.event_id).where(ReadReferral.reference == reference)
        query = query.where(ReadEvent.id.in_(named))
    if email is not None:
        query = query.where(func.lower(User.email) == email.strip().lower())
    if limit is not None:
        query = query.order_by(ReadEvent.at.desc(), ReadEvent.id.desc()).limit(limit)
    else:
        query = query.order_by(ReadEvent.at, ReadEvent.id)
    events = db.session.execute(query).all()
    ids = [event.id for event, _ in events]
    named_by: dict[int, list[str]] = {event_id: [] for event_id in ids}
    if reference is None:
        references = select(ReadReferral.event_id, ReadReferral.reference).where(
            ReadReferral.event_id.in_(ids)
        )
        for event_id, each in db.session.execute(references.order_by(ReadReferral.reference)):
            named_by[event_id].append(each)
        totals = {event_id: len(named) for event_id, named in named_by.items()}
    else:
        counts = (
            select(ReadReferral.event_id, func.count())
            .where(ReadReferral.event_id.in_(ids))
            .group_by(ReadReferral.event_id)
        )
        totals = dict(db.session.execute(counts).all())
        named_by = {event_id: [reference] for event_id in ids}
    return [
        Read(event.at, email, event.kind, named_by[event.id], totals.get(event.id, 0))
        for event, email in events
    ]


def purge_reads(months: int, now: datetime | None = None) -> int:
    """Delete the log's events older than `months` months with their references (not
    committed); returns how many events went. The references go first, by statement:
    SQLite does not enforce the foreign key's cascade."""
    cutoff = months_before(now or utcnow(), months)
    old = select(ReadEvent.id).where(ReadEvent.at < cutoff)
    db.session.execute(delete(ReadReferral).where(ReadReferral.event_id.in_(old)))
    result = db.session.execute(delete(ReadEvent).where(ReadEvent.at < cutoff))
    return result.rowcount or 0
