"""The whole path, as a browser and an operator would: form → outbox → SMTP → queue.

The app runs as in production: not in testing mode, over https (served directly, or behind
a TLS proxy that says so in `X-Forwarded-Proto`), CSRF on, and requests shaped like
Chromium's under the site's `Referrer-Policy: no-referrer`: no Referer, `Origin: null` on
a form's POST, `Sec-Fetch-Site` on every request.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import Referral, Source, StatusChange
from tests.support.app import PASSWORD, VERSION_INPUT
from tests.support.builders import make_referral, orientation, post_referral, request_form
from tests.support.pages import csrf_token
from tests.support.smtp import ALLOWED_SMTP, SmtpSink

SITE = "pre.testville.example"  # the host of INTAKE_BASE_URL in conftest.BASE_CONFIG
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

# How the request reaches the app: (config, the client's base URL, headers every request
# carries). Behind a proxy the app itself hears plain http and learns https from the proxy.
TRANSPORTS = {
    "https": ({"INTAKE_TRUSTED_PROXIES": 0}, f"https://{SITE}", {}),
    "tls-proxy": (
        {"INTAKE_TRUSTED_PROXIES": 1},
        f"http://{SITE}",
        {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"},
    ),
}


class BrowserLikeClient(FlaskClient):
    """A test client whose requests carry what Chromium sends on the production site.

    A header given to one request overrides the defaults; given as None, it is left out.
    """

    site_url = f"https://{SITE}"
    transport_headers: dict[str, str] = {}

    def open(self, *args: Any, **kwargs: Any):
        if args and isinstance(args[0], str):
            kwargs.setdefault("base_url", self.site_url)
            defaults = {**self.transport_headers, "Sec-Fetch-Site": "same-origin"}
            if kwargs.get("method", "GET").upper() in UNSAFE_METHODS:
                defaults["Origin"] = "null"  # what `no-referrer` makes of a form's origin
            merged = {**defaults, **dict(kwargs.pop("headers", None) or {})}
            kwargs["headers"] = {name: value for name, value in merged.items() if value}
        return super().open(*args, **kwargs)


@pytest.fixture(params=sorted(TRANSPORTS))
def production(make_app, request):
    """(app, client): the app configured as in production, and a browser-like client."""
    config, site_url, headers = TRANSPORTS[request.param]
    # TESTING off: load_config takes its production branch (Secure cookies, HSTS) and
    # Flask-WTF's WTF_CSRF_SSL_STRICT keeps the value production has.
    app = make_app(
        TESTING=False,
        WTF_CSRF_ENABLED=True,
        INTAKE_NOTIFY="direction@testville.example",
        **config,
    )
    app.test_client_class = BrowserLikeClient
    client = app.test_client()
    client.site_url = site_url
    client.transport_headers = headers
    return app, client


def version(client, reference: str) -> str:
    """The referral's version its detail page puts in every change form."""
    html = client.get(f"/triage/{reference}").get_data(as_text=True)
    return VERSION_INPUT.search(html).group(1)


