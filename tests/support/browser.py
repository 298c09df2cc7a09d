"""What the browser tests share: Chromium's settings, a live server over TLS, filling the
forms, signing in, and axe-core's accessibility report."""

from __future__ import annotations

import re
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import trustme
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect
from werkzeug.serving import BaseWSGIServer, make_server

from tests.support.app import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SKIP_REASON = (
    "Chromium not installed at /usr/bin/chromium (apt-get install chromium); .ci/run installs it"
)


class LiveServer:
    """A running server for one app; `url("/path")` gives the address of a page."""

    def __init__(self, app: Flask, server: BaseWSGIServer, scheme: str = "https") -> None:
        self.app = app
        self.server = server
        self.base_url = f"{scheme}://127.0.0.1:{server.server_port}"

    def url(self, path: str = "/") -> str:
        """The absolute address of `path` on this server."""
        return self.base_url + path


def tls_context() -> ssl.SSLContext:
    """A server TLS context with a certificate for 127.0.0.1 from a throwaway CA.

    Browser contexts take it with `ignore_https_errors=True`: the CA is not in Chromium's
    store, but the connection is real TLS, so the app sees https as in production.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(context)
    return context


@contextmanager
def live_server(app: Flask, tls: bool = True) -> Iterator[LiveServer]:
    """Serve `app` on a free loopback port, over https unless `tls` is false, for the block."""
    # Port 0 lets the kernel choose: no window in which another process could take the port.
    context = tls_context() if tls else None
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=context)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, server, "https" if tls else "http")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


REFERENCE = re.compile(r"PRE-\d{4}-\d{5}")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TIMEOUT_MS = 10_000

# What a professional types on /orientation, by CSS selector; children come apart.
REFERRER = {
    "#referrer_name": "Claire Dubois",
    "#referrer_organisation": "École Les Tilleuls",
    "#referrer_email": "claire.dubois@testville.example",
    "#referrer_phone": "03 21 12 34 56",
    "#actions_tried": "Aide personnalisée en classe depuis la rentrée.",
}
REFERRER_SELECTS = {"#referrer_role": "teacher"}
FAMILY = {
    "#guardian_name": "Sophie Lefebvre",
    "#guardian_phone": "06 12 34 56 78",
    "#guardian_email": "sophie.lefebvre@testville.example",
    "#address": "3 rue des Tilleuls",
    "#postcode": "62999",
    "#city": "Testville",
    "#situation": "Noah a du mal à lire.\nSa mère souhaite de l’aide pour les devoirs.",
}
DOMAINS = ("school", "language")
# The birth date in its three inputs, as the page shows it (day, month, year).
FIRST_CHILD = {
    "first_name": "Noah",
    "last_name": "Lefebvre",
    "birth_date-day": "4",
    "birth_date-month": "5",
    "birth_date-year": "2016",
    "school": "0629001A",
    "class_level": "CE2",
}
SECOND_CHILD = {
    "first_name": "Léa",
    "last_name": "Lefebvre",
    "birth_date-day": "20",
    "birth_date-month": "11",
    "birth_date-year": "2012",
    "school": "0629002B",
    "class_level": "6e",
}
CHILD_SELECTS = ("school", "class_level")


def new_context(browser: Browser, **options) -> BrowserContext:
    """A fresh browser context (own cookies) that accepts the live server's test certificate.

    Its browser speaks French unless `locale` says otherwise: headless Chromium would ask for
    English (Accept-Language), which the public pages now follow."""
    context = browser.new_context(ignore_https_errors=True, **{"locale": "fr-FR", **options})
    context.set_default_timeout(TIMEOUT_MS)
    return context


def next_document(page: Page):
    """Wait for the next page the server answers with (its load event).

    Not `expect_navigation`: the public forms' script replaces the history entry as a form
    leaves (static/form.js), a same-document navigation Playwright takes for the one awaited,
    so the test would go on while the answer is still on its way."""
    return page.expect_event("load")


def submit(page: Page, button: str) -> None:
    """Click the submit button named `button` and wait for the page that answers."""
    with next_document(page):
        page.get_by_role("button", name=button, exact=True).click()


def fill_child(page: Page, index: int, child: dict[str, str]) -> None:
    """Fill the fields of child number `index` (0-based)."""
    for name, value in child.items():
        selector = f"#children-{index}-{name}"
        if name in CHILD_SELECTS:
            page.select_option(selector, value)
        else:
            page.fill(selector, value)


def assert_child(page: Page, index: int, child: dict[str, str]) -> None:
    """Child number `index` shows exactly what was typed for `child`."""
    for name, value in child.items():
        assert page.input_value(f"#children-{index}-{name}") == value, f"children-{index}-{name}"


def fill_family(page: Page) -> None:
    """Fill the family and situation fields both forms share."""
    for selector, value in FAMILY.items():
        page.fill(selector, value)
    for domain in DOMAINS:
        page.check(f"input[name=domains][value={domain}]")


def fill_request(page: Page) -> None:
    """Fill /demande whole for one child."""
    fill_child(page, 0, FIRST_CHILD)
    fill_family(page)
    page.check("#consent")


def assert_family(page: Page) -> None:
    """The family and situation fields still hold what `fill_family` typed."""
    for selector, value in FAMILY.items():
        assert page.input_value(selector) == value, selector
    checked = page.locator("input[name=domains]:checked").evaluate_all(
        "boxes => boxes.map(box => box.value)"
    )
    assert sorted(checked) == sorted(DOMAINS)


def fill_orientation(page: Page) -> None:
    """Fill the whole professional form for one child, every box ticked."""
    for selector, value in REFERRER.items():
        page.fill(selector, value)
    for selector, value in REFERRER_SELECTS.items():
        page.select_option(selector, value)
    fill_child(page, 0, FIRST_CHILD)
    fill_family(page)
    page.check("#urgent")
    page.check("#family_informed")


def assert_orientation_kept(page: Page) -> None:
    """Everything but the children still holds what `fill_orientation` typed."""
    for selector, value in {**REFERRER, **REFERRER_SELECTS}.items():
        assert page.input_value(selector) == value, selector
    assert_family(page)
    assert page.is_checked("#urgent")
    assert page.is_checked("#family_informed")


def reference_on(page: Page) -> str:
    """The referral reference the confirmation page shows."""
    match = REFERENCE.search(page.locator("main").inner_text())
    assert match, page.locator("main").inner_text()
    return match.group(0)


def send_orientation(page: Page, server: LiveServer) -> str:
    """Send a complete one-child referral through /orientation; return its reference."""
    page.goto(server.url("/orientation"))
    fill_orientation(page)
    submit(page, "Envoyer l’orientation")
    assert page.url == server.url("/confirmation")
    return reference_on(page)


def log_in(page: Page, server: LiveServer, email: str) -> None:
    """Log in through the form; the queue answers."""
    page.goto(server.url("/connexion"))
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    submit(page, "Se connecter")
    assert page.url == server.url("/triage/")


def open_referral(page: Page, reference: str) -> None:
    """Follow the queue's link to one referral."""
    with page.expect_navigation():
        page.get_by_role("link", name=reference, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)


# Whether the page is wider than the window (a phone would scroll sideways), and the first
# elements that stick out.
HORIZONTAL_OVERFLOW = """() => ({
    overflow: document.documentElement.scrollWidth > window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    culprits: [...document.querySelectorAll('body *')]
        .filter(el => el.getBoundingClientRect().right > window.innerWidth + 0.5)
        .slice(0, 5)
        .map(el => el.outerHTML.slice(0, 120)),
})"""


def axe_report(page: Page, label: str) -> str | None:
    """Run axe-core's WCAG 2.0/2.1 A and AA rules on `page`; a report when anything fails."""
    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    if results.violations_count == 0:
        return None
    return f"--- {label} ({page.url})\n{results.generate_report()}"


@contextmanager
def signed_in(
    browser: Browser, server: LiveServer, email: str, width: int, height: int = 900
) -> Iterator[tuple[Page, list[str]]]:
    """A page `width` px wide, signed in as `email` (it shows the queue), and the console's
    messages as they come (a CSP violation is said there); its context closed after."""
    context = new_context(browser, viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        messages: list[str] = []
        page.on("console", lambda message: messages.append(message.text))
        log_in(page, server, email)
        yield page, messages
    finally:
        context.close()
