"""Issue 27 in Chromium: the real Back button after a send never shows "Confirm Form
Resubmission" nor an old error; a second child is added with no page load; both forms pass
axe at 360 px, children unfolded."""

from __future__ import annotations

import re

import pytest

from tests.support.browser import (
    CHROMIUM,
    FIRST_CHILD,
    HORIZONTAL_OVERFLOW,
    SECOND_CHILD,
    SKIP_REASON,
    axe_report,
    fill_child,
    fill_request,
    new_context,
    reference_on,
    submit,
)

if not CHROMIUM.exists():
    pytest.skip(SKIP_REASON, allow_module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def add_second_child(page: Page) -> None:
    """ "Ajouter un enfant" unfolds the next place: no navigation, its first field focused."""
    loads = []
    page.on("load", lambda _: loads.append(1))
    page.locator("summary", has_text="Ajouter un enfant").first.click()
    expect(page.locator("#children-1-first_name")).to_be_focused()
    fill_child(page, 1, SECOND_CHILD)
    assert loads == [], "adding a child loaded a page"


def assert_back_is_safe(page: Page, server, reference: str, path: str = "/demande") -> None:
    """Back from the confirmation: the form's address, loaded, saying what was sent, blank,
    without an error nor the browser's resubmission page."""
    page.go_back(wait_until="load")
    assert page.url == server.url(path)
    text = page.locator("body").inner_text()
    assert "ERR_CACHE_MISS" not in text and "Confirm Form Resubmission" not in text
    assert page.locator(".error-summary").count() == 0, "an old error is shown again"
    assert f"{reference} a bien été envoyée" in text
    assert page.input_value("#children-0-first_name") == ""
    assert page.input_value("#guardian_name") == ""


@pytest.mark.parametrize("javascript", [True])
def test_back_after_a_child_added_a_check_and_a_send(browser, server, javascript):
    context = new_context(browser, java_script_enabled=javascript, **PHONE)
    try:
        page = context.new_page()
        page.goto(server.url("/demande"))
        fill_request(page)
        add_second_child(page)
        submit(page, "Vérifier ma demande")
        expect(page.locator(".panel--success")).to_contain_text("Rien à signaler")
        submit(page, "Envoyer ma demande")
        assert page.url == server.url("/confirmation")
        reference = reference_on(page)
        assert_back_is_safe(page, server, reference)
    finally:
        context.close()


def test_back_after_an_error_then_a_send(browser, server):
    """An invalid send, corrected, then sent: Back never shows the old error."""
    context = new_context(browser, **PHONE)
    try:
        page = context.new_page()
        page.goto(server.url("/demande"))
        fill_request(page)
        page.fill("#children-0-birth_date-day", "31")
        page.fill("#children-0-birth_date-month", "2")
        submit(page, "Envoyer ma demande")
        # The date at fault is named, child by child.
        expect(page.locator(".error-summary")).to_contain_text("Enfant 1 – Date de naissance")
        page.fill("#children-0-birth_date-day", "4")
        page.fill("#children-0-birth_date-month", "5")
        submit(page, "Envoyer ma demande")
        assert page.url == server.url("/confirmation")
        assert_back_is_safe(page, server, reference_on(page))
    finally:
        context.close()


def test_a_second_child_without_javascript(browser, server):
    """Without JavaScript <details> still opens: a second child is added with no page load
    and stored."""
    context = new_context(browser, java_script_enabled=False, **PHONE)
    try:
        page = context.new_page()
        page.goto(server.url("/demande"))
        fill_request(page)
        page.locator("summary", has_text="Ajouter un enfant").first.click()
        fill_child(page, 1, SECOND_CHILD)
        submit(page, "Envoyer ma demande")
        assert page.url == server.url("/confirmation")
        assert re.search(r"2012", page.locator("main").inner_text())
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/demande", "/orientation"])
def test_forms_pass_axe_at_360_px_children_unfolded(browser, server, path):
    context = new_context(browser, **PHONE)
    try:
        page = context.new_page()
        page.goto(server.url(path))
        reports = [axe_report(page, f"{path} at 360 px")]
        for summary in page.locator("summary", has_text="Ajouter un enfant").all():
            summary.click()
        reports.append(axe_report(page, f"{path} at 360 px, four children unfolded"))
        overflow = page.evaluate(HORIZONTAL_OVERFLOW)
        failures = [report for report in reports if report]
        assert not failures, "\n".join(failures)
        assert not overflow["overflow"], overflow
    finally:
        context.close()


def test_a_reload_before_sending_loses_nothing(browser, server):
    """Until the form is sent, a page that answered a POST stays one: reloading it posts
    again what was typed (Chromium asks first when it shows its window), never a blank form."""
    context = new_context(browser, **PHONE)
    try:
        page = context.new_page()
        page.goto(server.url("/demande"))
        fill_request(page)
        submit(page, "Vérifier ma demande")
        expect(page.locator(".panel--success")).to_contain_text("Rien à signaler")
        posts = []
        page.on("request", lambda request: posts.append(request.method))
        page.reload(wait_until="load")
        assert "POST" in posts, posts
        assert page.input_value("#children-0-first_name") == FIRST_CHILD["first_name"]
    finally:
        context.close()


def test_a_started_child_takes_the_family_name_of_the_one_before(page, server):
    """Starting a second child's first name writes the first child's family name in its
    empty family name; emptied again untouched, the place is empty again (no child)."""
    page.goto(server.url("/demande"))
    page.fill("#children-0-last_name", "Lefebvre")
    page.locator("summary", has_text="Ajouter un enfant").first.click()
    first, last = page.locator("#children-1-first_name"), page.locator("#children-1-last_name")
    first.press_sequentially("Léa")
    expect(last).to_have_value("Lefebvre")
    first.fill("")
    expect(last).to_have_value("")
    # A family name typed by the parent is the parent's: never taken back, never overwritten.
    first.press_sequentially("Léa")
    last.fill("Martin")
    first.fill("")
    first.press_sequentially("Léa")
    expect(last).to_have_value("Martin")


def test_without_javascript_no_family_name_is_written(browser, server):
    context = new_context(browser, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(server.url("/demande"))
        page.fill("#children-0-last_name", "Lefebvre")
        page.locator("summary", has_text="Ajouter un enfant").first.click()
        page.locator("#children-1-first_name").press_sequentially("Léa")
        assert page.input_value("#children-1-last_name") == ""
    finally:
        context.close()