def log_in(client, email: str) -> None:
    """Log in through /connexion with the form's token; the session cookie must be Secure."""
    token = csrf_token(client, "/connexion")
    response = client.post(
        "/connexion", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = [cookie for cookie in cookies if cookie.startswith("session=")]
    assert session_cookie, cookies
    assert all("; Secure" in cookie for cookie in session_cookie), session_cookie


def stored(app, reference: str) -> tuple[str, list[str]]:
    """The referral's status in the database, and the statuses its history records."""
    with app.app_context():
        referral = db.session.scalar(select(Referral).where(Referral.reference == reference))
        history = db.session.scalars(
            select(StatusChange.to_status)
            .where(StatusChange.referral_id == referral.id)
            .order_by(StatusChange.id)
        ).all()
        status = referral.status
        db.session.remove()
        return status, list(history)


def test_referral_travels_from_the_form_to_the_inbox_and_the_queue(production, users):
    app, client = production
    sink = SmtpSink()
    sink.start()
    app.extensions["mail"].port = sink.port
    try:
        # 1. A teacher sends the form, with the token the page gave.
        page = client.get("/orientation")
        assert "max-age" in page.headers["Strict-Transport-Security"]
        assert page.headers["Referrer-Policy"] == "no-referrer"
        form = {**orientation(), "csrf_token": csrf_token(client, "/orientation")}
        reference = post_referral(client, "/orientation", form)
        assert reference in client.get("/confirmation").get_data(as_text=True)
        assert sink.envelopes == []  # the request never talks to SMTP

        # 2. The worker delivers the outbox to a real SMTP server.
        result = app.test_cli_runner().invoke(args=["outbox", "send"])
        assert result.exit_code == 0 and "sent 3" in result.output
        # Flask-Mail sends to a set of addresses: their order varies.
        by_recipient = {
            frozenset(env.rcpt_tos): msg
            for env, msg in zip(sink.envelopes, sink.messages(), strict=True)
        }
        # The coordinator's account asked for an alert on each referral (the default).
        alert = by_recipient[
            frozenset(
                {
                    "coordination@testville.example",
                    "direction@testville.example",
                    users["coordinator"],
                }
            )
        ]
        ack = by_recipient[frozenset({"paul.durand@ecole.example"})]
        family = by_recipient[frozenset({"sophie.martin@famille.example"})]
        assert len(by_recipient) == 3
        assert reference in alert["subject"] and reference in ack["subject"]
        assert reference in family["subject"]
        alert_text = alert.get_body(preferencelist=("plain",)).get_content()
        ack_text = ack.get_body(preferencelist=("plain",)).get_content()
        family_text = family.get_body(preferencelist=("plain",)).get_content()
        assert f"https://pre.testville.example/triage/{reference}" in alert_text
        assert "Éligible" in alert_text
        for personal in ("Léa", "Martin", "Sophie", "Tilleuls", "lire", "Paul Durand"):
            for text in (alert_text, ack_text, family_text):
                assert personal not in text

        # 3. The acknowledgement's link shows where the referral stands.
        link = re.search(r"https://pre\.testville\.example(/suivi/\S+)", ack_text).group(1)
        status_page = client.get(urlsplit(link).path).get_data(as_text=True)
        assert reference in status_page and "Reçue, en attente d’examen" in status_page

        # 4. The coordinator logs in through the form (no Referer) and finds it in the queue.
        log_in(client, users["coordinator"])
        queue = client.get("/triage/").get_data(as_text=True)
        assert reference in queue and "Éligible" in queue
        detail = client.get(f"/triage/{reference}").get_data(as_text=True)
        assert "Domicile : adresse dans le quartier prioritaire Les Tilleuls (QN06299X)." in detail

        # 5. A status change needs the token too; without it nothing changes.
        assert (
            client.post(f"/triage/{reference}/status", data={"status": "in_review"}).status_code
            == 400
        )
        assert stored(app, reference) == ("new", ["new"])
        token = csrf_token(client, f"/triage/{reference}")
        response = client.post(
            f"/triage/{reference}/status",
            data={
                "status": "in_review",
                "comment": "",
                "csrf_token": token,
                "version": version(client, reference),
            },
        )
        assert response.status_code == 303
        assert "En cours d’examen" in client.get(f"/triage/{reference}").get_data(as_text=True)
        assert stored(app, reference) == ("in_review", ["new", "in_review"])
    finally:
        sink.stop()
        ALLOWED_SMTP.discard(("127.0.0.1", sink.port))


# Headers of a POST that another page sent: a browser's Fetch Metadata, or, from a browser
# too old to send it, only an Origin that is not this site's.
CROSS_SITE = {
    "another site": {"Sec-Fetch-Site": "cross-site"},
    "a sibling subdomain": {"Sec-Fetch-Site": "same-site"},
    "another site, no fetch metadata": {"Sec-Fetch-Site": None, "Origin": "https://evil.example"},
    "this host over http": {"Sec-Fetch-Site": None, "Origin": f"http://{SITE}"},
    "another port": {"Sec-Fetch-Site": None, "Origin": f"https://{SITE}:8443"},
}


@pytest.mark.parametrize("headers", CROSS_SITE.values(), ids=CROSS_SITE.keys())
def test_cross_site_post_with_a_valid_token_is_refused(production, users, headers):
    app, client = production
    reference = make_referral(app, Source.PROFESSIONAL)
    log_in(client, users["coordinator"])
    token = csrf_token(client, f"/triage/{reference}")

    response = client.post(
        f"/triage/{reference}/status",
        data={
            "status": "in_review",
            "comment": "",
            "csrf_token": token,
            "version": version(client, reference),
        },
        headers=headers,
    )
    assert response.status_code == 400
    assert "Requête incorrecte" in response.get_data(as_text=True)  # the French error page
    assert stored(app, reference) == ("new", ["new"])

    # The same token from this site's own page is accepted: only the origin was wrong.
    # A browser under a laxer policy would name the origin rather than send `null`.
    response = client.post(
        f"/triage/{reference}/status",
        data={
            "status": "in_review",
            "comment": "",
            "csrf_token": token,
            "version": version(client, reference),
        },
        headers={"Origin": f"https://{SITE}"},
    )
    assert response.status_code == 303
    assert stored(app, reference) == ("in_review", ["new", "in_review"])


def test_cross_site_login_and_public_form_are_refused(production, users):
    app, client = production
    token = csrf_token(client, "/connexion")
    response = client.post(
        "/connexion",
        data={"email": users["coordinator"], "password": PASSWORD, "csrf_token": token},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 400
    assert client.get("/triage/").status_code == 302  # still anonymous

    token = csrf_token(client, "/orientation")
    response = client.post(
        "/orientation",
        data={**orientation(), "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Referral)) == 0
        db.session.remove()


def test_request_without_fetch_metadata_or_origin_still_needs_the_token(production, users):
    """An old browser or a script sends neither header: the token alone decides."""
    app, client = production
    reference = make_referral(app, Source.PROFESSIONAL)
    log_in(client, users["coordinator"])
    bare = {"Sec-Fetch-Site": None, "Origin": None}
    response = client.post(
        f"/triage/{reference}/status", data={"status": "in_review"}, headers=bare
    )
    assert response.status_code == 400
    assert stored(app, reference) == ("new", ["new"])
    token = csrf_token(client, f"/triage/{reference}")
    response = client.post(
        f"/triage/{reference}/status",
        data={
            "status": "in_review",
            "comment": "",
            "csrf_token": token,
            "version": version(client, reference),
        },
        headers=bare,
    )
    assert response.status_code == 303
    assert stored(app, reference) == ("in_review", ["new", "in_review"])


def test_parent_request_without_email_gets_no_acknowledgement(smtp, app):
    client = app.test_client()
    assert client.post("/demande", data=request_form(guardian_email="")).status_code == 303
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert "sent 1" in result.output
    assert [env.rcpt_tos for env in smtp.envelopes] == [["coordination@testville.example"]]
