"""Every person told: the family's acknowledgement, decision notices, alerts as each chooses.

Recipients and contents are read from a real SMTP server (aiosmtpd) after `outbox send`.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import OutboxMessage, Referral, Source, User
from intake.triage.operations import change_status, record_agreement
from tests.support.app import login
from tests.support.builders import make_user
from tests.support.outbox import COORDINATION, GUARDIAN_EMAIL, REFERRER_EMAIL, decide, submit
from tests.support.smtp import SmtpSink, serving

STAFF = "coord@testville.example"


def send_outbox(app) -> None:
    """Deliver the outbox the way cron or the worker does."""
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output


def received(smtp) -> dict[str, dict[str, str]]:
    """What the server received, by recipient (each message has one unless said otherwise)."""
    emails = {}
    for envelope, message in zip(smtp.envelopes, smtp.messages(), strict=True):
        for recipient in envelope.rcpt_tos:
            emails[recipient] = {
                "subject": str(message["Subject"]),
                "text": message.get_body(("plain",)).get_content(),
                "html": message.get_body(("html",)).get_content(),
            }
    return emails


def kinds(app) -> list[tuple[str, list[str]]]:
    """Each queued message's kind and recipients, in order."""
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(row.kind, row.recipients) for row in rows]


# The family's acknowledgement -----------------------------------------------------------------


def test_a_professional_referral_with_a_family_email_tells_the_family_too(app, smtp):
    reference = submit(app, guardian_email=GUARDIAN_EMAIL, second_child=True)
    send_outbox(app)

    emails = received(smtp)
    assert set(emails) == {COORDINATION, REFERRER_EMAIL, GUARDIAN_EMAIL}
    family = emails[GUARDIAN_EMAIL]
    assert family["subject"] == (
        f"Programme de Réussite Éducative : une demande pour votre enfant ({reference})"
    )
    for part in ("text", "html"):
        body = family[part]
        assert reference in body
        assert "a demandé au Programme de Réussite Éducative de Testville" in body
        # The test territory says 10 days; two children, born in 2016 and 2019.
        assert "Nous vous contactons sous 10 jours" in body
        assert "2 enfants, nés en 2016 et 2019" in body
        assert "Rien ne se fait sans votre accord" in body
        assert "03 21 00 00 00" in body  # the programme's contact
        assert "https://pre.testville.example/suivi/" in body
    # The referrer's acknowledgement says the same delay and the same children.
    referrer = emails[REFERRER_EMAIL]["text"]
    assert "Elle prendra contact avec la famille sous 10 jours" in referrer
    assert "2 enfants, nés en 2016 et 2019" in referrer


def test_the_family_and_the_referrer_each_get_a_link_that_opens_the_status(app, smtp, client):
    reference = submit(app, guardian_email=GUARDIAN_EMAIL)
    send_outbox(app)
    emails = received(smtp)
    links = []
    for address in (REFERRER_EMAIL, GUARDIAN_EMAIL):
        text = emails[address]["text"]
        link = next(line for line in text.splitlines() if "/suivi/" in line).strip()
        links.append(link.removeprefix("https://pre.testville.example"))
    for link in links:
        assert reference in client.get(link).get_data(as_text=True)


def test_a_single_child_is_told_in_the_singular(app, smtp):
    submit(app, Source.PARENT)
    send_outbox(app)
    text = received(smtp)[GUARDIAN_EMAIL]["text"]
    assert "1 enfant, né en 2016" in text
    assert "Nous vous contactons sous 10 jours pour en parler avec vous" in text


@pytest.mark.parametrize(
    ("source", "overrides", "expected"),
    [
        pytest.param(
            Source.PROFESSIONAL, {}, ["coordinator_alert", "acknowledgement"], id="no-family-email"
        ),
        pytest.param(
            Source.PROFESSIONAL,
            {"guardian_email": REFERRER_EMAIL.upper()},
            ["coordinator_alert", "acknowledgement"],
            id="family-email-is-the-referrers",
        ),
        pytest.param(
            Source.PARENT,
            {},
            ["coordinator_alert", "acknowledgement"],
            id="parent-is-acknowledged-once",
        ),
    ],
)
def test_no_second_acknowledgement_when_there_is_nobody_else(app, source, overrides, expected):
    submit(app, source, **overrides)
    assert [kind for kind, _ in kinds(app)] == expected


