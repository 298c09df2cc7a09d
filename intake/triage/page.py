"""A page of the queue: its ids in the filters' order, then its rows as the queue lists them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, bindparam, select

from intake.extensions import db
from intake.models import Child, Referral
from intake.triage.counts import capped_count, count_limit, first_page_ids
from intake.triage.cursors import SORTS, Cursor, after, before
from intake.triage.filters import QueueFilters, filtered
from intake.triage.search_walk import newest_matches


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
    interpreter: bool = False
    contact_doubt: str | None = None
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
    Referral.interpreter,
    Referral.contact_doubt,
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


def ids_of(rows: Sequence[Row] | None) -> list[int] | None:
    """The ids of newest_matches' rows (None when it could not serve)."""
    return None if rows is None else [row.id for row in rows]
