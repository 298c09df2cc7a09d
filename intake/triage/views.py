"""The coordinator's queue: list, read, change status, export."""

from __future__ import annotations

import csv
import io
import tempfile
from functools import wraps

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from intake.extensions import db
from intake.models import Agreement, Referral, User, utcnow
from intake.public.forms import options, school_choices
from intake.rules.clock import local_datetime, today
from intake.rules.vocabulary import format_datetime, status_label
from intake.rules.workflow import (
    TransitionError,
    allowed_next,
    check_decision,
    check_transition,
    needs_confirmation,
)
from intake.triage.audit import ExportLog, ReadKind, reads, record_read
from intake.triage.forms import (
    AgreementForm,
    AssignForm,
    NoteForm,
    StatusForm,
    WithdrawAgreementForm,
)
from intake.triage.listing import queue_rows
from intake.triage.operations import (
    StaleVersion,
    add_note,
    assign,
    change_status,
    check_version,
    record_agreement,
    withdraw_agreement,
)
from intake.triage.queries import (
    Cursor,
    QueueFilters,
    export_rows,
    filter_staff,
    in_batches,
    queue_page,
    referents,
    status_counts,
    undelivered_mail,
    with_undelivered_mail,
)
from intake.triage.spreadsheet import neutralise, stream_rows, write_workbook

bp = Blueprint("triage", __name__)

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


@bp.before_request
@login_required
def require_login() -> None:
    """Every staff page needs a logged-in account; anonymous visitors go to /connexion."""


