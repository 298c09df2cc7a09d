"""HTTPS is the tested path: the cross-site rule, and staff at work in Chromium over TLS.

The browser test runs the app the way production does (`gunicorn 'wsgi:app'` with
gunicorn.conf.py, TLS, no debug, a real secret key) on this test's own database; the pages
send `Referrer-Policy: no-referrer`, so Chromium's POSTs carry no Referer.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import openpyxl
import pytest
from sqlalchemy import select

from intake import is_cross_site
from intake.extensions import db
from intake.models import OutboxMessage, Referral, StatusChange
from tests.support.app import PASSWORD
from tests.support.browser import CHROMIUM, SKIP_REASON
from tests.support.builders import orientation, post_referral
from tests.support.production import form_page, production_server

OWN = "https://pre.testville.example"

# (Sec-Fetch-Site, Origin, refused?) for a POST to OWN; None is a header not sent.
CROSS_SITE_CASES = {
    "this site's page, no-referrer policy": ("same-origin", "null", False),
    "this site's page, origin named": ("same-origin", OWN, False),
    "typed or bookmarked by the user": ("none", None, False),
    "old browser or script: no header": (None, None, False),
    "old browser, origin withheld": (None, "null", False),
    "old browser, this origin": (None, OWN, False),
    "origin in upper case": (None, OWN.upper(), False),
    "fetch metadata in upper case": ("SAME-ORIGIN", None, False),
    "empty origin header": (None, "", False),
    "another site": ("cross-site", None, True),
    "another site, origin withheld": ("cross-site", "null", True),
    "another site, fetch metadata in upper case": ("Cross-Site", None, True),
    "a sibling subdomain": ("same-site", None, True),
    "old browser, another site": (None, "https://evil.example", True),
    "old browser, this host over http": (None, "http://pre.testville.example", True),
    "old browser, this host on another port": (None, OWN + ":8443", True),
    "old browser, a subdomain of this host": (None, "https://x.pre.testville.example", True),
    "old browser, this host as a suffix": (None, "https://pre.testville.example.evil", True),
    "same-origin claimed, foreign origin": ("same-origin", "https://evil.example", True),
}


@pytest.mark.parametrize(
    ("sec_fetch_site", "origin", "refused"), CROSS_SITE_CASES.values(), ids=CROSS_SITE_CASES
)
def test_is_cross_site(sec_fetch_site, origin, refused):
    assert is_cross_site(sec_fetch_site, origin, OWN) is refused


@pytest.mark.skipif(not CHROMIUM.exists(), reason=SKIP_REASON)
def test_staff_change_a_status_in_chromium_over_https(
    database_url, client, users, tmp_path, browser
):
    """Log in, open a referral and change its status through gunicorn over TLS."""
    # The referral comes in through the public form (CSRF off for this client).
    reference = post_referral(client)

    requests = []
    with production_server(database_url, tmp_path) as server:
        # The throwaway CA is not in Chromium's store; the certificate itself is real TLS.
        context = browser.new_context(ignore_https_errors=True)
        try:
            context.set_default_timeout(10_000)
            page = context.new_page()
            page.on("request", lambda request: requests.append(request))

            page.goto(server.url("/connexion"))
            page.fill("#email", users["coordinator"])
            page.fill("#password", PASSWORD)
            with page.expect_navigation():
                page.get_by_role("button", name="Se connecter", exact=True).click()
            assert page.url == server.url("/triage/"), page.locator("main").inner_text()

            with page.expect_navigation():
                page.get_by_role("link", name=reference, exact=True).click()
            page.select_option("#status", "in_review")
            with page.expect_navigation():
                page.get_by_role("button", name="Enregistrer", exact=True).click()
            assert page.url == server.url(f"/triage/{reference}"), page.locator("main").inner_text()

            # A form of the child's page (issue 25) the same way: CSRF, no Referer, TLS.
            with page.expect_navigation():
                page.get_by_role("link", name="Parcours de ", exact=False).first.click()
            page.select_option("#sex", "F")
            with page.expect_navigation():
                page.get_by_role("button", name="Enregistrer le profil", exact=True).click()
            assert page.url.startswith(server.url(f"/triage/{reference}/enfants/1")), page.url

            # The programme's figures and the family's data (issue 26), the same way: the
            # statistics page counts the referral, its workbook downloads and reads back, the
            # family's data page opens from the referral's.
            with page.expect_navigation():
                page.get_by_role("link", name="Statistiques", exact=True).click()
            received = page.locator('[data-figure="referrals_received"] [data-value]')
            assert received.get_attribute("data-value") == "1"
            with page.expect_download() as download:
                page.get_by_role("link", name="Classeur ANCT (.xlsx)", exact=True).click()
            assert download.value.suggested_filename.startswith("anct-")
            with open(download.value.path(), "rb") as saved:
                workbook = openpyxl.load_workbook(saved)
            figures = dict(list(workbook["donnees"].iter_rows(values_only=True))[1:])
            assert figures["referrals_received"] == 1
            page.goto(server.url(f"/triage/{reference}"))
            with page.expect_navigation():
                page.get_by_role("link", name="Données de la famille (RGPD)").click()
            assert page.url == server.url(f"/triage/{reference}/donnees")
            assert reference in page.locator("h1").inner_text()

            cookies = {cookie["name"]: cookie for cookie in context.cookies()}
            headers = [(request.method, request.url, request.all_headers()) for request in requests]
        finally:
            context.close()

    with client.application.app_context():
        referral = db.session.scalar(select(Referral).where(Referral.reference == reference))
        assert referral.status == "in_review"
        assert referral.children[0].sex == "F"
        history = db.session.scalars(
            select(StatusChange)
            .where(StatusChange.referral_id == referral.id)
            .order_by(StatusChange.id)
        ).all()
        change = history[-1]
        assert (change.from_status, change.to_status) == ("new", "in_review")
        assert change.user.email == users["coordinator"]
        db.session.remove()

    assert cookies["session"]["secure"] and cookies["session"]["httpOnly"], cookies
    assert all(url.startswith("https://") for _, url, _ in headers), headers
    assert not [(m, url) for m, url, h in headers if "referer" in h], "a Referer was sent"
    # What the cross-site rule relies on: the browser says same-origin, and names no origin.
    posts = [h for method, _, h in headers if method == "POST"]
    assert len(posts) == 3, headers  # the login, the status, the child's profile
    for post in posts:
        assert post["sec-fetch-site"] == "same-origin"
        assert post.get("origin", "null") == "null"
    # gunicorn is stopped and its workers with it: nothing is left in its process group.
    assert server.process.returncode is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(server.process.pid, 0)
    log = server.log()
    assert "Listening at: https://" in log
    # The production log shows the app's INFO events, one line each, with ids and no address.
    lines = log.splitlines()
    for event in (
        " INFO intake: login user_id=",
        f" INFO intake: status changed reference={reference} children=1 from=new to=in_review"
        " referral=in_review user_id=",
    ):
        assert sum(event in line for line in lines) == 1, (event, log)
    assert users["coordinator"] not in log and PASSWORD not in log
    assert "Traceback" not in log


def test_concurrent_submissions_through_gunicorn_over_https_are_whole(database_url, app, tmp_path):
    """The public form as production serves it (gunicorn with its production settings, TLS,
    CSRF on, no Referer): browsers sending at once each get a 303, and every referral is
    stored whole, numbered without gap or repeat, with its child, its history and its
    e-mails, all written with the submission's Core INSERTs."""
    senders, sends = 4, 5

    def send_all(server, index: int) -> int:
        connection = server.connection()
        try:
            cookie, token = form_page(connection, "/orientation")
            for number in range(sends):
                form = orientation(situation=f"Envoi {index}-{number} par gunicorn.")
                connection.request(
                    "POST",
                    "/orientation",
                    urllib.parse.urlencode({**form, "csrf_token": token}, doseq=True),
                    {
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Cookie": cookie,
                        "Origin": "null",
                        "Sec-Fetch-Site": "same-origin",
                    },
                )
                answer = connection.getresponse()
                answer.read()
                assert answer.status == 303, answer.status
                assert answer.getheader("Location") == "/confirmation"
                cookie = answer.getheader("Set-Cookie").split(";", 1)[0]
        finally:
            connection.close()
        return sends

    with production_server(database_url, tmp_path) as server, ThreadPoolExecutor(senders) as pool:
        sent = sum(pool.map(lambda index: send_all(server, index), range(senders)))

    total = senders * sends
    assert sent == total
    with app.app_context():
        referrals = db.session.scalars(select(Referral).order_by(Referral.number)).all()
        assert [r.number for r in referrals] == list(range(1, total + 1))
        for referral in referrals:
            assert [child.first_name for child in referral.children] == ["Léa"]
            assert [change.to_status for change in referral.history] == ["new"]
            assert referral.version == 1 and "martin" in referral.search_key
        kinds = db.session.scalars(select(OutboxMessage.kind)).all()
        assert sorted(set(kinds)) == [
            "acknowledgement",
            "coordinator_alert",
            "family_acknowledgement",
        ]
        assert len(kinds) == 3 * total
        db.session.remove()


