"""Two coordinators at once in real Chromium: agreement, stale change (409), confirmation."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from intake.auth.operations import create_user
from intake.extensions import db
from intake.models import Referral
from tests.support.app import PASSWORD
from tests.support.browser import CHROMIUM, SKIP_REASON

if not CHROMIUM.exists():
    pytest.skip(SKIP_REASON, allow_module_level=True)

from tests.support.browser import (
    axe_report,
    log_in,
    new_context,
    open_referral,
    send_orientation,
    submit,
)

SECOND = "coord2@testville.example"


def stored(live, reference: str) -> tuple[str, int, list[str]]:
    """The referral's status, number of agreements and history, as the database holds them."""
    with live.app.app_context():
        referral = db.session.scalar(select(Referral).where(Referral.reference == reference))
        result = (
            referral.status,
            len(referral.agreements),
            [change.to_status for change in referral.history],
        )
        db.session.remove()
        return result


def test_two_coordinators_at_once_the_stale_one_is_told_and_changes_nothing(
    browser,  # noqa: F811
    server,  # noqa: F811
    users,
):
    with server.app.app_context():
        create_user(SECOND, PASSWORD, "coordinator")
        db.session.commit()
        db.session.remove()
    first, second = new_context(browser), new_context(browser)
    try:
        page = first.new_page()
        reference = send_orientation(page, server)
        log_in(page, server, users["coordinator"])
        open_referral(page, reference)
        other = second.new_page()
        log_in(other, server, SECOND)
        open_referral(other, reference)

        # The first records the parents' agreement.
        page.fill("#guardian_name", "Sophie Lefebvre")
        page.select_option("#method", "signed_form")
        submit(page, "Enregistrer l’accord")
        assert "Accord enregistré." in page.locator("main").inner_text()
        assert stored(server, reference) == ("new", 1, ["new"])

        # The second, still on the page it read before, moves the status: refused, told why.
        other.select_option("#status", "in_review")
        with other.expect_navigation() as navigation:
            other.get_by_role("button", name="Enregistrer", exact=True).click()
        assert navigation.value.status == 409
        text = other.locator("main").inner_text()
        assert re.search(
            r"Ce dossier a été modifié par coord@testville\.example à \d\d:\d\d, rechargez-le\.",
            text,
        ), text
        assert stored(server, reference) == ("new", 1, ["new"])
        report = axe_report(other, "409")

        # Reloaded, the second's change goes through.
        with other.expect_navigation():
            other.get_by_role("link", name="Recharger le dossier").click()
        other.select_option("#status", "in_review")
        submit(other, "Enregistrer")
        assert stored(server, reference) == ("in_review", 1, ["new", "in_review"])

        # The first declines from a reloaded page: asked once more, nothing changes until then.
        page.reload()
        page.select_option("#status", "declined")
        page.select_option("#reason", "family_declined")
        submit(page, "Enregistrer")
        assert stored(server, reference)[0] == "in_review"
        confirm_report = axe_report(page, "confirmation step")
        submit(page, "Je confirme : passer à « Non retenue »")
        assert stored(server, reference) == ("declined", 1, ["new", "in_review", "declined"])
        assert "Rouvrir le dossier" in page.locator("main").inner_text()
    finally:
        first.close()
        second.close()
    failures = [r for r in (report, confirm_report) if r]
    assert not failures, "\n".join(failures)