# Alerts as each account chooses ---------------------------------------------------------------


def test_staff_accounts_that_want_each_referral_join_the_alert_once(make_app):
    app = make_app(INTAKE_NOTIFY="extra@testville.example")
    make_user(app, "each@testville.example")
    make_user(app, "COORDINATION@testville.example")  # already in `notify`
    make_user(app, "daily@testville.example", alerts="daily")
    make_user(app, "none@testville.example", alerts="none")
    make_user(app, "gone@testville.example", active=False)
    make_user(app, "viewer@testville.example", "viewer")  # viewers start with none
    make_user(app, "reader@testville.example", "viewer", alerts="each")

    with serving(app, SmtpSink()) as smtp:
        submit(app)
        send_outbox(app)
        (alert,) = [env for env in smtp.envelopes if COORDINATION in env.rcpt_tos]

    assert sorted(alert.rcpt_tos) == sorted(
        [
            COORDINATION,
            "extra@testville.example",
            "each@testville.example",
            "reader@testville.example",
        ]
    )


def test_a_new_viewer_account_asks_for_no_alert(app):
    make_user(app, "viewer@testville.example", "viewer")
    make_user(app, STAFF)
    with app.app_context():
        alerts = dict(db.session.execute(select(User.email, User.alerts)).all())
    assert alerts == {"viewer@testville.example": "none", STAFF: "each"}


# Decisions ------------------------------------------------------------------------------------

DECISIONS = [
    pytest.param(
        "accepted",
        {},
        "Accompagnement engagé avec la famille",
        [],
        ["Raison", "Service proposé"],
        id="accepted",
    ),
    pytest.param(
        "declined",
        {"reason": "age", "share_reason": True},
        "Non retenue par le programme",
        ["Raison : L’enfant n’a pas l’âge des enfants que le programme accompagne."],
        ["Service proposé"],
        id="declined-reason-shared",
    ),
    pytest.param(
        "declined",
        {"reason": "age", "share_reason": False},
        "Non retenue par le programme",
        [],
        ["Raison", "l’âge", "Service proposé"],
        id="declined-reason-kept",
    ),
    pytest.param(
        "redirected",
        {"reason": "mainstream_service", "service": "cmp", "share_reason": False},
        "Orientée vers un autre service",
        ["Service proposé : Le centre médico-psychologique (CMP ou CMPP)"],
        ["Raison", "ouvert à tous", "Pour joindre ce service"],
        id="redirected-service-always-told",
    ),
    pytest.param(
        "redirected",
        {"reason": "mainstream_service", "service": "clas", "share_reason": True},
        "Orientée vers un autre service",
        [
            "Raison : Un autre service, ouvert à tous, peut mieux aider l’enfant.",
            "Service proposé : L’accompagnement à la scolarité (CLAS) : aide aux devoirs",
            # The territory's CLAS: where and when.
            "Pour joindre ce service : CLAS du centre social des Peupliers",
            "Adresse : 8 rue des Écoles, 62999 Testville",
            "Téléphone : 03 21 00 00 10",
            "Horaires : Lundi, mardi, jeudi et vendredi, de 16 h 30 à 18 h",
        ],
        ["droit commun"],
        id="redirected-reason-shared",
    ),
    pytest.param(
        "withdrawn",
        {"withdrawn_by": "family", "share_reason": True},
        "Retirée",
        [],
        ["Raison", "Service proposé", "La famille"],
        id="withdrawn",
    ),
]


