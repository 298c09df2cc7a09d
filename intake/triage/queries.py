"""What the queue selects: filters shared by the page and the CSV export."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    String,
    and_,
    bindparam,
    false,
    func,
    literal_column,
    or_,
    select,
    table,
    true,
    tuple_,
    type_coerce,
)
from sqlalchemy.orm import aliased
from werkzeug.datastructures import MultiDict

from intake.extensions import db
from intake.models import Agreement, Child, OutboxMessage, Referral, Role, Source, User
from intake.rules.screening import Eligibility
from intake.rules.search import LAST_ID, LAST_SECOND, MIN_INDEXED, ORDER_STEP, needle, phrase
from intake.rules.workflow import Status

AGREEMENT_FILTERS = ("received", "missing")
# `school`: a UAI of the territory, or this for a child at another school or none.
OTHER_SCHOOL = "other"
# The query parameters the filters read, in the order the links carry them.
PARAMS = (
    "status",
    "eligibility",
    "source",
    "school",
    "urgent",
    "assigned",
    "duplicate",
    "agreement",
    "q",
    "sort",
)
# A row id that the databases can compare with an integer column (a longer one is an error
# there, not a row that is missing).
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class QueueFilters:
    """The queue's query parameters, with unknown values dropped rather than erroring."""

    status: str = ""
    eligibility: str = ""
    q: str = ""
    # "received": a parent's agreement is recorded and not withdrawn; "missing": none is.
    agreement: str = ""
    source: str = ""
    # A UAI of the territory, or OTHER_SCHOOL: one of the referral's children goes there.
    school: str = ""
    # "1": only urgent referrals; only referrals a duplicate check flagged.
    urgent: str = ""
    duplicate: str = ""
    # Whose case: "me", "nobody", or a staff account's id, as the links carry it (so that a
    # "Mes dossiers" link means the same for everyone); `assigned_id` is whom it names.
    assigned: str = ""
    # SORTS' names; the default, "received", is left out of the links.
    sort: str = "received"
    assigned_id: int | None = field(default=None, compare=False)

    @classmethod
    def from_args(
        cls,
        args: MultiDict,
        *,
        user_id: int | None = None,
        schools: Collection[str] = (),
        staff_ids: Collection[int] = (),
    ) -> QueueFilters:
        """Read the filters from the query string, ignoring bad values: a `school` that is not
        one of `schools` (or "other"), an `assigned` that is not "me" (the account `user_id`),
        "nobody" or one of `staff_ids`."""
        status = args.get("status", "")
        eligibility = args.get("eligibility", "")
        agreement = args.get("agreement", "")
        source = args.get("source", "")
        school = args.get("school", "")
        sort = args.get("sort", "")
        assigned, assigned_id = read_assigned(args.get("assigned", ""), user_id, staff_ids)
        return cls(
            status=status if status in {s.value for s in Status} else "",
            eligibility=eligibility if eligibility in {e.value for e in Eligibility} else "",
            q=args.get("q", "").strip()[:100],
            agreement=agreement if agreement in AGREEMENT_FILTERS else "",
            source=source if source in {s.value for s in Source} else "",
            school=school if school == OTHER_SCHOOL or school in schools else "",
            urgent="1" if args.get("urgent") == "1" else "",
            duplicate="1" if args.get("duplicate") == "1" else "",
            assigned=assigned,
            assigned_id=assigned_id,
            sort=sort if sort in SORTS else "received",
        )

    def as_args(self, **changes: str) -> dict[str, str]:
        """The filters that select something (with `changes` made: another status for a tab),
        to carry them into pagination, tab and export links."""
        values = {name: getattr(self, name) for name in PARAMS} | changes
        if values["sort"] == "received":
            del values["sort"]
        return {key: value for key, value in values.items() if value}


def read_assigned(
    text: str, user_id: int | None, staff_ids: Collection[int]
) -> tuple[str, int | None]:
    """`assigned` as the filters keep it and the account it names (None for nobody), or
    ("", None) when it names no one the queue knows."""
    if text == "me" and user_id is not None:
        return text, user_id
    if text == "nobody":
        return text, None
    if text.isascii() and text.isdigit() and int(text) <= MAX_ID and int(text) in staff_ids:
        return str(int(text)), int(text)
    return "", None


def filter_staff() -> Select:
    """The accounts the queue's `assigned` filter offers, by e-mail: every coordinator, and
    anyone else still named référent of a referral (a former coordinator's cases)."""
    named = select(Referral.id).where(Referral.assigned_to_id == User.id).exists()
    return select(User).where(or_(User.role == Role.COORDINATOR.value, named)).order_by(User.email)


