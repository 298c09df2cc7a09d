"""What the e-mails say: the reference, a link and plain words, never a family's details."""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import urlsplit

import pytest

from intake.extensions import mail
from intake.models import Source
from intake.notifications.worker import deliver_due
from tests.support.outbox import (
    CHILD,
    COORDINATION,
    GUARDIAN_EMAIL,
    PARENT,
    PROFESSIONAL,
    REFERRER_EMAIL,
    SHARED,
    deliver,
    submit,
)

BASE_URL = "https://pre.testville.example"

# Everything a family or a referrer told us, none of which may travel by e-mail.
PERSONAL = [
    CHILD["first_name"],
    "Anatole",  # the second child
    CHILD["last_name"],
    SHARED["guardian_name"],
    SHARED["address"],
    "Tilleuls",  # the street, whatever the spelling
    SHARED["situation"],
    "orthophoni",  # a health detail from the situation
    SHARED["guardian_phone"],
    "06 12 34 56 78",
    "04/05/2016",  # the birth date (the acknowledgement gives its year only)
    "2016-05-04",
    "mai 2016",
    PROFESSIONAL["referrer_name"],
    PROFESSIONAL["referrer_organisation"],
    PROFESSIONAL["actions_tried"],
    PARENT["heard_from"],
    "Santé",  # a difficulty domain's label
]


def delivered(app, smtp, source: Source, **overrides) -> tuple[str, dict]:
    """Submit, deliver and return the reference and each e-mail's parts by recipient."""
    reference = submit(app, source, second_child=True, **overrides)
    deliver(app)
    emails = {}
    for envelope, message in zip(smtp.envelopes, smtp.messages(), strict=True):
        emails[envelope.rcpt_tos[0]] = {
            "subject": str(message["Subject"]),
            "text": message.get_body(("plain",)).get_content(),
            "html": message.get_body(("html",)).get_content(),
        }
    return reference, emails


@pytest.mark.parametrize(
    ("source", "sender"),
    [
        pytest.param(Source.PROFESSIONAL, REFERRER_EMAIL, id="professional"),
        pytest.param(Source.PARENT, GUARDIAN_EMAIL, id="parent"),
    ],
)
def test_no_personal_data_in_any_email(app, smtp, source, sender):
    reference, emails = delivered(app, smtp, source, urgent=True)
    assert set(emails) == {COORDINATION, sender}
    for email in emails.values():
        for part in ("subject", "text", "html"):
            assert reference in email[part]
            for secret in PERSONAL:
                assert secret.lower() not in email[part].lower(), (part, secret)
        assert f"{BASE_URL}/" in email["text"] and f'href="{BASE_URL}/' in email["html"]
    # The acknowledgement shows no e-mail address but the programme's own.
    for part in ("text", "html"):
        assert GUARDIAN_EMAIL not in emails[sender][part]
        assert REFERRER_EMAIL not in emails[sender][part]


def test_subjects_hold_only_a_generic_phrase_and_the_reference(app, smtp):
    reference, emails = delivered(app, smtp, Source.PROFESSIONAL)
    assert emails[COORDINATION]["subject"] == f"Nouvelle orientation {reference}"
    assert (
        emails[REFERRER_EMAIL]["subject"]
        == f"Votre orientation au Programme de Réussite Éducative : {reference}"
    )


def test_coordinator_alert_gives_the_facts_to_triage_on(app, smtp):
    reference, emails = delivered(app, smtp, Source.PROFESSIONAL, urgent=True)
    alert = emails[COORDINATION]
    assert alert["subject"] == f"[Urgent] Nouvelle orientation {reference}"
    for part in ("text", "html"):
        body = alert[part]
        assert "Éligible" in body
        assert "Orientation par un·e professionnel·le" in body
        assert "URGENT" in body
        assert re.search(r"Nombre d’enfants.*2", body, re.DOTALL)
        assert re.search(r"\d\d/\d\d/\d{4} à \d\d:\d\d", body)  # received, in Paris time
    assert f"{BASE_URL}/triage/{reference}" in alert["text"]
    assert f'href="{BASE_URL}/triage/{reference}"' in alert["html"]


