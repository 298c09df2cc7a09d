"""A child's page, /triage/<reference>/enfants/<position>: its profile and its parcours, from
entry to exit, and the forms that change them.

The routes are the triage blueprint's (its login guard, its 409 on a lost race): this module
adds them to it, imported by the application factory before the blueprint is registered.
Coordinators change; viewers read, without the free texts; every change carries the
referral's version.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from intake.extensions import db
from intake.forms.fields import options
from intake.forms.numbers import read_id
from intake.models import Child, Correction, Parcours, Referral, User
from intake.parcours import display
from intake.parcours.forms import (
    ActionForm,
    ExitForm,
    ObjectiveEditForm,
    ObjectiveForm,
    ProfileForm,
    ReferentForm,
    RemoveForm,
    ReviewForm,
)
from intake.parcours.operations import (
    ACTION_FIELDS,
    add_action,
    add_objective,
    add_review,
    check_open,
    edit_action,
    edit_objective,
    remove_objective,
    set_referent,
    set_sex,
)
from intake.rules import parcours as parcours_vocabulary
from intake.rules.clock import today
from intake.rules.parcours import action_kinds, check_exit, due_for_review, review_late
from intake.rules.workflow import Status, TransitionError
from intake.triage.access import coordinator_required, get_referral
from intake.triage.audit import ReadKind, record_read
from intake.triage.blueprint import bp
from intake.triage.detail_page import stale_message, transition_message
from intake.triage.filters import referents
from intake.triage.operations import StaleVersion, check_version, end_parcours

CHILD_PAGE = "/<reference>/enfants/<int:position>"


def child_of(reference: str, position: int) -> tuple[Referral, Child]:
    """The referral of `reference` and its child numbered `position` (1 to 4), or 404."""
    referral = get_referral(reference)
    # A number past the database's integers names no child either.
    child = referral.child_at(position) if 0 < position < 10 else None
    if child is None:
        abort(404)
    return referral, child


def kinds_offered() -> dict[str, str]:
    """The kinds of action offered: the built-in ones and the territory's own, `other` last."""
    territory = current_app.extensions["territory"]
    return action_kinds((kind.code, kind.name) for kind in territory.action_kinds)


# --- The forms as the page shows them ---------------------------------------------------------


def referent_form(parcours: Parcours | None, formdata=None) -> ReferentForm:
    """The référent form offering the active coordinators; showing the current référent when
    it is not posted."""
    form = ReferentForm(formdata=formdata)
    form.referent_id.choices = options(
        ((str(user.id), user.email) for user in db.session.scalars(referents())),
        placeholder=gettext("Personne extérieure (ci-dessous)"),
    )
    if formdata is None and parcours is not None:
        form.referent_id.data = str(parcours.referent_id or "")
        form.referent_name.data = parcours.referent_name
        form.referent_organisation.data = parcours.referent_organisation
    return form


def with_ids(form, prefix: str):
    """`form` with ids of its own, `prefix-…`: the page shows one such form per action or
    objective, and ids must be unique on it; the names stay the fields' (the version's too)."""
    for field in form:
        if field.short_name not in ("version", "csrf_token"):
            field.id = field.label.field_id = f"{prefix}-{field.short_name}"
    return form


def action_form(formdata=None, prefix: str = "", **data: Any) -> ActionForm:
    """An action form offering the kinds of action (a stored kind since removed from the
    territory stays offered on its own form), its ids prefixed by `prefix` if given."""
    form = ActionForm(formdata=formdata, **data)
    if prefix:
        with_ids(form, prefix)
    kinds = kinds_offered()
    stored = data.get("kind")
    if stored and stored not in kinds:
        kinds[stored] = stored
    form.kind.choices = options(kinds.items(), placeholder=gettext("Choisissez un type"))
    return form


def action_edit_form(parcours: Parcours, number: int, formdata=None) -> ActionForm:
    """The form that ends or corrects the action numbered `number`, filled with it."""
    action = parcours.actions[number - 1]
    values = {name: getattr(action, name) for name in ACTION_FIELDS}
    values["mode"] = "collective" if values.pop("collective") else "individual"
    return action_form(formdata, prefix=f"action-{number}", **values)