def referents() -> Select:
    """The accounts a referral may be assigned to: active coordinators (a viewer cannot
    follow a case), by e-mail."""
    return (
        select(User)
        .where(User.role == Role.COORDINATOR.value, User.active == true())
        .order_by(User.email)
    )


def search_condition(text_typed: str) -> ColumnElement[bool]:
    """Referrals whose search key holds what was typed, insensitive to case, accents and
    punctuation (intake.search). Served by an index on both databases: pg_trgm's GIN index
    answers LIKE on PostgreSQL; on SQLite the FTS5 trigram table answers a phrase query.

    A needle of several words of three characters or more is looked up by its words, and
    the key then checked for the needle whole (`holds_whole`): the trigrams that span two
    words (" ca", "a c") or start one are among the commonest, and either index reads the list
    of every trigram it is asked for. SQLite's index is asked for each word apart. PostgreSQL
    gets one LIKE of the words in their order with anything between them ("%eva%camara%"),
    which pg_trgm answers from the trigrams inside the words only, and which the planner
    tries on its sampled keys once (a LIKE a word would be tried once each). At 100,000
    referrals, a child's full name as the whole needle took 1.8 ms to plan and run, as its
    words 1.0 (prepared, 2.1 and 1.65); at 1,000 referrals the same either way."""
    wanted = needle(text_typed)
    if not wanted:
        # Only punctuation was typed: nothing can hold it, rather than everything.
        return false()
    words = words_apart(wanted)
    indexed = indexed_query(wanted)
    if indexed is not None:
        found = select(INDEXED_ID).select_from(SEARCH_INDEX).where(INDEX_MATCH.match(indexed))
        in_index = Referral.id.in_(found)
        return and_(in_index, holds(wanted)) if words else in_index
    if words:
        # The words hold letters and digits only: no wildcard of their own.
        in_order = Referral.search_key.like("%" + "%".join(words) + "%")
        return and_(in_order, holds_whole(wanted))
    return holds(wanted)


def words_apart(wanted: str) -> list[str]:
    """The words of the needle `wanted` that an index finds apart (three characters or
    more), when there are several of them; none otherwise (the needle is looked up whole)."""
    words = [word for word in wanted.split() if len(word) >= MIN_INDEXED]
    return words if len(words) > 1 else []


def holds(wanted: str) -> ColumnElement[bool]:
    """The referral's search key holds the needle `wanted` (LIKE; an index serves it on
    PostgreSQL). The needle holds letters, digits and spaces only: no wildcard can slip in."""
    return Referral.search_key.contains(wanted, autoescape=True)


def holds_whole(wanted: str) -> ColumnElement[bool]:
    """holds(wanted) in words no index answers: checked on the rows the needle's words found,
    so that PostgreSQL does not look up every trigram of the whole needle in its index too.
    PostgreSQL's strpos: on SQLite a needle of several words always goes to the FTS5 index."""
    return func.strpos(Referral.search_key, wanted) > 0


# SQLite's FTS5 table of the search keys, numbered in the queue's order (intake.search).
SEARCH_INDEX = table("referral_search")
INDEX_KEY = literal_column("referral_search.rowid")
INDEX_MATCH = literal_column("referral_search")
INDEXED_ID = LAST_ID - INDEX_KEY % ORDER_STEP
# The largest integer SQLite holds.
LAST_KEY = 2**63 - 1


def indexed_query(wanted: str) -> str | None:
    """The FTS5 query that finds the needle `wanted`, when SQLite's trigram index can answer
    it (three characters at least); None otherwise: one phrase for the needle whole, or each
    of its words_apart as a phrase of its own, all required (the key is then checked for the
    whole needle). A three-word name at 100,000 referrals: 2.4 ms as one phrase, 1.2 as its
    words."""
    if db.engine.dialect.name != "sqlite" or len(wanted) < MIN_INDEXED:
        return None
    words = words_apart(wanted)
    return " AND ".join(phrase(word) for word in words) if words else phrase(wanted)


def first_key_of(second: int) -> int:
    """The smallest number the index gives a referral received in `second` (since 1970)."""
    return (LAST_SECOND - second) * ORDER_STEP


def within_keys(second: int) -> int:
    """first_key_of(second), brought within the integers SQLite holds: a hand-edited cursor
    (the year 9999, or 1970 less the margin) must bound the walk, not overflow. No entry has
    a number below 0 or as high as LAST_KEY (ids start at 1), so the bound still bounds
    right."""
    return min(max(first_key_of(second), 0), LAST_KEY)


