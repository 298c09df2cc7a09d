"""Corrections in a real Chromium, CSRF on: the page and the history pass axe-core's WCAG 2.1
A/AA rules and break no CSP rule, and a correction is made without JavaScript."""

from __future__ import annotations

# Importing test_browser skips this module too where Chromium is absent.
from tests.support.browser import (
    axe_report,
    log_in,
    new_context,
    open_referral,
    send_orientation,
    submit,
)


def open_correction(tab, live, users):
    """Send a referral, log in as a coordinator and follow its link to the correction page."""
    reference = send_orientation(tab, live)
    log_in(tab, live, users["coordinator"])
    open_referral(tab, reference)
    with tab.expect_navigation():
        tab.get_by_role("link", name="Corriger le dossier", exact=True).click()
    assert tab.url == live.url(f"/triage/{reference}/correction")
    return reference


def test_accessibility_of_the_correction_page_and_history(page, server, users):  # noqa: F811
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    reference = open_correction(page, server, users)
    reports = [axe_report(page, "correction")]
    page.fill("#postcode", "6299")
    submit(page, "Enregistrer la correction")
    assert page.locator(".error-summary").count() == 1
    reports.append(axe_report(page, "correction with errors"))
    page.fill("#postcode", "62999")
    page.fill("#children-0-birth_date", "2008-01-15")
    submit(page, "Enregistrer la correction")
    assert page.url == server.url(f"/triage/{reference}#corrections")
    assert "l’éligibilité a été recalculée" in page.locator(".flashes").inner_text()
    page.locator("details summary").first.click()
    reports.append(axe_report(page, "referral with a correction"))
    failures = [report for report in reports if report]
    assert not failures, "\n".join(failures)
    violations = [text for text in messages if "Content Security Policy" in text]
    assert not violations, "\n".join(violations)


def test_a_correction_is_made_without_javascript(browser, server, users):  # noqa: F811
    context = new_context(browser, java_script_enabled=False)
    try:
        page = context.new_page()
        reference = open_correction(page, server, users)
        assert page.input_value("#guardian_phone") == "06 12 34 56 78"
        page.fill("#guardian_phone", "07 98 76 54 32")
        submit(page, "Enregistrer la correction")
        assert page.url == server.url(f"/triage/{reference}#corrections")
        history = page.locator("section:has(#corrections)").inner_text()
        assert "06 12 34 56 78" in history and "07 98 76 54 32" in history
    finally:
        context.close()
