"""Each e-mail in its reader's language: the family's in `contact_language`, the referrer's in
the language of the page the referral was sent from (`sent_language`), the coordination's in
French; read from a real SMTP server. Most tests set both languages on the stored referral;
the last goes through the forms."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from babel.messages.extract import extract
from flask_babel import force_locale, get_locale
from sqlalchemy import select

from intake.extensions import db
from intake.models import OutboxMessage, Referral, Source
from intake.notifications.digest import queue_digests
from intake.notifications.render import render_message
from intake.territory.model import Service
from tests.support.builders import get_referral, make_user, orientation, request_form
from tests.support.outbox import (
    COORDINATION,
    DAILY,
    GUARDIAN_EMAIL,
    REFERRER_EMAIL,
    decide,
    deliver,
    submit,
)

ROOT = Path(__file__).resolve().parents[2]
BASE_URL = "https://pre.testville.example"
# 09:30 in UTC, 10:30 in Paris: the e-mails give Paris time, the month in words.
RECEIVED = datetime(2026, 3, 5, 9, 30, tzinfo=UTC)

# Where the French of an e-mail to a family or a referrer comes from.
EMAIL_SOURCES = (
    *sorted(
        path
        for path in (ROOT / "templates" / "email").iterdir()
        if not path.name.startswith(("coordinator_alert.", "digest."))
    ),
    ROOT / "intake" / "notifications" / "render.py",
    ROOT / "intake" / "rules" / "progress.py",
    ROOT / "intake" / "rules" / "decisions.py",
    ROOT / "intake" / "rules" / "workflow.py",
)
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
# As babel.cfg reads the templates.
JINJA = {"extensions": "jinja2.ext.do"}


@cache
def french_sentences() -> frozenset[str]:
    """The pieces of the e-mails' French messages between their variables, long enough to be
    a sentence's part rather than a word English shares ("Service", "CLAS")."""
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "N_": None}
    pieces = set()
    for path in EMAIL_SOURCES:
        method, options = ("python", {}) if path.suffix == ".py" else ("jinja2", JINJA)
        with path.open("rb") as source:
            for _line, message, _comments, _context in extract(
                method, source, keywords=keywords, options=options
            ):
                for text in [message] if isinstance(message, str) else message:
                    pieces.update(
                        piece.strip()
                        for piece in PLACEHOLDER.split(text)
                        if len(piece.strip()) >= 12
                    )
    return frozenset(pieces)


def set_languages(app, reference: str, contact: str, sent: str) -> None:
    """What the forms will record: the family's language and the page's."""
    with app.app_context():
        referral = get_referral(reference)
        referral.contact_language = contact
        referral.sent_language = sent
        db.session.commit()


def mails(smtp) -> list[dict[str, str]]:
    """Every message received, in order: its one recipient and its parts."""
    found = []
    for envelope, message in zip(smtp.envelopes, smtp.messages(), strict=True):
        (recipient,) = envelope.rcpt_tos
        found.append(
            {
                "to": recipient,
                "subject": str(message["Subject"]),
                "text": message.get_body(("plain",)).get_content(),
                "html": message.get_body(("html",)).get_content(),
            }
        )
    return found


def one(found: list[dict[str, str]], to: str, subject_start: str) -> dict[str, str]:
    (mail,) = [m for m in found if m["to"] == to and m["subject"].startswith(subject_start)]
    return mail


def status_link(text: str) -> str:
    (link,) = re.findall(rf"{re.escape(BASE_URL)}/suivi/[\w.-]+\?lang=\w+", text)
    return link


@pytest.fixture
def english_family(app, smtp):
    """A teacher's referral (sent from a French page) for a family that reads English, its
    acknowledgements and its redirection to the territory's CLAS, delivered."""
    reference = submit(
        app, Source.PROFESSIONAL, guardian_email=GUARDIAN_EMAIL, received_at=RECEIVED
    )
    set_languages(app, reference, contact="en", sent="fr")
    decide(app, reference, "in_review")
    decide(
        app, reference, "redirected", reason="mainstream_service", service="clas", share_reason=True
    )
    deliver(app)
    return reference, mails(smtp)


