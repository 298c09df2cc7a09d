"""Public pages: the programme, both forms, the confirmation, the status link, health."""

from __future__ import annotations

from collections.abc import Collection

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import TooManyRequests

from intake.errors import error_page
from intake.extensions import csrf, db, limiter
from intake.forms.children import REMOVE_CHILD, blank_children, split_list_key
from intake.forms.fields import page_language
from intake.forms.referral import MAX_CHILDREN, ReferralBase
from intake.models import Referral, Source
from intake.notifications.render import (
    children_standing,
    children_words,
    outcome_context,
    told_services,
)
from intake.public.forms import OrientationForm, RequestForm
from intake.public.operations import DuplicateSubmission, create_referral
from intake.public.wording import children_in_words
from intake.rules.clock import days_after, today
from intake.rules.progress import STEP_LABELS, latest_outcome, public_steps
from intake.throttling import retry_delay
from intake.tokens import read_status_token

bp = Blueprint("public", __name__)


@bp.get("/")
def index():
    """The programme: who it is for, what it offers, how to reach it."""
    return render_template("public/index.html")


@bp.get("/confidentialite")
def privacy():
    """The privacy notice."""
    return render_template("public/privacy.html")


@bp.get("/accessibilite")
def accessibility():
    """The accessibility statement (RGAA's « déclaration d’accessibilité »)."""
    return render_template("public/accessibility.html")


@bp.route("/orientation", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["INTAKE_FORM_LIMIT"], methods=["POST"])
# The form checks its own CSRF token, so an expired one re-shows the form with what was
# typed instead of the global handler's bare 400: a parent must not lose a long message.
@csrf.exempt
def orientation():
    """A professional refers a child."""
    return referral_form(OrientationForm, Source.PROFESSIONAL, "public/orientation.html")


@bp.route("/demande", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["INTAKE_FORM_LIMIT"], methods=["POST"])
# The form checks its own CSRF token, so an expired one re-shows the form with what was
# typed instead of the global handler's bare 400: a parent must not lose a long message.
@csrf.exempt
def request_help():
    """A parent asks for help."""
    return referral_form(RequestForm, Source.PARENT, "public/request.html")


def renumber_children(formdata: MultiDict, drop: Collection[int] = ()) -> MultiDict:
    """Copy `formdata` with the children numbered 0, 1, 2… again, leaving out those in `drop`.

    Keys that only look like a child's (`children-²-…`, `children-01-…`) are left out too.
    """
    indices = sorted({parsed[0] for key in formdata if (parsed := split_list_key(key, "children"))})
    new_index = {old: new for new, old in enumerate(i for i in indices if i not in drop)}
    renumbered = MultiDict()
    for key, values in formdata.lists():
        if key.startswith("children"):
            parsed = split_list_key(key, "children")
            if parsed is None or parsed[0] not in new_index:
                continue
            key = f"children-{new_index[parsed[0]]}-{parsed[1]}"
        renumbered.setlist(key, values)
    return renumbered


def posted_form(drop: Collection[int] = ()) -> MultiDict:
    """The posted form without the children in `drop` nor those left empty (the folded
    places for more children come back empty: they are not children), renumbered."""
    return renumber_children(request.form, drop={*drop, *blank_children(request.form)})


def removed_child(formdata: MultiDict | None) -> int | None:
    """The index of the child whose remove button was pressed, -1 for a button naming none.

    None when no remove button was pressed: the form was sent (or resized with add_child).
    """
    keys = [key for key in formdata or () if key.startswith("remove_child-")]
    for key in keys:
        if match := REMOVE_CHILD.fullmatch(key):
            return int(match.group(1))
    return -1 if keys else None


def show(template: str, form: ReferralBase, status: int = 200, **context):
    """The form, with its warnings beside its fields and in their summary, whatever the reason
    it is shown again (errors, a child added or removed, the check button)."""
    territory = current_app.extensions["territory"]
    form.warn(territory.programme, today())
    form.pad_children()
    return render_template(template, form=form, **context), status


def blank(template: str, form: ReferralBase, source: Source):
    """The form as a GET shows it: empty, and saying what this browser last sent from it.

    Back after a send lands here (the answers to a POST are replaced by this address in the
    history, static/form.js): a parent sees that the request left, with its reference, and a
    blank form for another one, never the browser's "Confirm Form Resubmission".
    """
    form.suggest_place(current_app.extensions["territory"].sole_place())
    form.pad_children()
    sent = session.get("confirmation") or {}
    just_sent = sent.get("reference") if sent.get("source") == source.value else None
    return render_template(template, form=form, just_sent=just_sent, sent_source=source.value)