def test_a_parent_request_alert_says_so(app, smtp):
    reference, emails = delivered(app, smtp, Source.PARENT)
    alert = emails[COORDINATION]
    assert alert["subject"] == f"Nouvelle demande {reference}"
    assert "Demande d’un parent" in alert["text"]
    assert "URGENT" not in alert["text"]


def test_acknowledgement_says_what_happens_next_without_the_screening(app, smtp):
    reference, emails = delivered(app, smtp, Source.PROFESSIONAL, urgent=True)
    ack = emails[REFERRER_EMAIL]
    for part in ("text", "html"):
        body = ack[part]
        assert "Merci" in body
        # A professional sent an "orientation", not a "demande".
        assert "Votre orientation a bien été reçue" in body
        assert "lit chaque orientation" in body
        assert "demande" not in body
        assert "avec la famille" in body
        # The contact block of the territory file.
        assert "CCAS de Testville" in body
        assert "03 21 00 00 00" in body
        assert "pre@testville.example" in body
        # No screening, no urgency: the sender reads only that the request arrived.
        for word in ("ligible", "repérage", "URGENT", "/triage/"):
            assert word not in body, (part, word)


def test_parent_acknowledgement_speaks_to_the_parent(app, smtp):
    _reference, emails = delivered(app, smtp, Source.PARENT)
    assert "Nous vous contactons sous 10 jours" in emails[GUARDIAN_EMAIL]["text"]


def test_acknowledgement_without_a_contact_block(app, smtp):
    app.extensions["territory"] = replace(app.extensions["territory"], contact=None)
    _reference, emails = delivered(app, smtp, Source.PROFESSIONAL)
    assert "03 21 00 00 00" not in emails[REFERRER_EMAIL]["text"]
    assert "Pour joindre l’équipe" not in emails[REFERRER_EMAIL]["html"]


def test_html_escapes_what_it_shows(app, smtp):
    territory = app.extensions["territory"]
    programme = replace(territory.programme, name="PRE <Testville> & co")
    app.extensions["territory"] = replace(territory, programme=programme)
    _reference, emails = delivered(app, smtp, Source.PROFESSIONAL)
    for email in emails.values():
        assert "PRE &lt;Testville&gt; &amp; co" in email["html"]
        assert "<Testville>" not in email["html"]
        assert "PRE <Testville> & co" in email["text"]  # plain text is not HTML-escaped


def test_acknowledgement_link_opens_the_status_page(app, smtp, client):
    reference, emails = delivered(app, smtp, Source.PROFESSIONAL)
    links = re.findall(
        rf"{re.escape(BASE_URL)}/suivi/[\w.-]+\?lang=fr", emails[REFERRER_EMAIL]["text"]
    )
    assert len(links) == 1
    assert f'href="{links[0]}"' in emails[REFERRER_EMAIL]["html"]

    response = client.get(urlsplit(links[0]).path)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert reference in page
    assert CHILD["last_name"] not in page
    assert client.get(urlsplit(links[0]).path + "x").status_code == 404


def test_flask_mail_messages_are_multipart_with_the_stored_parts(make_app):
    # With sending suppressed, Flask-Mail records instead of connecting: no server at all.
    app = make_app(MAIL_SUPPRESS_SEND=True)
    reference = submit(app)
    with app.app_context(), mail.record_messages() as sent:
        report = deliver_due()
    assert (report.sent, report.failed) == (2, 0)
    alert, ack = sent
    assert alert.recipients == [COORDINATION] and ack.recipients == [REFERRER_EMAIL]
    assert alert.sender == "pre@testville.example"
    assert reference in alert.body and reference in alert.html
    assert ack.subject.endswith(reference)
    assert ack.extra_headers == {"Auto-Submitted": "auto-generated"}