def test_the_family_reads_english_the_referrer_and_the_coordination_french(english_family):
    reference, found = english_family
    assert len(found) == 5

    alert = one(found, COORDINATION, "Nouvelle orientation")
    assert alert["subject"] == f"Nouvelle orientation {reference}"
    assert "Bonjour," in alert["text"] and '<html lang="fr">' in alert["html"]

    acknowledgement = one(found, REFERRER_EMAIL, "Votre orientation")
    assert "Votre orientation a bien été reçue" in acknowledgement["text"]
    assert "(reçue le 5 mars 2026 à 10:30)" in acknowledgement["text"]
    assert status_link(acknowledgement["text"]).endswith("?lang=fr")

    family = one(found, GUARDIAN_EMAIL, "Programme de Réussite Éducative: a request")
    assert family["subject"] == (
        f"Programme de Réussite Éducative: a request for your child ({reference})"
    )
    assert family["text"].startswith("Hello,")
    assert "A professional who knows your family" in family["text"]
    assert f"Its reference is {reference} (received on 5 March 2026 at 10:30)." in family["text"]
    assert "This request is about 1 child, born in 2016." in family["text"]
    assert "We will contact you within 10 days" in family["text"]
    assert '<html lang="en">' in family["html"]
    link = status_link(family["text"])
    assert link.endswith("?lang=en") and f'href="{link}"' in family["html"]

    notice = one(found, GUARDIAN_EMAIL, "Decision on request")
    assert notice["subject"] == f"Decision on request {reference}"
    for words in (
        "Reason: Another service, open to everyone, can help the child better.",
        "Suggested service: Homework support (CLAS): help with homework",
        "This service is better placed to help you.",
        # The territory's own words in English where its file gives them, else as written.
        "How to reach this service: CLAS of the Peupliers social centre",
        "8 rue des Écoles, 62999 Testville",
        "Opening hours: Monday, Tuesday, Thursday and Friday, 4.30 pm to 6 pm",
        "Opening hours: Monday to Friday, 9 am to 12 noon and 1.30 pm to 5 pm",
        "Automatic message, please do not reply.",
    ):
        assert words in notice["text"], words
    assert status_link(notice["text"]).endswith("?lang=en")

    referrer = one(found, REFERRER_EMAIL, "Décision sur l’orientation")
    assert (
        "Raison : Un autre service, ouvert à tous, peut mieux aider l’enfant." in (referrer["text"])
    )
    assert "Pour joindre ce service : CLAS du centre social des Peupliers" in referrer["text"]
    assert "Horaires : Lundi, mardi, jeudi et vendredi, de 16 h 30 à 18 h" in referrer["text"]
    assert status_link(referrer["text"]).endswith("?lang=fr")


def test_no_french_sentence_is_left_in_the_english_emails(english_family):
    _reference, found = english_family
    sentences = french_sentences()
    # The check itself finds what it looks for.
    assert "Ce lien est personnel : ne le transmettez pas." in sentences
    english = [mail for mail in found if mail["to"] == GUARDIAN_EMAIL]
    assert len(english) == 2
    for mail in english:
        for part in ("subject", "text", "html"):
            left = sorted(sentence for sentence in sentences if sentence in mail[part])
            assert left == [], (mail["subject"], part)


def test_the_english_status_link_opens_the_page_in_english(english_family, client):
    _reference, found = english_family
    link = status_link(one(found, GUARDIAN_EMAIL, "Decision on request")["text"])
    address = urlsplit(link)
    response = client.get(f"{address.path}?{address.query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="en"' in page
    assert "Another service, open to everyone, can help the child better." in page
    assert "How to reach this service" in page


def test_each_message_is_written_in_its_own_language_within_one_context(app):
    reference = submit(app, Source.PROFESSIONAL, guardian_email=GUARDIAN_EMAIL)
    set_languages(app, reference, contact="en", sent="fr")
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        by_kind = {row.kind: row for row in rows}
        # English, French, English again: a catalogue kept from one message is not the next's.
        family = render_message(by_kind["family_acknowledgement"], app.config)
        referrer = render_message(by_kind["acknowledgement"], app.config)
        again = render_message(by_kind["family_acknowledgement"], app.config)
        alert = render_message(by_kind["coordinator_alert"], app.config)
        # The worker's own language is left as it was.
        assert str(get_locale()) == "fr"
    assert family.text.startswith("Hello,") and again.text == family.text
    assert referrer.text.startswith("Bonjour,") and "Votre orientation" in referrer.subject
    assert alert.subject.startswith("Nouvelle orientation")


def test_rows_queued_before_the_languages_keep_working(app, smtp):
    """A decision notice queued without its audience is written to whoever it went to, in
    that reader's language; a referral with the columns' defaults is written in French."""
    reference = submit(app, Source.PROFESSIONAL, guardian_email=GUARDIAN_EMAIL)
    with app.app_context():
        referral = get_referral(reference)
        assert (referral.contact_language, referral.sent_language) == ("fr", "fr")
    deliver(app)
    assert all("Bonjour," in mail["text"] for mail in mails(smtp))
    set_languages(app, reference, contact="en", sent="fr")
    with app.app_context():
        for address in (REFERRER_EMAIL, GUARDIAN_EMAIL):
            db.session.add(
                OutboxMessage(
                    kind="decision_declined",
                    recipients=[address],
                    referral=get_referral(reference),
                    context={
                        "outcome": {
                            "status": "declined",
                            "at": RECEIVED.isoformat(),
                            "reason": "age",
                            "service": None,
                        }
                    },
                )
            )
        db.session.commit()
    smtp.envelopes.clear()
    deliver(app)
    found = mails(smtp)
    family = one(found, GUARDIAN_EMAIL, "Decision on request")
    assert (
        "Reason: The child is outside the age range the programme works with." in (family["text"])
    )
    referrer = one(found, REFERRER_EMAIL, "Décision sur l’orientation")
    assert (
        "Raison : L’enfant n’a pas l’âge des enfants que le programme accompagne."
        in (referrer["text"])
    )


def test_the_digest_stays_french_whatever_the_language_in_force(app):
    make_user(app, DAILY, alerts="daily")
    submit(app, Source.PARENT)
    with app.app_context(), force_locale("en"):
        queued = queue_digests(
            app.extensions["territory"], app.config, datetime.now(UTC) + timedelta(minutes=1)
        )
        db.session.commit()
        assert len(queued) == 1
        (digest,) = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "digest")
        ).all()
        assert digest.subject.startswith("Récapitulatif du ")
        assert "Bonjour," in digest.body_text and '<html lang="fr">' in digest.body_html


