"""A search's newest matches, walked from SQLite's trigram index in its own order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import Row, String, select, type_coerce

from intake.extensions import db
from intake.models import Referral
from intake.rules.search import LAST_SECOND, ORDER_STEP, needle
from intake.triage.cursors import EPOCH, Cursor, after, before
from intake.triage.filters import QueueFilters, filtered
from intake.triage.search import (
    INDEX_KEY,
    INDEX_MATCH,
    INDEXED_ID,
    SEARCH_INDEX,
    holds,
    indexed_query,
    words_apart,
)

# The largest integer SQLite holds.
LAST_KEY = 2**63 - 1


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
