"""What the queue selects: filters shared by the page and the CSV export."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    false,
    func,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from ..extensions import db
from ..models import Agreement, Child, OutboxMessage, Referral
from ..screening import Eligibility
from ..search import MIN_INDEXED, needle
from ..workflow import Status

AGREEMENT_FILTERS = ("received", "missing")


@dataclass(frozen=True)
class QueueFilters:
    """The queue's query parameters, with unknown values dropped rather than erroring."""

    status: str = ""
    eligibility: str = ""
    q: str = ""
    # "received": a parent's agreement is recorded and not withdrawn; "missing": none is.
    agreement: str = ""

    @classmethod
    def from_args(cls, args: MultiDict) -> QueueFilters:
        """Read `status`, `eligibility`, `agreement` and `q` from the query string, ignoring
        bad values."""
        status = args.get("status", "")
        eligibility = args.get("eligibility", "")
        agreement = args.get("agreement", "")
        return cls(
            status=status if status in {s.value for s in Status} else "",
            eligibility=eligibility if eligibility in {e.value for e in Eligibility} else "",
            q=args.get("q", "").strip()[:100],
            agreement=agreement if agreement in AGREEMENT_FILTERS else "",
        )

    def as_args(self) -> dict[str, str]:
        """The non-empty filters, to carry them into pagination and export links."""
        return {key: value for key, value in vars(self).items() if value}


def search_condition(text_typed: str) -> ColumnElement[bool]:
    """Referrals whose search key holds what was typed, insensitive to case, accents and
    punctuation (intake.search). Served by an index on both databases: pg_trgm's GIN index
    answers LIKE on PostgreSQL; on SQLite the FTS5 trigram table answers a phrase query."""
    wanted = needle(text_typed)
    if not wanted:
        # Only punctuation was typed: nothing can hold it, rather than everything.
        return false()
    if db.engine.dialect.name == "sqlite" and len(wanted) >= MIN_INDEXED:
        phrase = '"' + wanted.replace('"', '""') + '"'
        found = select(literal_column("rowid")).select_from(table("referral_search"))
        return Referral.id.in_(found.where(literal_column("referral_search").match(phrase)))
    # The needle holds letters, digits and spaces only: no LIKE wildcard can slip in.
    return Referral.search_key.contains(wanted, autoescape=True)


def filtered(query: Select, filters: QueueFilters) -> Select:
    """`query` restricted to the referrals `filters` select."""
    if filters.status:
        query = query.where(Referral.status == filters.status)
    if filters.eligibility:
        query = query.where(Referral.eligibility == filters.eligibility)
    if filters.agreement:
        # The same rule as Referral.has_agreement, in SQL.
        agreed = (
            select(Agreement.id)
            .where(Agreement.referral_id == Referral.id, Agreement.withdrawn_on.is_(None))
            .exists()
        )
        query = query.where(agreed if filters.agreement == "received" else ~agreed)
    if filters.q:
        query = query.where(search_condition(filters.q))
    return query


@dataclass(frozen=True)
class Cursor:
    """A row's place in the queue's order (received_at, id), carried by the page links as
    `<microseconds since 1970>.<id>`: a page starts from the row last seen, so the database
    reads one page from an index wherever it is in the list, instead of skipping rows."""

    received_at: datetime
    id: int

    def __str__(self) -> str:
        return f"{(self.received_at - EPOCH) // MICROSECOND}.{self.id}"

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        """The cursor a link carried, or None for anything else (a hand-edited URL)."""
        micros, dot, row_id = (text or "").partition(".")
        if not (dot and CURSOR_PART.fullmatch(micros) and CURSOR_PART.fullmatch(row_id)):
            return None
        try:
            return cls(EPOCH + int(micros) * MICROSECOND, int(row_id))
        except (OverflowError, ValueError):
            return None

    @classmethod
    def of(cls, referral: Referral) -> Cursor:
        return cls(referral.received_at, referral.id)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
# Microseconds up to the year 9999 take 18 digits; row ids stay within that too.
CURSOR_PART = re.compile(r"[0-9]{1,18}")
NEWEST_FIRST = (Referral.received_at.desc(), Referral.id.desc())


