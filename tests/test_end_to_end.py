"""The whole path, as a browser and an operator would: form → outbox → SMTP → queue."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from conftest import ALLOWED_SMTP, PASSWORD, SmtpSink
from forms_data import orientation, request_form


def csrf_token(client, path: str) -> str:
    """The token Flask-WTF put in the form at `path`, as a browser would send it back."""
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_referral_travels_from_the_form_to_the_inbox_and_the_queue(make_app, users):
    app = make_app(WTF_CSRF_ENABLED=True, INTAKE_NOTIFY="direction@testville.example")
    sink = SmtpSink()
    sink.start()
    app.extensions["mail"].port = sink.port
    try:
        client = app.test_client()

        # 1. A teacher sends the form, with the token the page gave.
        response = client.post(
            "/orientation", data={**orientation(), "csrf_token": csrf_token(client, "/orientation")}
        )
        assert response.status_code == 303
        reference = re.search(
            r"PRE-\d{4}-\d{5}", client.get("/confirmation").get_data(as_text=True)
        ).group(0)
        assert sink.envelopes == []  # the request never talks to SMTP

        # 2. The worker delivers the outbox to a real SMTP server.
        result = app.test_cli_runner().invoke(args=["outbox", "send"])
        assert result.exit_code == 0 and "sent 2" in result.output
        # Flask-Mail sends to a set of addresses: their order varies.
        by_recipient = {
            frozenset(env.rcpt_tos): msg
            for env, msg in zip(sink.envelopes, sink.messages(), strict=True)
        }
        alert = by_recipient[
            frozenset({"coordination@testville.example", "direction@testville.example"})
        ]
        ack = by_recipient[frozenset({"paul.durand@ecole.example"})]
        assert len(by_recipient) == 2
        assert reference in alert["subject"] and reference in ack["subject"]
        alert_text = alert.get_body(preferencelist=("plain",)).get_content()
        ack_text = ack.get_body(preferencelist=("plain",)).get_content()
        assert f"https://pre.testville.example/triage/{reference}" in alert_text
        assert "Éligible" in alert_text
        for personal in ("Léa", "Martin", "Sophie", "Tilleuls", "lire", "Paul Durand"):
            assert personal not in alert_text and personal not in ack_text

        # 3. The acknowledgement's link shows where the referral stands.
        link = re.search(r"https://pre\.testville\.example(/suivi/\S+)", ack_text).group(1)
        status_page = client.get(urlsplit(link).path).get_data(as_text=True)
        assert reference in status_page and "Reçue, en attente d’examen" in status_page

        # 4. The coordinator logs in through the form and finds it in the queue.
        token = csrf_token(client, "/connexion")
        response = client.post(
            "/connexion",
            data={"email": users["coordinator"], "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 303
        queue = client.get("/triage/").get_data(as_text=True)
        assert reference in queue and "Éligible" in queue
        detail = client.get(f"/triage/{reference}").get_data(as_text=True)
        assert "Domicile : adresse dans le quartier prioritaire Les Tilleuls (QN06299X)." in detail

        # 5. A status change needs the token too; without it nothing changes.
        assert (
            client.post(f"/triage/{reference}/status", data={"status": "in_review"}).status_code
            == 400
        )
        token = csrf_token(client, f"/triage/{reference}")
        response = client.post(
            f"/triage/{reference}/status",
            data={"status": "in_review", "comment": "", "csrf_token": token},
        )
        assert response.status_code == 303
        assert "En cours d’examen" in client.get(f"/triage/{reference}").get_data(as_text=True)
    finally:
        sink.stop()
        ALLOWED_SMTP.discard(("127.0.0.1", sink.port))


def test_parent_request_without_email_gets_no_acknowledgement(smtp, app):
    client = app.test_client()
    assert client.post("/demande", data=request_form(guardian_email="")).status_code == 303
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert "sent 1" in result.output
    assert [env.rcpt_tos for env in smtp.envelopes] == [["coordination@testville.example"]]