def second_of(at: datetime) -> int:
    """The whole seconds since 1970 of `at`, as the index's numbers count them."""
    return (at - EPOCH) // timedelta(seconds=1)


def newest_matches(
    filters: QueueFilters,
    limit: int,
    columns: Sequence = (Referral.id,),
    older: Cursor | None = None,
    newer: Cursor | None = None,
) -> list[Row] | None:
    """The first `limit` referrals that `filters` select in the queue's default order (after
    `older`, or the last `limit` before `newer`, nearest first), read from SQLite's search
    index in its own order: a page's worth of matches, however many there are. Each row holds
    `columns`, received_at's stored text and the index's number. None where the index cannot
    serve the filters (no search, a short one, PostgreSQL, another order): the caller asks
    the referral table.

    The index orders entries by second, then id, newest first; the queue by received_at,
    then id. The two differ only among referrals received within the same second, so the
    rows of the last second reached are all read, and the whole sorted by the queue's key."""
    wanted = needle(filters.q)
    query_text = indexed_query(wanted) if wanted and filters.sort == "received" else None
    if query_text is None:
        return None
    key = INDEX_KEY
    # The stored text of received_at, not a datetime: on SQLite it is written at a fixed width
    # and sorts as the time does, and a window of rows is not parsed only to be put in order.
    received = type_coerce(Referral.received_at, String).label("received_text")
    walk = filtered(
        select(*columns, received, key.label("index_key"))
        .select_from(SEARCH_INDEX)
        .join(Referral, Referral.id == INDEXED_ID),
        replace(filters, q=""),
    ).where(INDEX_MATCH.match(query_text))
    if words_apart(wanted):
        walk = walk.where(holds(wanted))
    # A second of margin each side: SQLite rounds a stored time to the millisecond before it
    # counts its seconds, which may carry .9996 into the next second.
    if older is not None:
        walk = walk.where(after(older), key >= within_keys(second_of(older.at) + 1))
    if newer is not None:
        walk = walk.where(before(newer), key < within_keys(second_of(newer.at) - 2))
    # Towards the newer rows, the index is read downwards.
    backwards = newer is not None
    order = key.desc() if backwards else key.asc()
    # One row past the window tells whether the window's last second goes on past it.
    rows = list(db.session.execute(walk.order_by(order).limit(limit + 1)))
    if len(rows) > limit:
        # The numbers of one second run from its block's first key to the next block's.
        last = rows[-1].index_key
        block = rows[limit - 1].index_key // ORDER_STEP * ORDER_STEP
        if last // ORDER_STEP * ORDER_STEP == block:
            if backwards:
                rest = walk.where(key < last, key >= block)
            else:
                rest = walk.where(key > last, key < block + ORDER_STEP)
            rows += db.session.execute(rest)
    rows.sort(key=lambda row: (row.received_text, row.id), reverse=not backwards)
    return rows[:limit]


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
    if filters.source:
        query = query.where(Referral.source == filters.source)
    if filters.school:
        # A correlated EXISTS, answered from ix_child_school (school, referral_id) for each
        # referral: the page walks the queue's index in its order and stops after a page of
        # matches. Written as IN (…), SQLite read and sorted every referral of the school
        # first (11× at 100,000); PostgreSQL plans either form from its statistics.
        # Its own alias of child: the spreadsheet's query reads children too, and its rows
        # must not be taken for the ones at this school.
        sibling = aliased(Child)
        at_school = (
            select(sibling.id)
            .where(sibling.referral_id == Referral.id, sibling.school == filters.school)
            .correlate(Referral)
            .exists()
        )
        query = query.where(at_school)
    if filters.urgent:
        query = query.where(Referral.urgent == true())
    if filters.duplicate:
        query = query.where(Referral.duplicate_suspected == true())
    if filters.assigned == "nobody":
        query = query.where(Referral.assigned_to_id.is_(None))
    elif filters.assigned:
        query = query.where(Referral.assigned_to_id == filters.assigned_id)
    if filters.q:
        query = query.where(search_condition(filters.q))
    return query


