"""The correction page of a referral, and how corrections read in its history."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from intake.extensions import db
from intake.models import Correction, Referral
from intake.parcours import display as parcours_display
from intake.rules.clock import local_datetime
from intake.rules.screening import OTHER_SCHOOL
from intake.rules.vocabulary import (
    CLASS_LEVELS,
    DOMAINS,
    OTHER_SCHOOL_LABEL,
    format_date,
    format_phone,
    label,
)
from intake.triage.access import coordinator_required, get_referral
from intake.triage.audit import ReadKind, record_read
from intake.triage.blueprint import bp
from intake.triage.corrections import correct_referral, proposed, split_key
from intake.triage.forms import CorrectionForm
from intake.triage.operations import StaleVersion, check_version

FIELD_LABELS = {
    "first_name": _l("Prénom"),
    "last_name": _l("Nom"),
    "birth_date": _l("Date de naissance"),
    "school": _l("Établissement scolaire"),
    "school_other": _l("Autre établissement"),
    "class_level": _l("Classe"),
    "guardian_name": _l("Parent ou représentant légal"),
    "guardian_phone": _l("Téléphone"),
    "guardian_email": _l("E-mail"),
    "address": _l("Adresse"),
    "postcode": _l("Code postal"),
    "city": _l("Commune"),
    "domains": _l("Domaines de difficulté"),
    "contact_language": _l("Langue pour écrire à la famille"),
    "home_languages": _l("Langue(s) parlée(s) à la maison"),
    "interpreter": _l("Interprète utile"),
}


def stale_message(error: StaleVersion) -> str:
    """Who changed the referral since the page was read, and when (Paris time)."""
    return gettext(
        "Ce dossier a été modifié par %(who)s à %(time)s, rechargez-le.",
        who=error.by.email if error.by is not None else gettext("un autre compte"),
        time=local_datetime(error.at).strftime("%H:%M"),
    )


def render_correction(referral: Referral, form: CorrectionForm, stale: str | None = None, code=200):
    """The correction page, with the form as given and the reason a save was refused. It
    shows the whole file: a read, logged as the detail's."""
    record_read(current_user, ReadKind.DETAIL, [referral.reference])
    return render_template(
        "triage/correction.html", referral=referral, form=form, stale=stale
    ), code


@bp.get("/<reference>/correction")
@coordinator_required
def correction(reference: str):
    """The correction form, pre-filled with the stored values."""
    referral = get_referral(reference)
    return render_correction(referral, CorrectionForm.for_referral(referral))


@bp.post("/<reference>/correction")
@coordinator_required
def save_correction(reference: str):
    """Store a correction; a stale or invalid one changes nothing, an empty one is not kept."""
    referral = get_referral(reference)
    form = CorrectionForm.for_referral(referral, formdata=request.form)
    try:
        check_version(referral, form.version.data)
    except StaleVersion as error:
        return render_correction(referral, form, stale_message(error), 409)
    if not form.validate():
        return render_correction(referral, form, code=422)
    territory = current_app.extensions["territory"]
    try:
        correction = correct_referral(referral, proposed(form.data), current_user, territory)
        db.session.commit()
    except StaleDataError:
        # Another change was committed between this request's read and its write (the
        # operation's own autoflush may be the write that finds out).
        db.session.rollback()
        referral = get_referral(reference)
        return render_correction(referral, form, stale_message(StaleVersion(referral)), 409)
    if correction is None:
        flash(gettext("Aucune valeur n’a changé : rien n’a été enregistré."), "info")
        return redirect(url_for("triage.detail", reference=reference), 303)
    flash(
        gettext("Correction enregistrée ; l’éligibilité a été recalculée.")
        if correction.screening
        else gettext("Correction enregistrée."),
        "success",
    )
    return redirect(url_for("triage.detail", reference=reference) + "#corrections", 303)


def shown_value(name: str, value: Any) -> str:
    """A corrected value the way the detail page shows it."""
    if value is None or value == "" or value == []:
        return "—"
    if name == "birth_date":
        try:
            return format_date(date.fromisoformat(value))
        except (TypeError, ValueError):
            return str(value)
    if name == "school":
        if value == OTHER_SCHOOL:
            return str(OTHER_SCHOOL_LABEL)
        school = current_app.extensions["territory"].school(value)
        return f"{school.name} ({school.uai})" if school else str(value)
    if name == "class_level":
        return label(CLASS_LEVELS, value)
    if name == "domains":
        return ", ".join(label(DOMAINS, code) for code in value)
    if name == "guardian_phone":
        return format_phone(value)
    return str(value)


def field_label(key: str) -> str:
    """What a correction key is called: "Téléphone", "Enfant 2 – Date de naissance"."""
    position, name = split_key(key)
    text = str(FIELD_LABELS.get(name, name))
    if position is None:
        return text
    return gettext("Enfant %(n)d – %(field)s", n=position + 1, field=text)


@bp.app_template_global()
def correction_rows(correction: Correction, with_values: bool) -> list[dict[str, str]]:
    """Each corrected field of `correction` with its label and, when `with_values` (never for
    a viewer), its values before and after."""
    rows = []
    for key in correction.fields:
        if parcours_display.is_parcours_key(key):
            # A child's sex or parcours, corrected on the child's page: said as it says them.
            row = {"label": parcours_display.referral_label(key)}
            if with_values and not parcours_display.is_free_text(key):
                row["previous"] = parcours_display.shown_value(key, correction.previous.get(key))
                row["current"] = parcours_display.shown_value(key, correction.current.get(key))
            elif with_values:
                row["previous"] = correction.previous.get(key) or "—"
                row["current"] = correction.current.get(key) or "—"
            rows.append(row)
            continue
        row = {"label": field_label(key)}
        if with_values:
            name = split_key(key)[1]
            row["previous"] = shown_value(name, correction.previous.get(key))
            row["current"] = shown_value(name, correction.current.get(key))
        rows.append(row)
    return rows