def objective_edit_form(parcours: Parcours, domain: str, formdata=None) -> ObjectiveEditForm:
    objective = next(o for o in parcours.objectives if o.domain == domain)
    form = ObjectiveEditForm(formdata=formdata, text=objective.text)
    return with_ids(form, f"objective-{domain}")


def render_child(
    referral: Referral,
    child: Child,
    code: int = 200,
    *,
    stale: StaleVersion | None = None,
    refusal: str | None = None,
    confirming: bool = False,
    action_edit: tuple[int, ActionForm] | None = None,
    objective_edit: tuple[str, ObjectiveEditForm] | None = None,
    **given: Any,
):
    """The child's page, with the form sent shown as sent when it was refused or asks for
    confirmation. Every change form carries the version this page shows."""
    parcours = child.parcours
    forms: dict[str, Any] = {
        "profile_form": ProfileForm(formdata=None, sex=child.sex or ""),
        "referent_form": referent_form(parcours),
        "objective_form": ObjectiveForm(formdata=None),
        "action_form": action_form(),
        "review_form": ReviewForm(formdata=None),
        "exit_form": ExitForm(formdata=None),
        **given,
    }
    action_forms: dict[int, ActionForm] = {}
    objective_forms: dict[str, ObjectiveEditForm] = {}
    if parcours is not None and current_user.can_edit:
        action_forms = {
            number: action_edit_form(parcours, number)
            for number in range(1, len(parcours.actions) + 1)
        }
        objective_forms = {
            objective.domain: objective_edit_form(parcours, objective.domain)
            for objective in parcours.objectives
        }
    if action_edit is not None:
        action_forms[action_edit[0]] = action_edit[1]
    if objective_edit is not None:
        objective_forms[objective_edit[0]] = objective_edit[1]
    for form in (*forms.values(), *action_forms.values(), *objective_forms.values()):
        form.version.data = str(referral.version)
    # Every display of the child's page is a read of the referral, as its detail page is.
    record_read(current_user, ReadKind.DETAIL, [referral.reference])
    day = today()
    next_review = parcours.next_review_on if parcours is not None and not parcours.ended else None
    return render_template(
        "parcours/child.html",
        referral=referral,
        child=child,
        parcours=parcours,
        action_forms=action_forms,
        objective_forms=objective_forms,
        action_kinds=kinds_offered(),
        review_due=due_for_review(next_review, day),
        review_late=review_late(next_review, day),
        corrections=corrections_of(referral, child),
        display=display,
        pv=parcours_vocabulary,
        confirming=confirming,
        refusal=refusal,
        stale_message=stale_message(stale) if stale else None,
        **forms,
    ), code


def corrections_of(referral: Referral, child: Child) -> list[Correction]:
    """The referral's corrections of this child's parcours and profile, newest first."""
    prefixes = (f"parcours.{child.number}.", f"children.{child.position}.sex")
    return [
        correction
        for correction in reversed(referral.corrections)
        if any(key.startswith(prefixes) for key in correction.fields)
    ]


# --- Changes ------------------------------------------------------------------------------------


def back_to(child: Child, anchor: str):
    return redirect(
        url_for("triage.child_page", reference=child.referral.reference, position=child.number)
        + anchor,
        303,
    )


def refuse(form, error: TransitionError) -> str | None:
    """Put a refusal on the field of `form` it is about; return it when it is about no field
    of the form (the page says it at the top)."""
    message = transition_message(error)
    if error.field in form:
        form[error.field].errors = [message]
        return None
    return message


