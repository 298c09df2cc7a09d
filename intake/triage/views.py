"""The coordinator's queue: list, read, change status, export."""

from __future__ import annotations

import csv
import io
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
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import select

from ..extensions import db
from ..models import Referral, utcnow
from ..public.forms import options
from ..retention import is_overdue
from ..vocabulary import status_label
from ..workflow import TransitionError, allowed_next
from .forms import NoteForm, StatusForm
from .operations import add_note, change_status
from .queries import QueueFilters, queue_query, undelivered_mail, with_undelivered_mail

bp = Blueprint("triage", __name__)

MAX_PAGE = 100_000

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
    """Refuse changes (403) to accounts that may only read."""

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
    """The referrals, newest first, filtered and paginated."""
    filters = QueueFilters.from_args(request.args)
    # Clamped: a huge page number would overflow the database's integers.
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    pagination = db.paginate(
        queue_query(filters),
        page=page,
        per_page=current_app.config["INTAKE_PAGE_SIZE"],
        error_out=False,
    )
    days = current_app.extensions["territory"].programme.remind_after_days
    now = utcnow()
    overdue = {r.id for r in pagination.items if is_overdue(r.status, r.received_at, now, days)}
    undelivered = set(db.session.scalars(with_undelivered_mail([r.id for r in pagination.items])))
    return render_template(
        "triage/queue.html",
        pagination=pagination,
        filters=filters,
        overdue=overdue,
        days=days,
        undelivered=undelivered,
    )


@bp.get("/export.csv")
def export():
    """The referrals the current filters select, as CSV: codes only, no names or situations."""
    filters = QueueFilters.from_args(request.args)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    rows = 0
    for referral in db.session.scalars(queue_query(filters)):
        rows += 1
        writer.writerow(
            [
                referral.reference,
                referral.received_at.isoformat(),
                referral.source,
                referral.status,
                referral.eligibility,
                "yes" if referral.urgent else "no",
                len(referral.children),
                referral.last_activity_at.isoformat(),
            ]
        )
    # The search text may be a name: the log only says whether there was one.
    current_app.logger.info(
        "export user_id=%s status=%s eligibility=%s search=%s rows=%d",
        current_user.id,
        filters.status or "-",
        filters.eligibility or "-",
        "yes" if filters.q else "no",
        rows,
    )
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": "attachment; filename=orientations.csv",
            "Cache-Control": "no-store",
        },
    )


@bp.get("/<reference>")
def detail(reference: str):
    """One referral, whole: family, children with their screening, history."""
    referral = get_referral(reference)
    return render_detail(referral)


def render_detail(referral: Referral, form: StatusForm | None = None, note_form=None, code=200):
    """The detail page, with the forms as submitted when one of them was refused."""
    return render_template(
        "triage/detail.html",
        referral=referral,
        form=form or status_form(referral),
        note_form=note_form or NoteForm(formdata=None),
        undelivered=db.session.scalars(undelivered_mail(referral.id)).all(),
    ), code


def status_form(referral: Referral, formdata=None) -> StatusForm:
    """The status form offering only the moves allowed from the referral's status."""
    form = StatusForm(formdata=formdata)
    form.status.choices = options(
        (s.value, status_label(s.value)) for s in allowed_next(referral.status)
    )
    return form


@bp.post("/<reference>/status")
@coordinator_required
def set_status(reference: str):
    """Change a referral's status; a refused move is explained and changes nothing."""
    referral = get_referral(reference)
    form = status_form(referral, formdata=request.form)
    if form.validate():
        try:
            change_status(referral, form.status.data, form.comment.data or "", current_user)
        except TransitionError as error:
            db.session.rollback()
            form.status.errors = [
                gettext(error.message, **{k: gettext(v) for k, v in error.params.items()})
            ]
        else:
            db.session.commit()
            flash(
                gettext("Statut changé : %(label)s.", label=status_label(referral.status)),
                "success",
            )
            return redirect(url_for("triage.detail", reference=referral.reference), 303)
    return render_detail(referral, form=form, code=422)


@bp.post("/<reference>/notes")
@coordinator_required
def create_note(reference: str):
    """Add a note to a referral."""
    referral = get_referral(reference)
    note_form = NoteForm()
    if note_form.validate_on_submit():
        add_note(referral, note_form.text.data, current_user)
        db.session.commit()
        flash(gettext("Note ajoutée."), "success")
        return redirect(url_for("triage.detail", reference=referral.reference) + "#notes", 303)
    return render_detail(referral, note_form=note_form, code=422)
