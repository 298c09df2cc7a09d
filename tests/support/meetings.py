"""The meetings tests' referrals: every personal detail distinctive, so that a fiche showing
any of them is caught; and the agenda and statuses as stored."""

from __future__ import annotations

import itertools

from sqlalchemy import select

from intake.extensions import db
from intake.models import Meeting, Referral, Source
from tests.support import builders

SEQUENCE = itertools.count(1)


# A professional's referral whose every personal detail is distinctive, so that a fiche
# showing any of them is caught. Nothing here appears in the test territory's own pages.
GUARDIAN = {
    "guardian_name": "Yasmina Quellec",
    "guardian_phone": "06 71 82 93 04",
    "guardian_email": "y.quellec@famille.example",
    "address": "17 rue des Tilleuls",
    "postcode": "62998",
    "city": "Autreville",
}


REFERRER = {
    "referrer_name": "Hortense Vaillant",
    "referrer_organisation": "Association Arc-en-ciel",
    "referrer_role": "social_worker",
    "referrer_email": "h.vaillant@arc.example",
    "referrer_phone": "03 21 98 76 54",
    "actions_tried": "Suivi hebdomadaire par l’association.",
    "family_informed": True,
    "urgent": False,
}


def child(first_name="Inès", last_name="Bouchareb", **overrides) -> dict:
    """One of these children, as the builders make it."""
    return builders.child(first_name, last_name, **overrides)


def make_referral(app, status: str = "in_review", children=None, source=Source.PARENT, **data):
    """Store one of these referrals through the builders, at `status`; return its reference."""
    fields = {
        **GUARDIAN,
        "domains": ["school", "health"],
        "situation": f"Inès a du mal à lire et se fatigue vite (n° {next(SEQUENCE)}).",
        "consent": True,
        "heard_from": "",
        **(REFERRER if source == Source.PROFESSIONAL else {}),
        **data,
    }
    return builders.make_referral(
        app, source, children=children or [child()], status=status, **fields
    )


def load(app, reference: str) -> tuple[str, list[str]]:
    """A referral's status and the statuses of its history."""
    with app.app_context():
        referral = db.session.scalar(select(Referral).where(Referral.reference == reference))
        return referral.status, [change.to_status for change in referral.history]


def items(app, meeting_id: int) -> list[tuple[str, str | None]]:
    """The agenda as stored: (reference, decision) in order."""
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        return [(item.referral.reference, item.decision) for item in meeting.items]