@pytest.mark.parametrize(("status", "decision", "label", "present", "absent"), DECISIONS)
def test_a_decision_is_told_to_the_referrer_and_the_family(
    app, smtp, status, decision, label, present, absent
):
    reference = submit(app, guardian_email=GUARDIAN_EMAIL)
    decide(app, reference, "in_review")
    decide(app, reference, status, **decision)
    send_outbox(app)

    notices = {
        address: email
        for address, email in received(smtp).items()
        # The referrer's notice is of an "orientation", the family's of a "demande".
        if email["subject"]
        in (f"Décision sur la demande {reference}", f"Décision sur l’orientation {reference}")
    }
    # One message each: neither reads the other's address.
    assert set(notices) == {REFERRER_EMAIL, GUARDIAN_EMAIL}
    assert all(len(env.rcpt_tos) == 1 for env in smtp.envelopes[-2:])
    for email in notices.values():
        text = email["text"]
        assert reference in text
        assert f"Décision : {label}" in text
        assert label in email["html"]
        assert "03 21 00 00 00" in text and "pre@testville.example" in text
        assert "https://pre.testville.example/suivi/" in text
        for words in present:
            assert words in text
        for words in absent:
            assert words not in text, words
        # The coordinator's comment stays inside.
        assert "Commentaire" not in text and "Quenouille" not in text


def test_a_parent_request_decision_goes_to_the_parent_only(app, smtp):
    reference = submit(app, Source.PARENT)
    decide(app, reference, "declined", reason="unreachable", share_reason=True)
    send_outbox(app)
    notices = [
        env.rcpt_tos
        for env, message in zip(smtp.envelopes, smtp.messages(), strict=True)
        if message["Subject"].startswith("Décision")
    ]
    assert notices == [[GUARDIAN_EMAIL]]


def test_without_any_address_a_decision_queues_nothing(app):
    reference = submit(app, Source.PARENT, guardian_email="")
    decide(app, reference, "withdrawn", withdrawn_by="family")
    assert [kind for kind, _ in kinds(app)] == ["coordinator_alert"]


@pytest.mark.parametrize("status", ["in_review", "eps", "closed"])
def test_steps_that_are_not_decisions_tell_nobody(app, status):
    reference = submit(app, guardian_email=GUARDIAN_EMAIL)
    decide(app, reference, status)
    assert not [kind for kind, _ in kinds(app) if kind.startswith("decision")]


def test_change_status_queues_the_notice_in_its_own_transaction(app):
    """Through the real operation: the notice is written with the change, or not at all."""
    reference = submit(app, guardian_email=GUARDIAN_EMAIL)
    make_user(app, STAFF)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == STAFF))
        referral = db.session.scalar(select(Referral).where(Referral.reference == reference))
        record_agreement(
            referral, user, guardian_name="x", given_on=date(2026, 1, 5), method="phone", comment=""
        )
        change_status(referral, "in_review", "", user)
        change_status(referral, "eps", "", user)
        change_status(referral, "accepted", "", user)
        db.session.rollback()
    assert not [kind for kind, _ in kinds(app) if kind.startswith("decision")]

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == STAFF))
        referral = db.session.scalar(select(Referral).where(Referral.reference == reference))
        record_agreement(
            referral, user, guardian_name="x", given_on=date(2026, 1, 5), method="phone", comment=""
        )
        for status in ("in_review", "eps", "accepted"):
            change_status(referral, status, "", user)
        db.session.commit()
    assert [item for item in kinds(app) if item[0].startswith("decision")] == [
        ("decision_accepted", [REFERRER_EMAIL]),
        ("decision_accepted", [GUARDIAN_EMAIL]),
    ]


def test_the_alert_account_choice_is_case_insensitive_against_notify(app):
    make_user(app, "Coordination@Testville.example")
    submit(app)
    (alert,) = [recipients for kind, recipients in kinds(app) if kind == "coordinator_alert"]
    assert alert == [COORDINATION]


def test_a_logged_in_viewer_is_not_alerted_by_default(app, client):
    make_user(app, "viewer@testville.example", "viewer")
    assert login(client, "viewer@testville.example").status_code == 303
    submit(app)
    (alert,) = [recipients for kind, recipients in kinds(app) if kind == "coordinator_alert"]
    assert alert == [COORDINATION]