def change(
    reference: str,
    position: int,
    make_form: Callable[[Referral, Child], Any],
    apply: Callable[[Any, Referral, Child], object],
    done: str,
    anchor: str,
    *,
    shown_as: Callable[[Any], dict[str, Any]],
    needs_open_parcours: bool = True,
):
    """The shape of every change of the page: the version checked (409 if stale), the
    parcours open (unless `needs_open_parcours` is False), the form validated, `apply` called
    and committed, 303 to the page with `done` flashed; else the page again, 422, the form
    as sent (`shown_as` says under which name) with its errors."""
    referral, child = child_of(reference, position)
    form = make_form(referral, child)
    try:
        check_version(referral, form.version.data)
    except StaleVersion:
        db.session.rollback()
        current_app.logger.info(
            "stale change refused reference=%s user_id=%s", referral.reference, current_user.id
        )
        return render_child(referral, child, 409, stale=StaleVersion(referral), **shown_as(form))
    if needs_open_parcours:
        try:
            check_open(child.parcours)
        except TransitionError as error:
            return render_child(referral, child, 422, refusal=transition_message(error))
    refusal = None
    if form.validate():
        try:
            apply(form, referral, child)
        except TransitionError as error:
            db.session.rollback()
            refusal = refuse(form, error)
        else:
            db.session.commit()
            flash(done, "success")
            return back_to(child, anchor)
    return render_child(referral, child, 422, refusal=refusal, **shown_as(form))


@bp.get(CHILD_PAGE)
def child_page(reference: str, position: int):
    """One child of a referral: who, where it stands, its parcours from entry to exit."""
    referral, child = child_of(reference, position)
    return render_child(referral, child)


@bp.post(CHILD_PAGE + "/profil")
@coordinator_required
def set_profile(reference: str, position: int):
    """Record the child's sex, whatever its status."""
    return change(
        reference,
        position,
        lambda referral, child: ProfileForm(formdata=request.form),
        lambda form, referral, child: set_sex(child, current_user, form.sex.data or ""),
        gettext("Profil de l’enfant enregistré."),
        "#profile",
        shown_as=lambda form: {"profile_form": form},
        needs_open_parcours=False,
    )


@bp.post(CHILD_PAGE + "/referent")
@coordinator_required
def set_parcours_referent(reference: str, position: int):
    """Name the référent de parcours: a coordinator, or a person outside the programme."""

    def apply(form: ReferentForm, referral: Referral, child: Child) -> None:
        chosen = read_id(form.referent_id.data)
        account = db.session.get(User, chosen) if chosen is not None else None
        set_referent(
            child.parcours,
            current_user,
            referent=account,
            name=form.referent_name.data or "",
            organisation=form.referent_organisation.data or "",
        )

    return change(
        reference,
        position,
        lambda referral, child: referent_form(child.parcours, request.form),
        apply,
        gettext("Référent du parcours enregistré."),
        "#referent",
        shown_as=lambda form: {"referent_form": form},
    )


@bp.post(CHILD_PAGE + "/objectifs")
@coordinator_required
def create_objective(reference: str, position: int):
    """Add an objective in a domain."""
    return change(
        reference,
        position,
        lambda referral, child: ObjectiveForm(formdata=request.form),
        lambda form, referral, child: add_objective(
            child.parcours, current_user, domain=form.domain.data, text=form.text.data
        ),
        gettext("Objectif ajouté."),
        "#objectives",
        shown_as=lambda form: {"objective_form": form},
    )


def objective_in(child: Child, domain: str):
    """The objective of the child's parcours in `domain`, or 404."""
    parcours = child.parcours
    objective = None
    if parcours is not None:
        objective = next((o for o in parcours.objectives if o.domain == domain), None)
    if objective is None:
        abort(404)
    return objective


@bp.post(CHILD_PAGE + "/objectifs/<domain>")
@coordinator_required
def correct_objective(reference: str, position: int, domain: str):
    """Correct an objective's text, the previous one kept."""
    objective_in(child_of(reference, position)[1], domain)
    return change(
        reference,
        position,
        lambda referral, child: objective_edit_form(child.parcours, domain, request.form),
        lambda form, referral, child: edit_objective(
            child.parcours, current_user, objective_in(child, domain), form.text.data
        ),
        gettext("Objectif corrigé."),
        "#objectives",
        shown_as=lambda form: {"objective_edit": (domain, form)},
    )


