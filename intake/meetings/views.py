"""EPS meetings: list, create, the agenda and its order, decisions, print-outs.

The `meetings` blueprint, under /triage/reunions; a referral's own fiche has its own (fiche_views).
Every page needs a login; every change, and every fiche, needs a coordinator.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from intake.extensions import db
from intake.forms.fields import options
from intake.forms.numbers import read_id
from intake.meetings.access import get_item, get_meeting
from intake.meetings.display import agenda_items_of, decision_label, enrol_form_for, meeting_label
from intake.meetings.fiches import render_fiches
from intake.meetings.forms import AddItemForm, DecisionForm, EnrolForm, MeetingForm
from intake.meetings.forms import MeetingVersionedForm as ItemForm
from intake.meetings.operations import (
    MeetingStale,
    add_to_agenda,
    check_meeting_version,
    create_meeting,
    decision_choices,
    find_referral,
    margin_css,
    meeting_day,
    move_item,
    parse_attendees,
    past_meetings,
    record_decision,
    remove_item,
    short_name,
    upcoming_meetings,
)
from intake.models import AgendaItem, Meeting
from intake.rules.vocabulary import format_date
from intake.rules.workflow import Status, TransitionError
from intake.triage.access import coordinator_required, get_referral
from intake.triage.audit import ReadKind, record_read
from intake.triage.detail_page import refuse_stale_change, render_detail, transition_message
from intake.triage.operations import StaleVersion, check_version

bp = Blueprint("meetings", __name__)


@bp.before_request
@login_required
def require_login() -> None:
    """Every meeting page needs a logged-in account, as the queue does."""


@bp.app_context_processor
def meeting_helpers() -> dict:
    """What the meeting templates, and the include on a referral's page, need."""
    return {
        "decision_label": decision_label,
        "meeting_label": meeting_label,
        "short_name": short_name,
        "enrol_form_for": enrol_form_for,
        "agenda_items_of": agenda_items_of,
    }


def show_error(form, error: TransitionError) -> None:
    """Put a refused change's sentence on the field it is about (the decision form's minute
    stands for the status form's comment)."""
    name = "minute" if error.field == "comment" else error.field
    field = getattr(form, name, None) or form.status
    field.errors = [transition_message(error)]


# --- List and creation ------------------------------------------------------------------------


@bp.get("/")
def index():
    """The meetings: the coming ones first, soonest first, then the past ones, latest first."""
    return render_template(
        "meetings/index.html", upcoming=upcoming_meetings(), past=past_meetings()
    )


@bp.route("/nouvelle", methods=["GET", "POST"])
@coordinator_required
def new():
    """Create a meeting; a refused form answers 422 with every field as typed."""
    form = MeetingForm()
    if form.validate_on_submit():
        meeting = create_meeting(
            form.starts_at(), form.place.data, parse_attendees(form.attendees.data), current_user
        )
        db.session.commit()
        flash(gettext("Réunion créée."), "success")
        return redirect(url_for("meetings.show", meeting_id=meeting.id), 303)
    code = 422 if form.is_submitted() else 200
    return render_template("meetings/new.html", form=form), code


# --- The meeting page and its agenda ------------------------------------------------------------


def agenda_references(meeting: Meeting) -> list[str]:
    """The references of the agenda, in its order."""
    return [item.referral.reference for item in meeting.items]


def render_meeting(meeting: Meeting, code: int = 200, *, add_form=None, stale: bool = False):
    """The meeting page (logged as a read of its agenda), the add form as typed when it was
    refused; every change form carries the version this page shows."""
    record_read(current_user, ReadKind.AGENDA, agenda_references(meeting), meeting_id=meeting.id)
    add_form = add_form or AddItemForm(formdata=None)
    add_form.version.data = str(meeting.version)
    return render_template(
        "meetings/meeting.html",
        meeting=meeting,
        add_form=add_form,
        stale=stale,
    ), code


@bp.get("/<int:meeting_id>")
def show(meeting_id: int):
    """A meeting: when, where, who, and its agenda; coordinators change it from here."""
    return render_meeting(get_meeting(meeting_id))


@bp.errorhandler(MeetingStale)
def refuse_stale_meeting(stale: MeetingStale):
    """A change sent from a page older than the meeting: 409, nothing stored, and the meeting
    as it now stands."""
    db.session.rollback()
    current_app.logger.info(
        "stale meeting change refused meeting_id=%s user_id=%s", stale.meeting.id, current_user.id
    )
    return render_meeting(stale.meeting, 409, stale=True)


