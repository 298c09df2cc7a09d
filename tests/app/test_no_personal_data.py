"""No message of any kind carries a family's or a referrer's details.

Every personal field gets a value nobody could write by chance; every kind of message is
written (coordinator alert, both acknowledgements, the family's, each decision with and
without a shared reason, the digest), delivered to a real SMTP server, and searched. The
envelopes are checked against whom each message is for.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from intake.extensions import db
from intake.models import Note, OutboxMessage, Referral, Source
from tests.support.builders import get_referral, make_referral, make_user
from tests.support.outbox import EVERY_KIND, decide

COORDINATION = "coordination@testville.example"
REFERRER = "referent.wqx@ecole.example"
FAMILY = "famille.wqx@example.net"
EACH = "each@testville.example"
DAILY = "daily@testville.example"

# Recognisable values for every personal field, and what must not appear of them.
CHILDREN = [
    {
        "first_name": "Xanthippe",
        "last_name": "Quarkwood",
        "birth_date": date(2015, 7, 14),
        "school": "other",
        "school_other": "École privée Saint-Wenceslas",
        "class_level": "CM2",
    },
    {
        "first_name": "Barnabé",
        "last_name": "Quarkwood",
        "birth_date": date(2018, 2, 3),
        "school": "0629001A",
        "school_other": "",
        "class_level": "GS",
    },
]
PERSONAL = {
    "guardian_name": "Philomène Quarkwood-Zébulon",
    "guardian_phone": "+33655443322",
    "address": "7 impasse des Zinnias",
    "postcode": "62999",
    "city": "Testville",
    "domains": ["health", "family"],
    "situation": "Énurésie et phobie scolaire ; suivi au CMP de Vrignac.",
}
PROFESSIONAL = {
    "referrer_name": "Ludovic Zarkanian",
    "referrer_organisation": "Cabinet Zarkanian",
    "referrer_role": "other",
    "referrer_email": REFERRER,
    "referrer_phone": "+33321987654",
    "actions_tried": "Équipe éducative réunie avec Mme Fontcouverte.",
    "family_informed": True,
    "urgent": True,
}
NOTE = "Note : l'oncle Théodule a appelé."
COMMENT = "Commentaire : Mme Quarkwood déménage chez Octavie."
OTHER = "Autre raison précise : conflit avec le voisin Hildebert."

SECRETS = [
    "Xanthippe",
    "Barnabé",
    "Quarkwood",
    "Saint-Wenceslas",
    "Philomène",
    "Zébulon",
    "55 44 33 22",
    "655443322",
    "Zinnias",
    "Énurésie",
    "phobie",
    "Vrignac",
    "Zarkanian",
    "21 98 76 54",
    "321987654",
    "Fontcouverte",
    "Théodule",
    "Octavie",
    "Hildebert",
    "14/07/2015",
    "2015-07-14",
    "03/02/2018",
    "Santé",  # a difficulty domain's label
    "Vie familiale",
]


PARENT = {"consent": True, "heard_from": "Le docteur Ygrec"}
COUNTER = iter(range(1, 100))


def store(app, source: Source, received_at: datetime | None = None) -> str:
    """One of this family's referrals through `make_referral`, with an internal note."""
    fields = {
        **PERSONAL,
        **(PROFESSIONAL if source == Source.PROFESSIONAL else PARENT),
        "guardian_email": FAMILY,
        "situation": f"{PERSONAL['situation']} ({next(COUNTER)})",  # not a double submission
    }
    children = [dict(c) for c in CHILDREN]
    reference = make_referral(app, source, children=children, received_at=received_at, **fields)
    with app.app_context():
        referral = get_referral(reference)
        referral.notes.append(Note(text=NOTE))
        db.session.commit()
    return reference