@bp.post(CHILD_PAGE + "/objectifs/<domain>/retrait")
@coordinator_required
def delete_objective(reference: str, position: int, domain: str):
    """Remove an objective; what it said is kept in the corrections."""
    objective_in(child_of(reference, position)[1], domain)
    return change(
        reference,
        position,
        lambda referral, child: RemoveForm(formdata=request.form),
        lambda form, referral, child: remove_objective(
            child.parcours, current_user, objective_in(child, domain)
        ),
        gettext("Objectif retiré."),
        "#objectives",
        shown_as=lambda form: {},
    )


def action_values(form: ActionForm) -> dict[str, Any]:
    return {
        "kind": form.kind.data,
        "detail": form.detail.data or "",
        "collective": form.mode.data == "collective",
        "partner": form.partner.data or "",
        "started_on": form.started_on.data,
        "ended_on": form.ended_on.data,
    }


@bp.post(CHILD_PAGE + "/actions")
@coordinator_required
def create_action(reference: str, position: int):
    """Add an action put in place for the child."""
    return change(
        reference,
        position,
        lambda referral, child: action_form(request.form),
        lambda form, referral, child: add_action(
            child.parcours, current_user, kinds=kinds_offered(), **action_values(form)
        ),
        gettext("Action ajoutée."),
        "#actions",
        shown_as=lambda form: {"action_form": form},
    )


@bp.post(CHILD_PAGE + "/actions/<int:number>")
@coordinator_required
def correct_action(reference: str, position: int, number: int):
    """End or correct an action, what it held before kept."""
    parcours = child_of(reference, position)[1].parcours
    if parcours is None or not 0 < number <= len(parcours.actions):
        abort(404)
    return change(
        reference,
        position,
        lambda referral, child: action_edit_form(child.parcours, number, request.form),
        lambda form, referral, child: edit_action(
            child.parcours,
            current_user,
            child.parcours.actions[number - 1],
            kinds=kinds_offered(),
            **action_values(form),
        ),
        gettext("Action enregistrée."),
        f"#action-{number}",
        shown_as=lambda form: {"action_edit": (number, form)},
    )


@bp.post(CHILD_PAGE + "/revues")
@coordinator_required
def create_review(reference: str, position: int):
    """Record a review of the parcours, and when the next one is planned."""
    return change(
        reference,
        position,
        lambda referral, child: ReviewForm(formdata=request.form),
        lambda form, referral, child: add_review(
            child.parcours,
            current_user,
            held_on=form.held_on.data,
            kind=form.kind.data,
            summary=form.summary.data or "",
            next_on=form.next_on.data,
        ),
        gettext("Revue enregistrée."),
        "#reviews",
        shown_as=lambda form: {"review_form": form},
    )


@bp.post(CHILD_PAGE + "/sortie")
@coordinator_required
def end_child_parcours(reference: str, position: int):
    """End an accepted child's parcours (the child goes to `closed`), once confirmed: without
    `confirm` the page asks for it and nothing changes."""
    referral, child = child_of(reference, position)
    form = ExitForm(formdata=request.form)
    try:
        check_version(referral, form.version.data)
    except StaleVersion:
        db.session.rollback()
        return render_child(referral, child, 409, stale=StaleVersion(referral), exit_form=form)
    if child.status != Status.ACCEPTED or child.parcours is None or child.parcours.ended:
        refusal = gettext("Seul le parcours en cours d’un enfant accompagné peut prendre fin.")
        return render_child(referral, child, 422, refusal=refusal)
    refusal = None
    if form.validate():
        exit_ = {
            "ended_on": form.ended_on.data,
            "exit_reason": form.exit_reason.data,
            "service": form.service.data or None,
            "comment": form.comment.data or "",
        }
        try:
            # Checked first, so the confirmation step never asks about a refused exit.
            check_exit(entered_on=child.parcours.entered_on, **exit_)
            if not form.confirm.data:
                return render_child(referral, child, exit_form=form, confirming=True)
            end_parcours(child, current_user, **exit_)
        except TransitionError as error:
            db.session.rollback()
            refusal = refuse(form, error)
        else:
            db.session.commit()
            flash(gettext("Parcours terminé : l’enfant sort du programme."), "success")
            return back_to(child, "#exit")
    return render_child(referral, child, 422, refusal=refusal, exit_form=form)