@dataclass(frozen=True)
class Sort:
    """One order of the queue: the columns of its key, most significant first, and whether
    the list reads them from the largest (newest first) or from the smallest. Each key ends
    in the id, so no two rows tie, and is an index's columns (or their end, after a filter's
    column), so that a page is one range of that index read in order."""

    columns: tuple
    descending: bool

    def forwards(self) -> tuple:
        """ORDER BY for the list as shown, and for the next (older) pages."""
        return tuple(c.desc() if self.descending else c.asc() for c in self.columns)

    def backwards(self) -> tuple:
        """ORDER BY for the rows before a cursor, read nearest first."""
        return tuple(c.asc() if self.descending else c.desc() for c in self.columns)


SORTS: dict[str, Sort] = {
    # ix_referral_queue (received_at, id), and each filter's index ending in it.
    "received": Sort((Referral.received_at, Referral.id), descending=True),
    # ix_referral_urgent_queue (urgent, received_at, id): urgent first, each part newest first.
    "urgency": Sort((Referral.urgent, Referral.received_at, Referral.id), descending=True),
    # ix_referral_activity_queue (last_activity_at, id): the longest untouched first.
    "waiting": Sort((Referral.last_activity_at, Referral.id), descending=False),
}


@dataclass(frozen=True)
class Cursor:
    """A row's place in the queue's order, carried by the page links as
    `<microseconds since 1970>.<id>` (the time is received_at, or last_activity_at when the
    queue is sorted by waiting), followed by `.1` or `.0` when sorted by urgency: a page
    starts from the row last seen, so the database reads one page from an index wherever it
    is in the list, instead of skipping rows."""

    at: datetime
    id: int
    # Only in the urgency order, whose key starts with it.
    urgent: bool | None = None

    def __str__(self) -> str:
        text = f"{(self.at - EPOCH) // MICROSECOND}.{self.id}"
        return text if self.urgent is None else f"{text}.{int(self.urgent)}"

    @property
    def received_at(self) -> datetime:
        """The time of the default order's key (received_at)."""
        return self.at

    @classmethod
    def parse(cls, text: str | None, sort: str = "received") -> Cursor | None:
        """The cursor a link of the queue sorted by `sort` carried, or None for anything else
        (a hand-edited URL, a link of another order)."""
        parts = (text or "").split(".")
        urgent = None
        if sort == "urgency":
            if len(parts) != 3 or parts[2] not in ("0", "1"):
                return None
            urgent = parts.pop() == "1"
        if len(parts) != 2 or not all(CURSOR_PART.fullmatch(part) for part in parts):
            return None
        if int(parts[1]) > MAX_ID:
            # No row has it; PostgreSQL would refuse it in a comparison with an integer column.
            return None
        try:
            return cls(EPOCH + int(parts[0]) * MICROSECOND, int(parts[1]), urgent)
        except (OverflowError, ValueError):
            return None

    @classmethod
    def of(cls, referral: Referral | Listed, sort: str = "received") -> Cursor:
        """Where `referral` stands in the order `sort`."""
        if sort == "waiting":
            return cls(referral.last_activity_at, referral.id)
        if sort == "urgency":
            return cls(referral.received_at, referral.id, bool(referral.urgent))
        return cls(referral.received_at, referral.id)

    def key(self) -> tuple:
        """The values of the order's columns (SORTS) at this row."""
        return (self.at, self.id) if self.urgent is None else (self.urgent, self.at, self.id)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
# Microseconds up to the year 9999 take 18 digits; row ids stay within that too.
CURSOR_PART = re.compile(r"[0-9]{1,18}")
NEWEST_FIRST = SORTS["received"].forwards()


def after(cursor: Cursor, sort: Sort = SORTS["received"]) -> ColumnElement[bool]:
    """Rows that come after `cursor` in the list as `sort` shows it. A row-value comparison,
    `(received_at, id) < (:at, :id)`: both databases read it as one range of the index ending
    in the sort's columns, starting at the cursor, whatever the depth of the page."""
    key = tuple_(*sort.columns)
    return key < cursor.key() if sort.descending else key > cursor.key()


