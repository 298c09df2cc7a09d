"""What the exports read: the selected referrals' columns, a batch of rows at a time."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import Row, Select, func, select

from intake.extensions import db
from intake.models import Child, Referral
from intake.triage.cursors import NEWEST_FIRST
from intake.triage.filters import QueueFilters, filtered


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
