"""The e-mail tests' family (the Quenouille, easy to spot in any message) and the outbox
read, delivered and decided the way the mail tests need."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from intake.extensions import db
from intake.models import OutboxMessage, Source
from intake.notifications.worker import DeliveryReport, deliver_due
from tests.support import builders
from tests.support.builders import make_referral, make_user, store_referrals

COORDINATION = "coordination@testville.example"
DAILY = "daily@testville.example"
REFERRER_EMAIL = "h.marchetti@ecole-tilleuls.example"
GUARDIAN_EMAIL = "famille.quenouille@example.net"

CHILD = {
    "first_name": "Zéphyrine",
    "last_name": "Quenouille",
    "birth_date": date(2016, 5, 4),
    "school": "0629001A",
    "school_other": "",
    "class_level": "CM1",
}

SHARED = {
    "guardian_name": "Bérénice Quenouille",
    "guardian_phone": "+33612345678",
    "guardian_email": GUARDIAN_EMAIL,
    "address": "12 rue des Tilleuls",
    "postcode": "62999",
    "city": "Testville",
    "domains": ["school", "health"],
    "situation": "Grandes difficultés de lecture ; suivi orthophonique interrompu depuis mars.",
}

PROFESSIONAL = {
    # Without the family's e-mail, a professional's referral is acknowledged to its sender
    # only; test_notify.py adds the family's address and its acknowledgement.
    "guardian_email": "",
    "referrer_name": "Hippolyte Marchetti",
    "referrer_organisation": "Réseau d’aides Marchetti",
    "referrer_role": "teacher",
    "referrer_email": REFERRER_EMAIL,
    "referrer_phone": "+33321000001",
    "actions_tried": "Programme personnalisé de réussite éducative depuis la rentrée.",
    "family_informed": True,
    "urgent": False,
}

PARENT = {"consent": True, "heard_from": "La maîtresse de Zéphyrine"}


SEQUENCE = itertools.count(1)


def referral_data(source: Source, *, second_child: bool = False, **overrides) -> dict:
    """A complete, validated-looking form `data` for `source`."""
    children = [dict(CHILD)]
    if second_child:
        children.append({**CHILD, "first_name": "Anatole", "birth_date": date(2019, 1, 9)})
    extra = PROFESSIONAL if source == Source.PROFESSIONAL else PARENT
    # Each call is a different referral: the same text twice would be taken for a double send.
    unique = {"situation": f"{SHARED['situation']} (n° {next(SEQUENCE)})"}
    return {"children": children, **SHARED, **extra, **unique, **overrides}


def submit(app, source: Source = Source.PROFESSIONAL, **overrides) -> str:
    """Store a referral of this family through the builders; return its reference."""
    return make_referral(app, source, **referral_data(source, **overrides))


def outbox(app) -> list[dict]:
    """The outbox rows, as plain dicts readable outside the app context."""
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [
            {column.key: getattr(row, column.key) for column in OutboxMessage.__table__.columns}
            for row in rows
        ]


def deliver(app, **kwargs) -> DeliveryReport:
    """Run one delivery round in a fresh app context."""
    with app.app_context():
        return deliver_due(**kwargs)


def later(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def decide(
    app,
    reference: str,
    to: str,
    comment: str = "Commentaire interne : famille Quenouille en difficulté",
    **codes,
) -> None:
    """The builders' `decide`, with this family's internal comment, which no e-mail may show."""
    builders.decide(app, reference, to, comment, **codes)


# Every kind of e-mail the app sends, as `queue_every_kind` queues them.
EVERY_KIND = frozenset(
    {
        "coordinator_alert",
        "acknowledgement",
        "family_acknowledgement",
        "decision_accepted",
        "decision_redirected",
        "decision_declined",
        "decision_withdrawn",
        "digest",
    }
)

# Each decision as `decide` records it, a reason shared where there is one.
DECISIONS = {
    "accepted": {},
    "redirected": {"reason": "territory", "service": "pmi", "share_reason": True},
    "declined": {"reason": "unreachable", "share_reason": True},
    "withdrawn": {"withdrawn_by": "family", "share_reason": True},
}


def queue_every_kind(app, backlog: int = 0) -> list[str]:
    """Queue an e-mail of every kind (EVERY_KIND): a professional's referral that gives the
    family's e-mail and a parent's request, a referral decided each way, and the digest of an
    account that asked for one, listing `backlog` referrals more, stored in bulk weeks ago
    (still new, without agreement: each is listed twice). Returns the references submitted."""
    make_user(app, DAILY, alerts="daily")
    references = [
        submit(app, Source.PROFESSIONAL, guardian_email=GUARDIAN_EMAIL),
        submit(app, Source.PARENT),
    ]
    for status, codes in DECISIONS.items():
        reference = submit(app, Source.PROFESSIONAL, guardian_email=GUARDIAN_EMAIL)
        decide(app, reference, "in_review")
        decide(app, reference, status, **codes)
        references.append(reference)
    if backlog:
        # Numbered after the submissions', which took the year's first numbers.
        store_referrals(app, backlog, first=1001, start=datetime.now(UTC) - timedelta(days=60))
    result = app.test_cli_runner().invoke(args=["outbox", "digest"])
    assert result.exit_code == 0 and "1 digest queued" in result.output, result.output
    return references