def before(cursor: Cursor, sort: Sort = SORTS["received"]) -> ColumnElement[bool]:
    """Rows that come before `cursor` in the list as `sort` shows it."""
    key = tuple_(*sort.columns)
    return key > cursor.key() if sort.descending else key < cursor.key()


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue: its rows, newest first, and where the neighbouring pages start
    (None when there is none)."""

    items: list[Listed]
    older: Cursor | None
    newer: Cursor | None
    # How many referrals the filters select, counted up to count_limit + 1 only.
    total: int

    count_limit: int = 0

    @property
    def total_is_exact(self) -> bool:
        return self.total <= self.count_limit


# Counting every match on every page would read the whole table each time; past this many,
# the page says "more than" instead. Without a filter (or with a status only), each status
# is counted from its own index, entries only: cheap enough to count far.
COUNT_LIMIT = 1000
# Under any other filter or a search, every match counted is a row read and checked (its
# agreement, its children's school, its search key): past this many, "more than" as well.
# At 100,000 referrals counting them up to 1,000 cost more than the rest of the page.
FILTERED_COUNT_LIMIT = 100


def other_filters(filters: QueueFilters) -> QueueFilters:
    """`filters` without their status and sort: what the status tabs count under."""
    return replace(filters, status="", sort=QueueFilters.sort)


def count_limit(filters: QueueFilters) -> int:
    """How far the page and the tabs of `filters` count their matches."""
    return COUNT_LIMIT if other_filters(filters) == QueueFilters() else FILTERED_COUNT_LIMIT


@dataclass(frozen=True)
class Listed:
    """A referral as the queue lists it: the columns its row shows (intake.triage.listing),
    and its children's first and last names in their order."""

    id: int
    reference: str
    source: str
    received_at: datetime
    status: str
    eligibility: str
    urgent: bool
    last_activity_at: datetime
    assigned_to_id: int | None
    children: tuple[tuple[str, str], ...] = ()


# What the queue's rows show, and nothing else: not the long texts, not the search key, not
# the children's screening (JSON decoded for each row). Read as plain rows: as ORM objects,
# with their children through a selectinload, 25 rows cost 1.5 ms in-process on SQLite
# instead of 0.5, the rows' largest part of a page.
LISTED_COLUMNS = (
    Referral.id,
    Referral.reference,
    Referral.source,
    Referral.received_at,
    Referral.status,
    Referral.eligibility,
    Referral.urgent,
    Referral.last_activity_at,
    Referral.assigned_to_id,
)


# Built once, the ids bound at each page: SQLAlchemy works out a statement's cache key anew
# for each new statement object.
LISTED = select(*LISTED_COLUMNS).where(Referral.id.in_(bindparam("ids", expanding=True)))
LISTED_CHILDREN = (
    select(Child.referral_id, Child.first_name, Child.last_name)
    .where(Child.referral_id.in_(bindparam("ids", expanding=True)))
    .order_by(Child.referral_id, Child.position)
)


