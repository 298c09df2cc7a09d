"""The fiches de liaison: what each shows of a child, one printed page per child."""

from __future__ import annotations

from datetime import date

from flask import current_app, render_template

from intake.meetings.operations import fiche_reason, short_name
from intake.models import Meeting, Referral
from intake.rules.ages import age_on


def fiche_children(referral: Referral, day: date) -> list[dict]:
    """What a fiche shows of each child: only what the EPS needs (the charter's "strictly
    necessary"), never the family's address or contact details."""
    territory = current_app.extensions["territory"]
    return [
        {
            "name": short_name(child),
            "age": age_on(child.birth_date, day),
            "school": territory.school(child.school),
            "school_other": child.school_other,
            "class_level": child.class_level,
            "eligibility": child.eligibility,
            "reasons": [fiche_reason(r) for r in child.screening.get("reasons", [])],
        }
        for child in referral.children
    ]


def render_fiches(referrals: list[Referral], day: date, meeting: Meeting | None):
    """One page per child of each referral, in the order given."""
    fiches = [(referral, fiche_children(referral, day)) for referral in referrals]
    return render_template("meetings/fiches.html", fiches=fiches, meeting=meeting, day=day)