def coordinator_required(view):
    """Refuse changes and exports (403) to accounts that may only read."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.can_edit:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def get_referral(reference: str) -> Referral:
    """The referral with this reference, or 404."""
    referral = db.session.scalar(select(Referral).where(Referral.reference == reference))
    if referral is None:
        abort(404)
    return referral


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
    user_id = current_user.id

    def lines():
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(EXPORT_COLUMNS)
        yield take(out)
        rows = 0
        complete = False
        read_log = ExportLog(user_id, ReadKind.EXPORT_CSV)
        batches = in_batches(export_rows(filters))
        try:
            # A chunk of the response per batch of rows.
            for batch in batches:
                writer.writerows(export_line(row) for row in read_log.through(batch))
                rows += len(batch)
                yield take(out)
            complete = True
        finally:
            batches.close()
            log_export("export", user_id, filters, rows, complete)
            close_export_log(read_log, filters, rows, complete)

    return Response(
        stream_with_context(lines()),
        mimetype="text/csv",
        headers={
            "Content-Disposition": "attachment; filename=orientations.csv",
            "Cache-Control": "no-store",
        },
    )


@bp.get("/export.xlsx")
@coordinator_required
def export_xlsx():
    """The same selection for office software: a row per child, French headers and labels,
    Paris time. Built in a temporary file by openpyxl's write-only mode, then sent from it:
    memory stays flat whatever the number of rows."""
    filters = current_filters()
    out = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it once sent
    read_log = ExportLog(current_user.id, ReadKind.EXPORT_XLSX)
    territory = current_app.extensions["territory"]
    rows = write_workbook(read_log.through(stream_rows(filters)), territory, out)
    out.seek(0)
    log_export("export.xlsx", current_user.id, filters, rows)
    close_export_log(read_log, filters, rows)
    response = send_file(
        out,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name="orientations.xlsx",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


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


@bp.get("/<reference>")
def detail(reference: str):
    """One referral, whole: family, children with their screening, history."""
    referral = get_referral(reference)
    return render_detail(referral)


def render_detail(
    referral: Referral,
    code: int = 200,
    *,
    form: StatusForm | None = None,
    note_form: NoteForm | None = None,
    agreement_form: AgreementForm | None = None,
    withdraw_form: WithdrawAgreementForm | None = None,
    assign_form: AssignForm | None = None,
    withdraw_id: int | None = None,
    confirming: bool = False,
    stale: StaleVersion | None = None,
):
    """The detail page, with the forms as submitted when one of them was refused or asks
    for confirmation. Every change form carries the version this page shows."""
    forms = {
        "form": form or status_form(referral),
        "note_form": note_form or NoteForm(formdata=None),
        "agreement_form": agreement_form or AgreementForm(formdata=None),
        "withdraw_form": withdraw_form or WithdrawAgreementForm(formdata=None),
        "assign_form": assign_form or assign_form_for(referral),
    }
    for each in forms.values():
        each.version.data = str(referral.version)
    # Every display of the file is a read, the answer to a refused change included.
    record_read(current_user, ReadKind.DETAIL, [referral.reference])
    return render_template(
        "triage/detail.html",
        referral=referral,
        last_reads=reads(reference=referral.reference, limit=LAST_READS),
        undelivered=db.session.scalars(undelivered_mail(referral.id)).all(),
        withdraw_id=withdraw_id,
        today_iso=today().isoformat(),
        confirming=confirming,
        stale_message=stale_message(stale) if stale else None,
        **forms,
    ), code


# How many of the latest reads the detail page lists under "Consulté par".
LAST_READS = 5


def stale_message(stale: StaleVersion) -> str:
    """The 409's sentence: who changed the referral last, and when (Paris time; the day is
    only said when it is not today)."""
    by = stale.by.email if stale.by else gettext("un autre compte")
    at = local_datetime(stale.at)
    if at.date() == today():
        return gettext(
            "Ce dossier a été modifié par %(by)s à %(time)s, rechargez-le.",
            by=by,
            time=at.strftime("%H:%M"),
        )
    return gettext(
        "Ce dossier a été modifié par %(by)s le %(at)s, rechargez-le.",
        by=by,
        at=format_datetime(stale.at),
    )


@bp.errorhandler(StaleVersion)
def refuse_stale_change(stale: StaleVersion, **kept):
    """A change sent from a page older than the referral: 409, nothing of it stored, and the
    referral as it now stands, saying who changed it. `kept`: forms whose typed text is
    shown again (a note, an agreement), so that rereading the referral does not cost it."""
    db.session.rollback()
    current_app.logger.info(
        "stale change refused reference=%s user_id=%s", stale.referral.reference, current_user.id
    )
    return render_detail(stale.referral, 409, stale=StaleVersion(stale.referral), **kept)


@bp.errorhandler(StaleDataError)
def refuse_lost_race(error: StaleDataError):
    """Someone else's change was committed between our read and our write: SQLAlchemy's
    version check refused our UPDATE (at commit, or at an autoflush on the way). The same
    refusal as a stale form."""
    db.session.rollback()
    return refuse_stale_change(StaleVersion(get_referral(request.view_args["reference"])))


def status_form(referral: Referral, formdata=None) -> StatusForm:
    """The status form offering only the moves allowed from the referral's status, with
    nothing chosen in advance: a move is always a deliberate choice."""
    form = StatusForm(formdata=formdata)
    form.status.choices = options(
        ((s.value, status_label(s.value)) for s in allowed_next(referral.status)),
        placeholder=gettext("Choisissez un statut"),
    )
    return form


def transition_message(error: TransitionError) -> str:
    """A refused move's sentence, in French, its parameters translated too."""
    return gettext(error.message, **{k: gettext(v) for k, v in error.params.items()})


def show_error(form, error: TransitionError) -> None:
    """Put a refused move's sentence on the form field it is about."""
    getattr(form, error.field).errors = [transition_message(error)]


@bp.post("/<reference>/status")
@coordinator_required
def set_status(reference: str):
    """Change a referral's status; a refused move is explained and changes nothing, a final
    one is shown again for confirmation until `confirm` is ticked."""
    referral = get_referral(reference)
    form = status_form(referral, formdata=request.form)
    check_version(referral, form.version.data)
    if form.validate():
        decision = {
            "reason": form.reason.data,
            "service": form.service.data,
            "withdrawn_by": form.withdrawn_by.data,
        }
        comment = form.comment.data or ""
        try:
            if needs_confirmation(form.status.data) and not form.confirm.data:
                # Checked first, so the confirmation step never asks about a refused move.
                target = check_transition(referral.status, form.status.data, comment)
                check_decision(
                    target, comment=comment, has_agreement=referral.has_agreement, **decision
                )
                return render_detail(referral, form=form, confirming=True)
            change_status(
                referral,
                form.status.data,
                comment,
                current_user,
                share_reason=form.share_reason.data,
                **decision,
            )
        except TransitionError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(
                gettext("Statut changé : %(label)s.", label=status_label(referral.status)),
                "success",
            )
            return redirect(url_for("triage.detail", reference=referral.reference), 303)
    return render_detail(referral, 422, form=form)