def listed(ids: Sequence[int]) -> list[Listed]:
    """The referrals `ids` as the queue lists them, in the order of `ids`: two queries by
    primary and foreign key, whatever the size of the table."""
    if not ids:
        return []
    names: dict[int, list[tuple[str, str]]] = {}
    for referral_id, first_name, last_name in db.session.execute(LISTED_CHILDREN, {"ids": ids}):
        names.setdefault(referral_id, []).append((first_name, last_name))
    rows = db.session.execute(LISTED, {"ids": ids})
    by_id = {row.id: Listed(*row, children=tuple(names.get(row.id, ()))) for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def queue_page(
    filters: QueueFilters,
    size: int,
    older: Cursor | None = None,
    newer: Cursor | None = None,
    total: int | None = None,
    newest: Sequence[Row] | None = None,
) -> QueuePage:
    """The page of `size` referrals just after `older` in the filters' order (or just before
    `newer`, or the first ones), as the queue lists them (`Listed`, children's names included).

    `older` and `newer` keep their names from the default order (newest first): "older" is
    the next page, "newer" the previous one, whatever the order. `total`: the capped count
    when the caller already has it (TabCounts.total_of); `newest`: the newest matches the
    tabs were counted from (TabCounts.newest), from which the first page is taken when they
    hold it, instead of searching again.

    The page's ids are found first, then its rows by primary key: the order is worked out
    on ids and sort keys alone (from the index where one serves), never on whole rows. A
    search that matches thousands sorted them all with every column before."""
    sort = SORTS[filters.sort]
    ids = first_page_ids(filters, size, newest) if older is None and newer is None else None
    if ids is not None:
        has_older, has_newer = len(ids) > size, False
        ids = ids[:size]
    elif newer is not None:
        ids = ids_of(newest_matches(filters, size + 1, newer=newer))
        if ids is None:
            nearest_first = filtered(select(Referral.id), filters).where(before(newer, sort))
            ids = list(
                db.session.scalars(nearest_first.order_by(*sort.backwards()).limit(size + 1))
            )
        # The row the link was made from comes after all of these.
        has_older, has_newer = True, len(ids) > size
        ids = list(reversed(ids[:size]))
    else:
        ids = ids_of(newest_matches(filters, size + 1, older=older))
        if ids is None:
            query = filtered(select(Referral.id), filters)
            query = query.where(after(older, sort)) if older is not None else query
            ids = list(db.session.scalars(query.order_by(*sort.forwards()).limit(size + 1)))
        has_older, has_newer = len(ids) > size, older is not None
        ids = ids[:size]
    items = listed(ids)
    return QueuePage(
        items=items,
        older=Cursor.of(items[-1], filters.sort) if items and has_older else None,
        newer=Cursor.of(items[0], filters.sort) if items and has_newer else None,
        total=capped_count(filters) if total is None else total,
        count_limit=count_limit(filters),
    )


def first_page_ids(filters: QueueFilters, size: int, newest: Sequence[Row] | None) -> list | None:
    """The ids of the first page and the one after it (up to `size` + 1), from `newest`, the
    newest matches of the filters but their status, newest first: when the page is in that
    order and they are enough to say which rows it holds. None otherwise."""
    if newest is None or filters.sort != QueueFilters.sort:
        return None
    ids = [row.id for row in newest if not filters.status or row.status == filters.status]
    # Past the window there may be more matches of this status, newer than none of these.
    complete = len(newest) <= FILTERED_COUNT_LIMIT
    return ids[: size + 1] if complete or len(ids) > size else None


def ids_of(rows: Sequence[Row] | None) -> list[int] | None:
    """The ids of newest_matches' rows (None when it could not serve)."""
    return None if rows is None else [row.id for row in rows]


def capped_count(filters: QueueFilters) -> int:
    """How many referrals `filters` select, counted up to count_limit(filters) + 1 only."""
    limit = count_limit(filters)
    # The order does not change a count: a search is counted from its index's order too.
    found = newest_matches(replace(filters, sort=QueueFilters.sort), limit + 1)
    if found is not None:
        return len(found)
    return db.session.scalar(select(capped_count_of(filters))) or 0


def capped_count_of(filters: QueueFilters):
    """capped_count as a scalar subquery, to ask several in one statement."""
    limit = count_limit(filters)
    counted = filtered(select(Referral.id), filters).limit(limit + 1).subquery()
    return select(func.count()).select_from(counted).scalar_subquery()


@dataclass(frozen=True)
class TabCounts:
    """The status tabs' counts: for "" (every status) and each status, how many referrals
    the other filters select. `exact` is False when they are lower bounds (read from the
    newest FILTERED_COUNT_LIMIT + 1 matches only): the tabs then say "12+". `newest`: those
    matches (id and status, newest first) when the counts were read from them."""

    counts: dict[str, int]
    exact: bool
    newest: Sequence[Row] | None = None

    def items(self):
        return self.counts.items()

    def __iter__(self):
        return iter(self.counts)

    def __getitem__(self, code: str) -> int:
        return self.counts[code]

    def total_of(self, status: str) -> int | None:
        """The page's own capped count, when these counts already hold it (the tab of its
        status, counted exactly or up to the limit), so that the matches are not read again;
        None when it must be counted."""
        if self.exact or status == "":
            return self.counts[status]
        return None


def status_counts(filters: QueueFilters) -> TabCounts:
    """The status tabs' counts, read from a bounded number of index entries whatever the size
    of the table.

    With no other filter, each status is counted up to COUNT_LIMIT + 1 from the index of
    status then received date: exact up to that. Under other filters, a status has no index
    of its own with them (counting "new" among the eligible would read every eligible row), so
    the newest FILTERED_COUNT_LIMIT + 1 matches, read as the page reads them, are counted by
    status: exact when there are no more, lower bounds otherwise. The first page is then
    taken from them too (queue_page's `newest`): a search is run once, not twice."""
    codes = ["", *(s.value for s in Status)]
    others = other_filters(filters)
    if others == QueueFilters():
        counts = select(*(capped_count_of(replace(others, status=code)) for code in codes))
        return TabCounts(dict(zip(codes, db.session.execute(counts).one(), strict=True)), True)
    columns = (Referral.id, Referral.status)
    newest = newest_matches(others, FILTERED_COUNT_LIMIT + 1, columns)
    if newest is None:
        window = filtered(select(*columns), others).order_by(*NEWEST_FIRST)
        newest = db.session.execute(window.limit(FILTERED_COUNT_LIMIT + 1)).all()
    found = Counter(row.status for row in newest)
    counts = {code: found.get(code, 0) for code in codes}
    counts[""] = len(newest)
    return TabCounts(counts, len(newest) <= FILTERED_COUNT_LIMIT, newest)


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