def referral_form(form_class: type[ReferralBase], source: Source, template: str):
    """Show, resize, check, validate and store either form; the two differ only in their fields.

    A valid send is stored whatever it is warned about: warnings are shown when the form is
    shown again, and repeated on the confirmation, never in the way of a send (the contract's
    303 at the first valid POST).
    """
    if request.method != "POST":
        return blank(template, form_class(formdata=None), source)
    if "lang" in request.form:
        # The language switch (public/_language_button.html): the same form, as typed, in the
        # language asked (intake.translation.select_locale); nothing checked, nothing stored.
        return show(template, form_class(formdata=posted_form()))
    if "add_child" in request.form:
        form = form_class(formdata=posted_form())
        if len(form.children) < MAX_CHILDREN:
            form.children.append_entry()
        return show(template, form, focus=form.children[-1].form.first_name.id)
    removed = removed_child(request.form)
    if removed is not None:
        # Pressing a remove button never sends the form, even when it names no child.
        form = form_class(formdata=posted_form(drop={removed}))
        return show(template, form)

    formdata = posted_form()
    # A post with no field at all is not processed (BaseForm): every field then answers.
    form = form_class(formdata=formdata or None)
    valid = form.validate()
    if "check" in formdata:
        # "Vérifier ma demande": errors and warnings shown, nothing stored.
        return show(template, form, checked=True)
    if valid and form.is_spam:
        current_app.logger.info("honeypot filled on %s: submission dropped", request.path)
        return confirm(None, source)
    if not valid:
        return show(template, form)
    territory = current_app.extensions["territory"]
    # What deserves a second look is carried to the confirmation.
    form.warn(territory.programme, today())
    try:
        referral = create_referral(source, form.data, territory, sent_language=page_language())
        # Read before the commit expires them: reading after would cost two more queries.
        reference, children = referral.reference, len(referral.children)
        eligibility = referral.eligibility
        db.session.commit()
        current_app.logger.info(
            "referral stored reference=%s source=%s children=%d eligibility=%s",
            reference,
            source.value,
            children,
            eligibility,
        )
    except DuplicateSubmission as twin:
        # Sent twice: the first one stands; give its reference back (and its number too).
        db.session.rollback()
        current_app.logger.info("duplicate submission of %s dropped", twin.reference)
        return confirm(twin.reference, source, form)
    except SQLAlchemyError:
        # Nothing is lost: the person gets the form back as typed and can send it again.
        db.session.rollback()
        current_app.logger.exception("referral could not be stored")
        return show(template, form, 503, unavailable=True)
    return confirm(reference, source, form)


# The forms a throttled post re-shows, by endpoint.
THROTTLED_FORMS: dict[str, tuple[type[ReferralBase], str]] = {
    "public.orientation": (OrientationForm, "public/orientation.html"),
    "public.request_help": (RequestForm, "public/request.html"),
}


@bp.errorhandler(TooManyRequests)
def throttled(error: TooManyRequests):
    """A post refused by INTAKE_FORM_LIMIT shows its form again as typed (429), saying it was
    not sent and when to retry: the view did not run, so nothing was stored, and the form's
    new CSRF token lets the retry through."""
    if request.endpoint not in THROTTLED_FORMS:
        return error_page(error)
    form_class, template = THROTTLED_FORMS[request.endpoint]
    return show(
        template, form_class(formdata=posted_form() or None), 429, retry_delay=retry_delay()
    )


def confirm(reference: str | None, source: Source, form: ReferralBase | None = None):
    """Go to the confirmation page (303), carrying the reference in the session, not the URL.

    With the form sent (and warned about), the session also carries the children's birth
    years, whether one is outside the programme's ages, and each misspelt e-mail domain with
    the one likely meant: no name, no address, only what the page repeats for a second look.
    """
    session["confirmation"] = {
        "reference": reference,
        "source": source.value,
        "years": [entry.form.birth_date.data.year for entry in form.children] if form else [],
        "age_outside": bool(form and form.age_outside),
        "domain_slips": [list(slip) for slip in form.domain_slips] if form else [],
    }
    return redirect(url_for("public.confirmation"), 303)


@bp.get("/confirmation")
def confirmation():
    """What happens next; the reference is kept in the session, not in the URL."""
    sent = session.get("confirmation")
    if not sent:
        return redirect(url_for("public.index"))
    programme = current_app.extensions["territory"].programme
    form_class = OrientationForm if sent["source"] == Source.PROFESSIONAL.value else RequestForm
    age_warning = (
        gettext(form_class.AGE_WARNING, min_age=programme.min_age, max_age=programme.max_age)
        if sent.get("age_outside")
        else None
    )
    return render_template(
        "public/confirmation.html",
        reference=sent["reference"],
        source=sent["source"],
        children=children_in_words(sent.get("years") or [], sent["source"]),
        age_warning=age_warning,
        domain_slips=sent.get("domain_slips") or [],
    )


@bp.get("/suivi/<token>")
def status(token: str):
    """Where a referral stands, and each of its children, for whoever holds the link of an
    acknowledgement or a notice: the referrer's link, or the family's own.

    Both read the same facts (no name: each child by its year of birth); they differ in whom
    the page speaks to. A parent's request has no referrer: any of its links is the family's.
    """
    read = read_status_token(token)
    if read is None:
        abort(404)
    reference, audience = read
    referral = db.session.scalar(select(Referral).where(Referral.reference == reference))
    if referral is None:
        abort(404)
    if referral.anonymised_at is not None:
        # Past its retention (`retention purge`): a link kept in an old e-mail says so, and
        # shows nothing of the referral, not even its steps.
        return render_template("public/status_gone.html"), 410
    if referral.source != Source.PROFESSIONAL:
        audience = "family"
    outcome = latest_outcome(referral.status, referral.history)
    decision = outcome_context(outcome) if outcome else None
    standings = children_standing(referral)
    # Child by child when there are several; one child's page reads as it always did.
    # Their years only, whoever reads: a link may be forwarded, and the referrer's notice
    # already said which pupil is which.
    children = children_words(referral, standings) if len(standings) > 1 else []
    return render_template(
        "public/status.html",
        referral=referral,
        audience=audience,
        steps=public_steps(referral.received_at, referral.status, referral.history),
        step_labels=STEP_LABELS,
        decision=decision,
        children=children,
        # Where the services a redirection sends the family to are, when the territory
        # lists them, as its notice says.
        services=told_services(decision["service"] if decision else None, children),
        mixed=len({standing.status for standing in standings}) > 1,
        # The Paris day, as every date the programme gives (intake.rules.clock).
        contact_by=days_after(
            referral.received_at,
            current_app.extensions["territory"].programme.contact_within_days,
        ),
    )


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """200 when the database answers, 503 otherwise (for load balancers and monitoring)."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")