@bp.post("/<reference>/notes")
@coordinator_required
def create_note(reference: str):
    """Add a note to a referral."""
    referral = get_referral(reference)
    note_form = NoteForm()
    try:
        check_version(referral, note_form.version.data)
    except StaleVersion as stale:
        return refuse_stale_change(stale, note_form=note_form)
    if note_form.validate_on_submit():
        add_note(referral, note_form.text.data, current_user)
        db.session.commit()
        flash(gettext("Note ajoutée."), "success")
        return redirect(url_for("triage.detail", reference=referral.reference) + "#notes", 303)
    return render_detail(referral, 422, note_form=note_form)


@bp.post("/<reference>/agreement")
@coordinator_required
def create_agreement(reference: str):
    """Record a legal representative's agreement."""
    referral = get_referral(reference)
    agreement_form = AgreementForm()
    try:
        check_version(referral, agreement_form.version.data)
    except StaleVersion as stale:
        return refuse_stale_change(stale, agreement_form=agreement_form)
    if agreement_form.validate_on_submit():
        record_agreement(
            referral,
            current_user,
            guardian_name=agreement_form.guardian_name.data,
            given_on=agreement_form.given_on.data,
            method=agreement_form.method.data,
            comment=agreement_form.comment.data or "",
        )
        db.session.commit()
        flash(gettext("Accord enregistré."), "success")
        return redirect(url_for("triage.detail", reference=referral.reference) + "#agreements", 303)
    return render_detail(referral, 422, agreement_form=agreement_form)


@bp.post("/<reference>/agreement/<int:agreement_id>/withdraw")
@coordinator_required
def withdraw(reference: str, agreement_id: int):
    """Record that an agreement was withdrawn."""
    referral = get_referral(reference)
    # A number past the database's integers would be an error there, not a missing row.
    agreement = db.session.get(Agreement, agreement_id) if agreement_id < 2**31 else None
    if agreement is None or agreement.referral_id != referral.id:
        abort(404)
    withdraw_form = WithdrawAgreementForm()
    check_version(referral, withdraw_form.version.data)
    if withdraw_form.validate_on_submit():
        try:
            withdraw_agreement(referral, agreement, current_user, withdraw_form.withdrawn_on.data)
        except TransitionError as error:
            db.session.rollback()
            show_error(withdraw_form, error)
        else:
            db.session.commit()
            flash(gettext("Retrait de l’accord enregistré."), "success")
            return redirect(
                url_for("triage.detail", reference=referral.reference) + "#agreements", 303
            )
    return render_detail(referral, 422, withdraw_form=withdraw_form, withdraw_id=agreement.id)


def assign_form_for(referral: Referral, formdata=None) -> AssignForm:
    """The référent form offering the active coordinators, by e-mail, and nobody; showing
    the current référent when it is not posted."""
    form = AssignForm(formdata=formdata)
    form.assigned_to.choices = options(
        ((str(user.id), user.email) for user in db.session.scalars(referents())),
        placeholder=gettext("Personne (sans référent)"),
    )
    if formdata is None:
        form.assigned_to.data = str(referral.assigned_to_id or "")
    return form


@bp.route("/<reference>/assign", methods=["GET", "POST"])
@coordinator_required
def assign_referral(reference: str):
    """Name the referral's référent, or none. The form lives on the detail page, where a GET
    of this address (a bookmarked or reloaded URL) is sent."""
    referral = get_referral(reference)
    if request.method == "GET":
        return redirect(url_for("triage.detail", reference=referral.reference) + "#referent", 303)
    form = assign_form_for(referral, formdata=request.form)
    check_version(referral, form.version.data)
    if form.validate_on_submit():
        chosen = form.assigned_to.data
        to_user = db.session.get(User, int(chosen)) if chosen else None
        try:
            changed = assign(referral, to_user, current_user)
        except TransitionError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            if changed is None:
                message = gettext("Le référent du dossier n’a pas changé.")
            elif to_user is None:
                message = gettext("Dossier sans référent.")
            else:
                message = gettext("Dossier attribué à %(email)s.", email=to_user.email)
            flash(message, "success")
            return redirect(url_for("triage.detail", reference=referral.reference), 303)
    return render_detail(referral, 422, assign_form=form)