@bp.errorhandler(StaleDataError)
def refuse_lost_race(error: StaleDataError):
    """Another coordinator's change was committed between our read and our write: the
    version check refused our UPDATE. The same answer as a stale form."""
    db.session.rollback()
    return refuse_stale_meeting(MeetingStale(get_meeting(request.view_args["meeting_id"])))


@bp.post("/<int:meeting_id>/points")
@coordinator_required
def add_item(meeting_id: int):
    """Put a referral on the agenda by its reference; `in_review` moves to `eps`."""
    meeting = get_meeting(meeting_id)
    form = AddItemForm()
    check_meeting_version(meeting, form.version.data)
    if form.validate_on_submit():
        # Written in full: "2" is looked up, and named if unknown, as PRE-2026-00002.
        wanted = form.wanted_reference()
        referral = find_referral(wanted)
        if referral is None:
            form.reference.errors = [
                gettext("Aucun dossier ne porte la référence %(reference)s.", reference=wanted)
            ]
        else:
            try:
                add_to_agenda(meeting, referral, current_user)
            except TransitionError as error:
                db.session.rollback()
                show_error(form, error)
            else:
                db.session.commit()
                flash(
                    gettext(
                        "%(reference)s ajouté à l’ordre du jour.", reference=referral.reference
                    ),
                    "success",
                )
                return redirect(url_for("meetings.show", meeting_id=meeting.id) + "#agenda", 303)
    return render_meeting(meeting, 422, add_form=form)


@bp.post("/<int:meeting_id>/points/<int:item_id>/deplacer")
@coordinator_required
def move(meeting_id: int, item_id: int):
    """Move an item one place up or down the agenda (a button each, no script needed)."""
    meeting = get_meeting(meeting_id)
    item = get_item(meeting, item_id)
    form = ItemForm()
    check_meeting_version(meeting, form.version.data)
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400)
    if form.validate_on_submit():
        move_item(meeting, item, direction, current_user)
        db.session.commit()
        return redirect(url_for("meetings.show", meeting_id=meeting.id) + "#agenda", 303)
    abort(400)


@bp.post("/<int:meeting_id>/points/<int:item_id>/retirer")
@coordinator_required
def remove(meeting_id: int, item_id: int):
    """Take an undecided referral off the agenda; its status stays as it is."""
    meeting = get_meeting(meeting_id)
    item = get_item(meeting, item_id)
    form = ItemForm()
    check_meeting_version(meeting, form.version.data)
    if not form.validate_on_submit():
        abort(400)
    reference = item.referral.reference
    try:
        remove_item(meeting, item, current_user)
    except TransitionError as error:
        db.session.rollback()
        flash(gettext(error.message), "error")
        return redirect(url_for("meetings.show", meeting_id=meeting.id) + "#agenda", 303)
    db.session.commit()
    flash(
        gettext(
            "%(reference)s retiré de l’ordre du jour ; son statut n’a pas changé.",
            reference=reference,
        ),
        "success",
    )
    return redirect(url_for("meetings.show", meeting_id=meeting.id) + "#agenda", 303)


# --- Decisions ---------------------------------------------------------------------------------


def decision_form(item: AgendaItem, formdata=None) -> DecisionForm:
    """The decision form, offering what the workflow allows from `eps`, and postponing; and
    the children still before the EPS, to decide for some of them only."""
    form = DecisionForm(formdata=formdata)
    form.status.choices = options(
        ((code, decision_label(code)) for code in decision_choices()),
        placeholder=gettext("Choisissez la décision"),
    )
    form.children.choices = options(
        (str(child.number), short_name(child))
        for child in item.referral.children
        if child.status == Status.EPS
    )
    return form


def render_decision(
    meeting: Meeting, item: AgendaItem, form: DecisionForm, code: int = 200, *, stale: bool = False
):
    """The page where one referral's decision is recorded."""
    form.version.data = str(meeting.version)
    return render_template(
        "meetings/decision.html", meeting=meeting, item=item, form=form, stale=stale
    ), code