# What each decision is recorded with; each comment holds a secret.
DECISIONS = {
    "accepted": {},
    "redirected-shared": {"reason": "other", "service": "other", "share_reason": True},
    "redirected-kept": {"reason": "territory", "service": "pmi"},
    "declined-shared": {"reason": "other", "share_reason": True},
    "declined-kept": {"reason": "unreachable"},
    "withdrawn": {"withdrawn_by": "family", "share_reason": True},
}


def test_no_message_of_any_kind_carries_personal_data(app, smtp):
    make_user(app, EACH)
    make_user(app, DAILY, alerts="daily")

    # A referral received ten days ago, still new: the digest reminds of it.
    store(app, Source.PROFESSIONAL, received_at=datetime.now(UTC) - timedelta(days=10))
    store(app, Source.PARENT)
    decided = {}
    for name, decision in DECISIONS.items():
        reference = store(app, Source.PROFESSIONAL)
        decide(app, reference, "in_review")
        status = name.split("-")[0]
        comment = OTHER if decision.get("reason") == "other" else COMMENT
        decide(app, reference, status, comment=comment, **decision)
        decided[name] = reference
    # A message that stopped for good, for the digest to list.
    with app.app_context():
        stopped = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
        stopped.stopped_at = datetime.now(UTC)
        db.session.commit()
    assert app.test_cli_runner().invoke(args=["outbox", "digest"]).exit_code == 0
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output

    with app.app_context():
        rows = {
            row.id: (row.kind, sorted(row.recipients))
            for row in db.session.scalars(select(OutboxMessage))
        }
        sources = dict(db.session.execute(select(Referral.id, Referral.source)).all())
        row_sources = {
            row.id: sources.get(row.referral_id)
            for row in db.session.scalars(select(OutboxMessage))
        }
        # What the worker writes the e-mails from holds no personal data either.
        stored = json.dumps(
            [row.context for row in db.session.scalars(select(OutboxMessage))],
            ensure_ascii=False,
        )
    for secret in SECRETS:
        assert secret.lower() not in stored.lower(), secret
    assert {kind for kind, _ in rows.values()} == EVERY_KIND
    expected = {
        "coordinator_alert": [[COORDINATION, EACH]],
        "acknowledgement": [[REFERRER], [FAMILY]],
        "family_acknowledgement": [[FAMILY]],
        "digest": [[DAILY]],
    }
    seen = 0
    for envelope, message in zip(smtp.envelopes, smtp.messages(), strict=True):
        row_id = int(re.match(r"<outbox-(\d+)-", message["Message-ID"]).group(1))
        kind, recipients = rows[row_id]
        # The envelope goes exactly where the row says, and that is whom the kind is for.
        assert sorted(envelope.rcpt_tos) == recipients
        if kind.startswith("decision_"):
            assert recipients in ([REFERRER], [FAMILY])
        elif kind == "acknowledgement":
            sender = REFERRER if row_sources[row_id] == Source.PROFESSIONAL else FAMILY
            assert recipients == [sender]
        else:
            assert recipients in expected[kind], kind
        parts = {
            "subject": str(message["Subject"]),
            "text": message.get_body(("plain",)).get_content(),
            "html": message.get_body(("html",)).get_content(),
        }
        for part, content in parts.items():
            for secret in SECRETS:
                assert secret.lower() not in content.lower(), (kind, part, secret)
            # No one's address but the programme's own and the recipient's envelope.
            for address in (REFERRER, FAMILY, EACH, DAILY):
                assert address not in content, (kind, part, address)
        seen += 1
    # Every row went out but the one stopped for the digest's sake.
    assert seen == len(rows) - 1
    # The shared reason's label travels, never the comment saying which "other" it was.
    notices = {
        (message["Subject"], message.get_body(("plain",)).get_content())
        for message in smtp.messages()
        if message["Subject"].startswith("Décision")
    }
    texts = "\n".join(text for _subject, text in notices)
    assert "Raison : Une autre raison : l’équipe peut l’expliquer." in texts
    # Said child by child for siblings ("Service : …"), for the request as a whole otherwise.
    assert re.search(r"(Service|Service proposé) : Un autre service : l’équipe", texts)
