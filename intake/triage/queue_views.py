"""The queue's views: the referrals filtered and sorted, a page at a time, and their exports."""

from __future__ import annotations

from flask import Response, current_app, render_template, request, stream_with_context
from flask_login import current_user

from intake.extensions import db
from intake.forms.fields import school_choices
from intake.models import User, utcnow
from intake.rules.home_languages import LABELS as SPOKEN_LABELS
from intake.rules.home_languages import OTHER
from intake.rules.text import unaccented
from intake.triage import apart
from intake.triage.access import coordinator_required
from intake.triage.audit import ReadKind
from intake.triage.blueprint import bp
from intake.triage.counts import status_counts
from intake.triage.cursors import Cursor
from intake.triage.exports import export_chunks
from intake.triage.filters import QueueFilters, filter_staff, serial_plans
from intake.triage.listing import queue_rows
from intake.triage.page import queue_page
from intake.triage.undelivered import with_undelivered_mail


@bp.get("/")
def queue():
    """The referrals, filtered and sorted, a page at a time from the last row seen, under
    tabs by status with their (bounded) counts."""
    staff = db.session.scalars(filter_staff()).all()
    filters = current_filters(staff)
    serial_plans(filters)
    counts = status_counts(filters)
    page = queue_page(
        filters,
        current_app.config["INTAKE_PAGE_SIZE"],
        older=Cursor.parse(request.args.get("older"), filters.sort),
        newer=Cursor.parse(request.args.get("newer"), filters.sort),
        total=counts.total_of(filters.status),
        newest=counts.newest,
    )
    # The page's tab says what its list says, when the tabs could not count it themselves.
    counts = counts.counted(filters.status, page.total)
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
        languages=spoken_languages(),
        paged="older" in request.args or "newer" in request.args,
        days=days,
    )


def spoken_languages() -> list[tuple[str, str]]:
    """The languages the queue filters on, (code, French name) in alphabetical order, the
    unknown ones last."""
    named = sorted(
        ((code, str(label)) for code, label in SPOKEN_LABELS.items() if code != OTHER),
        key=lambda item: unaccented(item[1]),
    )
    return [*named, (OTHER, str(SPOKEN_LABELS[OTHER]))]


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
    return download(ReadKind.EXPORT_CSV, "text/csv", "orientations.csv")


@bp.get("/export.xlsx")
@coordinator_required
def export_xlsx():
    """The same selection for office software: a row per child, French headers and labels,
    Paris time. Streamed as it is written, like the CSV: the workbook's fixed parts leave at
    once, then the sheet's rows as the database hands them over, deflated into the zip a
    batch at a time, so neither the first byte nor the worker's memory waits for the last
    row."""
    return download(
        ReadKind.EXPORT_XLSX,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "orientations.xlsx",
    )


def download(kind: str, mimetype: str, filename: str) -> Response:
    """The export `kind` of the current filters, answered as its chunks come, never cached.

    Where the server runs exports in processes of their own (`apart`, started by
    gunicorn.conf.py), the chunks come from one, and this thread only passes them on: an
    export's work then waits for the pages' rather than holding them up. Elsewhere (the
    tests' client, `flask run`), the request's thread writes them itself."""
    filters = current_filters()
    if apart.running():
        chunks = apart.chunks(kind, filters, current_user.id)
    else:
        territory = current_app.extensions["territory"]
        chunks = stream_with_context(export_chunks(kind, filters, current_user.id, territory))
    return Response(
        chunks,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f"attachment; filename={filename}",
            "Cache-Control": "no-store",
        },
    )
