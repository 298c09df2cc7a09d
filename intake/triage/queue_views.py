"""The queue's views: the referrals filtered and sorted, a page at a time, and their exports."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import AnyStr

from flask import Response, current_app, render_template, request, stream_with_context
from flask_login import current_user
from sqlalchemy import Row, Select

from intake.extensions import db
from intake.forms.fields import school_choices
from intake.models import User, utcnow
from intake.triage.access import coordinator_required
from intake.triage.audit import ExportLog, ReadKind
from intake.triage.blueprint import bp
from intake.triage.counts import status_counts
from intake.triage.cursors import Cursor
from intake.triage.exports import export_rows, in_batches
from intake.triage.filters import QueueFilters, filter_staff
from intake.triage.listing import queue_rows
from intake.triage.page import queue_page
from intake.triage.spreadsheet import neutralise, rows_query, workbook
from intake.triage.undelivered import with_undelivered_mail

EXPORT_COLUMNS = (
    "reference",
    "received_at",
    "source",
    "status",
    "eligibility",
    "urgent",
    "children",
    "last_activity_at",
)


@bp.get("/")
def queue():
    """The referrals, filtered and sorted, a page at a time from the last row seen, under
    tabs by status with their (bounded) counts."""
    staff = db.session.scalars(filter_staff()).all()
    filters = current_filters(staff)
    counts = status_counts(filters)
    page = queue_page(
        filters,
        current_app.config["INTAKE_PAGE_SIZE"],
        older=Cursor.parse(request.args.get("older"), filters.sort),
        newer=Cursor.parse(request.args.get("newer"), filters.sort),
        total=counts.total_of(filters.status),
        newest=counts.newest,
    )
    days = current_app.extensions["territory"].programme.remind_after_days
    undelivered = set(db.session.scalars(with_undelivered_mail([r.id for r in page.items])))
    return render_template(
        "triage/queue.html",
        page=page,
        rows=queue_rows(page.items, utcnow(), days, undelivered, {u.id: u.email for u in staff}),
        filters=filters,
        counts=counts,
        staff=staff,
        schools=school_groups(),
        paged="older" in request.args or "newer" in request.args,
        days=days,
    )


def current_filters(staff: list[User] | None = None) -> QueueFilters:
    """The queue's filters from the query string, checked against this territory's schools
    and the accounts the `assigned` filter offers (`staff`, read here if not given)."""
    if staff is None:
        staff = db.session.scalars(filter_staff()).all()
    return QueueFilters.from_args(
        request.args,
        user_id=current_user.id,
        schools={school.uai for school in current_app.extensions["territory"].schools},
        staff_ids={user.id for user in staff},
    )


def school_groups() -> list[tuple[str | None, list]]:
    """The school filter's options as the public forms list them (by commune, in the
    territory file's order, then "another school or none"), grouped for <optgroup>."""
    groups: list[tuple[str | None, list]] = []
    for choice in school_choices()[1:]:  # not the public form's placeholder
        if not groups or groups[-1][0] != choice.optgroup:
            groups.append((choice.optgroup, []))
        groups[-1][1].append(choice)
    return groups


@bp.get("/export.csv")
# The contract: viewers read on screen but take nothing away.
@coordinator_required
def export():
    """The referrals the current filters select, as CSV: codes only, no names or situations.

    Streamed: the header leaves at once, then the rows as the database hands them over (a
    server-side cursor on PostgreSQL), so neither the time to the first byte nor the worker's
    memory grows with the number of referrals."""
    filters = current_filters()

    def lines(batches: Iterable[Sequence[Row]]) -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(EXPORT_COLUMNS)
        yield take(out)
        # A chunk of the response per batch of rows.
        for batch in batches:
            writer.writerows(export_line(row) for row in batch)
            yield take(out)

    return streamed(
        logged_export(ReadKind.EXPORT_CSV, "export", filters, export_rows(filters), lines),
        "text/csv",
        "orientations.csv",
    )


@bp.get("/export.xlsx")
@coordinator_required
def export_xlsx():
    """The same selection for office software: a row per child, French headers and labels,
    Paris time. Streamed as it is written, like the CSV: the workbook's fixed parts leave at
    once, then the sheet's rows as the database hands them over, deflated into the zip a
    batch at a time, so neither the first byte nor the worker's memory waits for the last
    row."""
    filters = current_filters()
    territory = current_app.extensions["territory"]
    return streamed(
        logged_export(
            ReadKind.EXPORT_XLSX,
            "export.xlsx",
            filters,
            rows_query(filters),
            lambda batches: workbook(batches, territory),
        ),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "orientations.xlsx",
    )


def logged_export(
    kind: str,
    log_name: str,
    filters: QueueFilters,
    query: Select,
    chunks_of: Callable[[Iterable[Sequence[Row]]], Iterator[AnyStr]],
) -> Iterator[AnyStr]:
    """An export's chunks, `chunks_of` the batches of `query`'s rows, logged: its first chunk
    (a header, a workbook's fixed parts) before the database is read or written, then each
    batch's references in the read log as it goes into its chunk; once the last chunk has
    been sent, or the client has left (`interrupted`), its log line and its read log's
    details."""
    user_id = current_user.id
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


def streamed(chunks: Iterator[AnyStr], mimetype: str, filename: str) -> Response:
    """A download answered as its chunks come, in the request's context, never cached."""
    return Response(
        stream_with_context(chunks),
        mimetype=mimetype,
        headers={
            "Content-Disposition": f"attachment; filename={filename}",
            "Cache-Control": "no-store",
        },
    )


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
    )
    return [neutralise(value) for value in values]
