"""The duplicate warning in real Chromium: accessible, within the CSP, answered without
JavaScript."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import DuplicatePair
from tests.support.browser import CHROMIUM, SKIP_REASON

if not CHROMIUM.exists():
    pytest.skip(SKIP_REASON, allow_module_level=True)

from tests.support.browser import (
    axe_report,
    fill_orientation,
    log_in,
    new_context,
    reference_on,
    send_orientation,
    submit,
)


def test_the_warning_is_accessible_and_answered_without_javascript(
    browser,  # noqa: F811
    server,  # noqa: F811
    users,
):
    context = new_context(browser)
    try:
        page = context.new_page()
        messages: list[str] = []
        page.on("console", lambda message: messages.append(message.text))
        first = send_orientation(page, server)
        # The same child again, its names typed in capitals, by another sender.
        page.goto(server.url("/orientation"))
        fill_orientation(page)
        page.fill("#children-0-first_name", "NOAH")
        page.fill("#children-0-last_name", "LEFEBVRE")
        page.fill("#referrer_name", "Marc Petit")
        submit(page, "Envoyer l’orientation")
        second = reference_on(page)
        assert second != first
        log_in(page, server, users["coordinator"])
        page.goto(server.url(f"/triage/{second}"))
        panel = page.locator("section[aria-labelledby=duplicates]")
        assert "semble être le même enfant que dans " + first in panel.inner_text()
        report = axe_report(page, f"/triage/{second} with a suspected duplicate")
        assert report is None, report
        assert not [text for text in messages if "Content Security Policy" in text]
    finally:
        context.close()

    # Without JavaScript, as some coordinators' workstations run.
    context = new_context(browser, java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, server, users["coordinator"])
        page.goto(server.url(f"/triage/{first}"))
        with page.expect_navigation():
            page.get_by_role("button", name=re.compile(r"^Même enfant")).click()
        assert page.url == server.url(f"/triage/{first}#duplicates")
        text = page.locator("main").inner_text()
        assert "Même enfant : les deux dossiers sont liés." in text
        assert f"Même enfant que {second}" in text
    finally:
        context.close()
    with server.app.app_context():
        assert db.session.scalar(select(DuplicatePair.state)) == "confirmed"
        db.session.remove()