def test_a_service_the_territory_lists_without_an_address_says_to_ask_the_team(app, smtp):
    territory = app.extensions["territory"]
    app.extensions["territory"] = replace(territory, services=(Service("reaap"),))
    reference = submit(app, Source.PROFESSIONAL, guardian_email=GUARDIAN_EMAIL)
    decide(app, reference, "redirected", service="reaap")
    deliver(app)
    notice = one(mails(smtp), GUARDIAN_EMAIL, "Décision sur la demande")
    # Named in plain words when the territory gives no name.
    assert (
        "Pour joindre ce service : Le réseau des parents (REAAP) : rencontres et soutien pour "
        "les parents" in notice["text"]
    )
    assert "demandez à l’équipe du programme : ses coordonnées sont en bas" in notice["text"]
    assert "Adresse :" not in notice["text"] and "Pour joindre ce service" in notice["html"]


def test_a_service_the_territory_does_not_list_has_no_block(app, smtp, client):
    reference = submit(app, Source.PROFESSIONAL, guardian_email=GUARDIAN_EMAIL)
    decide(app, reference, "redirected", service="pmi")
    deliver(app)
    for mail in mails(smtp):
        assert "Pour joindre ce service" not in mail["text"]
        assert "Pour joindre ce service" not in mail["html"]


def test_the_status_page_tells_where_the_service_is(app, smtp, client):
    reference = submit(app, Source.PROFESSIONAL, guardian_email=GUARDIAN_EMAIL)
    decide(app, reference, "redirected", service="clas")
    deliver(app)
    link = status_link(one(mails(smtp), GUARDIAN_EMAIL, "Décision sur la demande")["text"])
    page = client.get(urlsplit(link).path).get_data(as_text=True)
    assert "<h2>Pour joindre ce service</h2>" in page
    for words in (
        "CLAS du centre social des Peupliers",
        "8 rue des Écoles, 62999 Testville",
        '<a href="tel:0321000010">03 21 00 00 10</a>',
        "Lundi, mardi, jeudi et vendredi, de 16 h 30 à 18 h",
    ):
        assert words in page, words


def test_through_the_forms_each_reads_its_language(app, client, smtp):
    """The whole way: a parent sends /demande from the English page asking to be written to
    in English; a teacher sends /orientation from the English page for a family that reads
    French. Each e-mail goes out in its reader's language, the coordination's in French."""
    answer = client.post(
        "/demande?lang=en",
        data=request_form(
            guardian_email=GUARDIAN_EMAIL, contact_language="en", situation="Request n° 1."
        ),
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)
    answer = client.post(
        "/orientation?lang=en",
        data=orientation(
            guardian_email="famille.dupin@example.net",
            contact_language="fr",
            referrer_email=REFERRER_EMAIL,
            situation="Orientation n° 2.",
        ),
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)
    with app.app_context():
        stored = db.session.execute(
            select(Referral.source, Referral.contact_language, Referral.sent_language).order_by(
                Referral.id
            )
        ).all()
    assert [tuple(row) for row in stored] == [("parent", "en", "en"), ("professional", "fr", "en")]
    deliver(app)
    found = mails(smtp)
    family = [m for m in found if m["to"] == GUARDIAN_EMAIL]
    assert len(family) == 1 and family[0]["text"].startswith("Hello,"), family
    assert status_link(family[0]["text"]).endswith("?lang=en")
    teacher = [m for m in found if m["to"] == REFERRER_EMAIL]
    assert len(teacher) == 1 and teacher[0]["text"].startswith("Hello,"), teacher
    other_family = [m for m in found if m["to"] == "famille.dupin@example.net"]
    assert len(other_family) == 1 and other_family[0]["text"].startswith("Bonjour,"), other_family
    alerts = [m for m in found if m["to"] == COORDINATION]
    assert len(alerts) == 2
    assert all(m["text"].startswith("Bonjour,") and '<html lang="fr">' in m["html"] for m in alerts)