def after(cursor: Cursor) -> ColumnElement[bool]:
    """Rows older than `cursor` in the queue's order. Written as a range on received_at and
    a tie-break, which both databases serve from the index ending in (received_at, id)."""
    return and_(
        Referral.received_at <= cursor.received_at,
        or_(Referral.received_at < cursor.received_at, Referral.id < cursor.id),
    )


def before(cursor: Cursor) -> ColumnElement[bool]:
    """Rows newer than `cursor` in the queue's order."""
    return and_(
        Referral.received_at >= cursor.received_at,
        or_(Referral.received_at > cursor.received_at, Referral.id > cursor.id),
    )


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue: its rows, newest first, and where the neighbouring pages start
    (None when there is none)."""

    items: list[Referral]
    older: Cursor | None
    newer: Cursor | None
    # How many referrals the filters select, counted up to COUNT_LIMIT + 1 only.
    total: int

    count_limit: int = 0

    @property
    def total_is_exact(self) -> bool:
        return self.total <= self.count_limit


# Counting every match on every page would read the whole table each time; past this many,
# the page says "more than" instead.
COUNT_LIMIT = 1000


def queue_page(
    filters: QueueFilters, size: int, older: Cursor | None = None, newer: Cursor | None = None
) -> QueuePage:
    """The page of `size` referrals just older than `older` (or just newer than `newer`, or
    the newest ones), with their children loaded alongside in one query."""
    base = filtered(select(Referral), filters).options(selectinload(Referral.children))
    if newer is not None:
        ascending = base.where(before(newer)).order_by(Referral.received_at, Referral.id)
        rows = db.session.scalars(ascending.limit(size + 1)).all()
        items = list(reversed(rows[:size]))
        # The row the link was made from is older than all of these.
        has_older, has_newer = True, len(rows) > size
    else:
        query = base.where(after(older)) if older is not None else base
        rows = db.session.scalars(query.order_by(*NEWEST_FIRST).limit(size + 1)).all()
        items = list(rows[:size])
        has_older, has_newer = len(rows) > size, older is not None
    counted = filtered(select(Referral.id), filters).limit(COUNT_LIMIT + 1).subquery()
    total = db.session.scalar(select(func.count()).select_from(counted)) or 0
    return QueuePage(
        items=items,
        older=Cursor.of(items[-1]) if items and has_older else None,
        newer=Cursor.of(items[0]) if items and has_newer else None,
        total=total,
        count_limit=COUNT_LIMIT,
    )


def export_rows(filters: QueueFilters) -> Select:
    """The exported columns of the referrals `filters` select, newest first: only what the
    CSV holds, read row by row, never whole referrals with their screening."""
    children = select(func.count(Child.id)).where(Child.referral_id == Referral.id)
    columns = (
        Referral.reference,
        Referral.received_at,
        Referral.source,
        Referral.status,
        Referral.eligibility,
        Referral.urgent,
        children.scalar_subquery().label("children"),
        Referral.last_activity_at,
    )
    return filtered(select(*columns), filters).order_by(*NEWEST_FIRST)


# Rows an export reads from the database at a time: large enough that the response is not a
# stream of tiny writes, small enough that memory stays flat whatever the export's size.
EXPORT_BATCH = 1000


def in_batches(query: Select) -> Iterator[Sequence[Row]]:
    """The rows of an export's `query`, EXPORT_BATCH at a time, read as the database hands
    them over (a server-side cursor on PostgreSQL), never all at once."""
    result = db.session.execute(query.execution_options(yield_per=EXPORT_BATCH))
    try:
        yield from result.partitions()
    finally:
        # An export left half-way closes its cursor here, before anything else is written on
        # the connection (the read log), rather than whenever the garbage collector runs.
        result.close()


def with_undelivered_mail(referral_ids: Collection[int]) -> Select:
    """Which of these referrals have an e-mail that stopped undelivered: one query a page."""
    return (
        select(OutboxMessage.referral_id)
        .where(OutboxMessage.referral_id.in_(referral_ids), OutboxMessage.stopped_at.is_not(None))
        .distinct()
    )


def undelivered_mail(referral_id: int) -> Select:
    """A referral's e-mails that stopped undelivered, oldest stop first."""
    return (
        select(OutboxMessage)
        .where(OutboxMessage.referral_id == referral_id, OutboxMessage.stopped_at.is_not(None))
        .order_by(OutboxMessage.stopped_at, OutboxMessage.id)
    )