@bp.route("/<int:meeting_id>/points/<int:item_id>/decision", methods=["GET", "POST"])
@coordinator_required
def decide(meeting_id: int, item_id: int):
    """Record what the meeting decided for one referral, and its minute.

    A final status needs no second confirmation here: the team decided in session. The
    workflow's rules still apply (a refusal's reason, the parents' agreement before
    `accepted`); a refusal answers 422 and changes nothing.
    """
    meeting = get_meeting(meeting_id)
    item = get_item(meeting, item_id)
    if request.method == "GET":
        return render_decision(meeting, item, decision_form(item))
    form = decision_form(item, formdata=request.form)
    try:
        check_meeting_version(meeting, form.version.data)
    except MeetingStale:
        db.session.rollback()
        # The minute typed is kept: rereading the meeting must not cost it.
        return render_decision(meeting, item, form, 409, stale=True)
    if form.validate():
        try:
            record_decision(
                meeting,
                item,
                form.status.data,
                form.minute.data or "",
                current_user,
                children=form.children.numbers,
                reason=form.reason.data,
                service=form.service.data,
                withdrawn_by=form.withdrawn_by.data,
                share_reason=form.share_reason.data,
            )
            db.session.commit()
        except TransitionError as error:
            db.session.rollback()
            show_error(form, error)
        except StaleDataError:
            db.session.rollback()
            return render_decision(meeting, item, form, 409, stale=True)
        else:
            flash(
                gettext(
                    "Décision enregistrée pour %(reference)s : %(decision)s.",
                    reference=item.referral.reference,
                    decision=decision_label(form.status.data),
                ),
                "success",
            )
            if item.decision is None:
                # Children still wait for theirs: the same page, for them.
                return redirect(
                    url_for("meetings.decide", meeting_id=meeting.id, item_id=item.id), 303
                )
            return redirect(
                url_for("meetings.show", meeting_id=meeting.id) + f"#item-{item.id}", 303
            )
    return render_decision(meeting, item, form, 422)


# --- From a referral's page ----------------------------------------------------------------------


@bp.post("/inscrire/<reference>")
@coordinator_required
def enrol(reference: str):
    """Put a referral on a coming meeting from its own page; the change form carries the
    referral's version, as the other forms of that page do."""
    referral = get_referral(reference)
    form = EnrolForm()
    try:
        check_version(referral, form.version.data)
    except StaleVersion as stale:
        return refuse_stale_change(stale)
    if form.validate_on_submit():
        # ASCII digits only: "١" is not meeting 1, nor "²" a number.
        meeting_id = read_id(form.meeting.data)
        meeting = db.session.get(Meeting, meeting_id) if meeting_id is not None else None
        if meeting is None:
            form.meeting.errors = [gettext("Choisissez une réunion de la liste.")]
        else:
            try:
                add_to_agenda(meeting, referral, current_user)
                db.session.commit()
            except TransitionError as error:
                db.session.rollback()
                form.meeting.errors = [
                    gettext(error.message, **{k: gettext(v) for k, v in error.params.items()})
                ]
            except StaleDataError:
                db.session.rollback()
                return refuse_stale_change(StaleVersion(get_referral(reference)))
            else:
                flash(
                    gettext(
                        "Dossier mis à l’ordre du jour de la réunion du %(day)s.",
                        day=format_date(meeting.starts_at),
                    ),
                    "success",
                )
                return redirect(url_for("triage.detail", reference=referral.reference), 303)
    g.enrol_form = form
    return render_detail(referral, 422)


# --- Print-outs --------------------------------------------------------------------------------


@bp.get("/<int:meeting_id>/ordre-du-jour")
def agenda(meeting_id: int):
    """The agenda, to print: when, where, who, and the referrals in order."""
    meeting = get_meeting(meeting_id)
    record_read(current_user, ReadKind.AGENDA, agenda_references(meeting), meeting_id=meeting.id)
    return render_template("meetings/agenda.html", meeting=meeting)


@bp.get("/marges.css")
@coordinator_required
def fiche_margins():
    """The fiches' print margins: each one's reference at the top of its pages (`ref`, the
    references in the order of the fiches)."""
    css = margin_css(request.args.getlist("ref")[:200], gettext("Fiche de liaison EPS"))
    return current_app.response_class(css, mimetype="text/css")


@bp.get("/<int:meeting_id>/fiches")
@coordinator_required
def fiches(meeting_id: int):
    """The fiches de liaison of a meeting's agenda, in its order; ages on the meeting's day."""
    meeting = get_meeting(meeting_id)
    referrals = [item.referral for item in meeting.items]
    record_read(
        current_user, ReadKind.FICHE, [r.reference for r in referrals], meeting_id=meeting.id
    )
    return render_fiches(referrals, meeting_day(meeting), meeting)
