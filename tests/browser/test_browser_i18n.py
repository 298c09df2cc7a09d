"""The public side in French and in English, in Chromium: both forms (blank and with their
errors), the confirmation and /suivi pass axe-core at 360 px and 1280 px, fit a phone's width;
the language switch of a form keeps what was typed, without JavaScript.

Screenshots of both forms in both languages at both widths are written to $INTAKE_SCREENSHOTS
(a temporary folder otherwise), to be looked at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from intake.tokens import make_status_token
from tests.support.browser import (
    FIRST_CHILD,
    HORIZONTAL_OVERFLOW,
    assert_child,
    assert_family,
    axe_report,
    fill_request,
    new_context,
    reference_on,
    submit,
)

# What each language's pages say on their buttons and in their headings.
WORDS = {
    "fr": {
        "send_request": "Envoyer ma demande",
        "send_orientation": "Envoyer l’orientation",
        "switch": "English",
        "sent": "Demande envoyée",
    },
    "en": {
        "send_request": "Send my request",
        "send_orientation": "Send the referral",
        "switch": "Français",
        "sent": "Request sent",
    },
}
# The browser's own language: English through Accept-Language, as a visitor's browser says it.
BROWSER_LOCALE = {"fr": "fr-FR", "en": "en-GB"}


def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("INTAKE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_public_pages_pass_axe_in_both_languages(browser, server, tmp_path, language, width):
    words = WORDS[language]
    folder = screenshots(tmp_path)
    context = new_context(
        browser, viewport={"width": width, "height": 900}, locale=BROWSER_LOCALE[language]
    )
    reports, overflows = [], []
    try:
        page = context.new_page()

        def check(label: str) -> None:
            assert page.locator("html").get_attribute("lang") == language, label
            reports.append(axe_report(page, f"{label} ({language}, {width} px)"))
            result = page.evaluate(HORIZONTAL_OVERFLOW)
            if result["overflow"]:
                overflows.append(f"{label} ({language}, {width} px): {result}")

        for path, send in (("/orientation", "send_orientation"), ("/demande", "send_request")):
            page.goto(server.url(path))
            check(path)
            page.screenshot(path=folder / f"{path[1:]}-{language}-{width}.png", full_page=True)
            submit(page, words[send])
            assert page.locator(".error-summary").count() == 1
            check(f"{path} with errors")
            page.screenshot(
                path=folder / f"{path[1:]}-errors-{language}-{width}.png", full_page=True
            )
        page.goto(server.url("/demande"))
        fill_request(page)
        submit(page, words["send_request"])
        assert page.get_by_role("heading", level=1).inner_text() == words["sent"]
        check("/confirmation")
        reference = reference_on(page)
        with server.app.app_context():
            token = make_status_token(reference, "family")
        page.goto(server.url(f"/suivi/{token}"))
        check("/suivi")
        page.goto(server.url("/accessibilite"))
        check("/accessibilite")
    finally:
        context.close()
    failures = [report for report in reports if report]
    assert not failures, "\n".join(failures)
    assert not overflows, "\n".join(overflows)


def test_the_form_switch_keeps_everything_typed_without_javascript(browser, server):
    context = new_context(browser, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(server.url("/demande"))
        fill_request(page)
        submit(page, "English")
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.get_by_role("heading", level=1).inner_text() == "Ask for support for your child"
        assert_child(page, 0, FIRST_CHILD)
        assert_family(page)
        assert page.is_checked("#consent")
        assert page.locator(".error-summary, .warning-summary").count() == 0
        # The choice is kept: the next page, a link followed, is in English too.
        with page.expect_navigation():
            page.get_by_role("link", name="Privacy and personal data").click()
        assert page.locator("html").get_attribute("lang") == "en"
        # And sent in English, from the form as it was switched.
        page.goto(server.url("/demande"))
        fill_request(page)
        submit(page, "Français")
        assert page.locator("html").get_attribute("lang") == "fr"
        assert_family(page)
        submit(page, "Envoyer ma demande")
        assert page.get_by_role("heading", level=1).inner_text() == "Demande envoyée"
    finally:
        context.close()


def test_a_page_link_switch_keeps_the_page(page, server):
    page.goto(server.url("/confidentialite"))
    with page.expect_navigation():
        page.get_by_role("link", name="English", exact=True).click()
    assert page.url == server.url("/confidentialite?lang=en")
    assert page.get_by_role("heading", level=1).inner_text() == "Privacy and personal data"
    link = page.get_by_role("link", name="Français", exact=True)
    assert link.get_attribute("hreflang") == "fr" and link.get_attribute("lang") == "fr"