def test_a_family_reading_english_through_gunicorn_over_https(database_url, app, tmp_path):
    """The language choice as production keeps it: `?lang=en` sets a cookie that is Secure,
    HttpOnly and SameSite over TLS behind gunicorn; the form posted afterwards (no `?lang`,
    no Referer) is answered and stored in English, the family's e-mails to be written so."""
    from tests.support.builders import request_form

    with production_server(database_url, tmp_path) as server:
        connection = server.connection()
        try:
            connection.request("GET", "/demande?lang=en")
            answer = connection.getresponse()
            page = answer.read().decode()
            assert '<html lang="en">' in page and "Ask for support" in page
            cookies = answer.headers.get_all("Set-Cookie")
            (language,) = [c for c in cookies if c.startswith("lang=")]
            attributes = {part.strip().lower() for part in language.split(";")}
            assert {"lang=en", "secure", "httponly", "samesite=lax"} <= attributes
            session = next(c for c in cookies if not c.startswith("lang=")).split(";", 1)[0]
            token = re.search(r'name="csrf_token"[^>]*value="([^"]*)"', page).group(1)
            form = {**request_form(), "csrf_token": token}
            form.pop("contact_language", None)
            connection.request(
                "POST",
                "/demande",
                urllib.parse.urlencode(form, doseq=True),
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": f"{session}; lang=en",
                    "Sec-Fetch-Site": "same-origin",
                },
            )
            sent = connection.getresponse()
            sent.read()
            assert sent.status == 303, server.log()
            connection.request(
                "GET",
                "/confirmation",
                headers={"Cookie": f"{sent.getheader('Set-Cookie').split(';', 1)[0]}; lang=en"},
            )
            confirmation = connection.getresponse().read().decode()
            assert "Request sent" in confirmation, confirmation[:500]
        finally:
            connection.close()
    with app.app_context():
        referral = db.session.scalar(select(Referral))
        assert (referral.contact_language, referral.sent_language) == ("en", "en")
        db.session.remove()
