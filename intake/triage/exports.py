"""The exports: what they read (the selected referrals' columns, a batch of rows at a time),
the chunks they answer, and how each is logged."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import AnyStr

from flask import current_app
from sqlalchemy import Row, Select, func, select, text

from intake.extensions import db
from intake.models import Child, Referral
from intake.territory.model import Territory
from intake.triage.audit import ExportLog, ReadKind
from intake.triage.cursors import NEWEST_FIRST
from intake.triage.filters import QueueFilters, filtered
from intake.triage.spreadsheet import neutralise, rows_query, workbook

EXPORT_COLUMNS = (
    "reference",
    "received_at",
    "source",
    "status",
    "eligibility",
    "urgent",
    "children",
    "last_activity_at",
    # Issue 27, after the contract's columns: codes, as the others.
    "contact_language",
    # Issue 27: codes too (intake.rules.home_languages), never the words the family typed.
    "home_languages",
    "interpreter",
    "contact_doubt",
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
        Referral.contact_language,
        Referral.home_language_codes,
        Referral.interpreter,
        Referral.contact_doubt,
    )
    return filtered(select(*columns), filters).order_by(*NEWEST_FIRST)


# Rows an export reads from the database at a time: large enough that the response is not a
# stream of tiny writes, small enough that memory stays flat whatever the export's size.
EXPORT_BATCH = 1000


def in_batches(query: Select) -> Iterator[Sequence[Row]]:
    """The rows of an export's `query`, EXPORT_BATCH at a time, read as the database hands
    them over (a server-side cursor on PostgreSQL), never all at once."""
    if db.session.get_bind().dialect.name == "postgresql":
        # PostgreSQL compiles a query this costly (JIT: jit_above_cost) before its first row:
        # 0.2 s of the database's CPU at once, at the pages' priority, for rows that are
        # streamed anyway (measured at 100,000 referrals: first rows after 0.18-0.25 s with
        # JIT, 0.02 s without, and no slower to the last). For this transaction only.
        db.session.execute(text("SET LOCAL jit = off"))
    result = db.session.execute(query.execution_options(yield_per=EXPORT_BATCH))
    try:
        yield from result.partitions()
    finally:
        # An export left half-way closes its cursor here, before anything else is written on
        # the connection (the read log), rather than whenever the garbage collector runs.
        result.close()


def export_chunks(
    kind: str, filters: QueueFilters, user_id: int, territory: Territory
) -> Iterator[str | bytes]:
    """The chunks of the export `kind` (ReadKind's) of the referrals `filters` select, made
    for `user_id`, logged (`logged_export`). In an app context."""
    if kind == ReadKind.EXPORT_CSV:
        return logged_export(kind, "export", filters, export_rows(filters), csv_lines, user_id)
    return logged_export(
        kind,
        "export.xlsx",
        filters,
        rows_query(filters),
        lambda batches: workbook(batches, territory),
        user_id,
    )


def csv_lines(batches: Iterable[Sequence[Row]]) -> Iterator[str]:
    """The CSV's header, then a chunk per batch of `export_rows`' rows."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    yield take(out)
    for batch in batches:
        writer.writerows(export_line(row) for row in batch)
        yield take(out)


def logged_export(
    kind: str,
    log_name: str,
    filters: QueueFilters,
    query: Select,
    chunks_of: Callable[[Iterable[Sequence[Row]]], Iterator[AnyStr]],
    user_id: int,
) -> Iterator[AnyStr]:
    """An export's chunks, `chunks_of` the batches of `query`'s rows, logged: its first chunk
    (a header, a workbook's fixed parts) before the database is read or written, then each
    batch's references in the read log as it goes into its chunk; once the last chunk has
    been sent, or the client has left (`interrupted`), its log line and its read log's
    details."""
    batches = in_batches(query)  # nothing is read before it is iterated
    rows = 0

    def logged() -> Iterator[Sequence[Row]]:
        nonlocal rows
        for batch in batches:
            logged_batch = list(read_log.through(batch))
            rows += len(logged_batch)
            yield logged_batch

    parts = chunks_of(logged())
    yield next(parts)
    complete = False
    # Bound before `logged` first runs: `parts` reads no batch before its second chunk.
    read_log = ExportLog(user_id, kind)
    try:
        yield from parts
        complete = True
    finally:
        batches.close()
        log_export(log_name, user_id, filters, rows, complete)
        close_export_log(read_log, filters, rows, complete)


def log_export(
    kind: str, user_id: int, filters: QueueFilters, rows: int, complete: bool = True
) -> None:
    """One line per export: who, which filters, how many rows. The search text may be a
    name: the line only says whether there was one."""
    current_app.logger.info(
        "%s user_id=%s status=%s eligibility=%s agreement=%s source=%s school=%s urgent=%s"
        " assigned=%s duplicate=%s search=%s rows=%d%s",
        kind,
        user_id,
        filters.status or "-",
        filters.eligibility or "-",
        filters.agreement or "-",
        filters.source or "-",
        filters.school or "-",
        filters.urgent or "-",
        filters.assigned or "-",
        filters.duplicate or "-",
        "yes" if filters.q else "no",
        rows,
        "" if complete else " interrupted",
    )


def close_export_log(read_log: ExportLog, filters: QueueFilters, rows: int, complete=True):
    """End the export's entry in the read log with its filters and row count. The search
    text is not kept (it may be a name, and the log outlives the referrals); only whether
    there was one."""
    kept = {key: value for key, value in filters.as_args().items() if key != "q"}
    read_log.close(filters=kept, search=bool(filters.q), rows=rows, complete=complete)


def take(out: io.StringIO) -> str:
    """What `out` holds, emptying it for the next chunk."""
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text


def export_line(row) -> list:
    """One CSV line of `export_rows`, no cell a spreadsheet could run as a formula."""
    values = (
        row.reference,
        row.received_at.isoformat(),
        row.source,
        row.status,
        row.eligibility,
        "yes" if row.urgent else "no",
        row.children,
        row.last_activity_at.isoformat(),
        row.contact_language,
        row.home_language_codes,
        "yes" if row.interpreter else "no",
        row.contact_doubt or "",
    )
    return [neutralise(value) for value in values]
