"""A referral's detail page and its change forms: status, notes, agreements, référent."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user

from intake.extensions import db
from intake.forms.numbers import read_id
from intake.models import Agreement, User
from intake.rules.vocabulary import status_label
from intake.rules.workflow import TransitionError, needs_confirmation
from intake.triage.access import coordinator_required, get_referral
from intake.triage.blueprint import bp
from intake.triage.detail_page import (
    assign_form_for,
    offer_children,
    refuse_stale_change,
    render_detail,
    show_error,
    status_form,
)
from intake.triage.forms import AgreementForm, NoteForm, WithdrawAgreementForm
from intake.triage.operations import (
    StaleVersion,
    add_note,
    assign,
    change_status,
    check_status_change,
    check_version,
    record_agreement,
    withdraw_agreement,
)


@bp.get("/<reference>")
def detail(reference: str):
    """One referral, whole: family, children with their screening, history."""
    referral = get_referral(reference)
    return render_detail(referral)


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
            "children": form.children.numbers,
        }
        comment = form.comment.data or ""
        try:
            if needs_confirmation(form.status.data) and not form.confirm.data:
                # Checked first, so the confirmation step never asks about a refused move.
                check_status_change(referral, form.status.data, comment, **decision)
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
    agreement_form = offer_children(AgreementForm(), referral)
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
            children=agreement_form.children.numbers,
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
    withdraw_form = offer_children(WithdrawAgreementForm(), referral)
    check_version(referral, withdraw_form.version.data)
    if withdraw_form.validate_on_submit():
        try:
            withdraw_agreement(
                referral,
                agreement,
                current_user,
                withdraw_form.withdrawn_on.data,
                children=withdraw_form.children.numbers,
            )
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
        # One of the choices (an id in ASCII digits, the form checked it), or "" for nobody.
        chosen = read_id(form.assigned_to.data)
        to_user = db.session.get(User, chosen) if chosen is not None else None
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
