"""A child's parcours in real Chromium, CSRF on: from the referral's page to the child's,
référent, objective, actions, a review, a refused action, the exit confirmed; axe-core's
WCAG 2.1 A/AA rules at each step, at 1280 and 390 px, no CSP violation, nothing sticking out.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import Referral, User
from intake.models.referral import Source
from intake.rules.clock import today
from intake.triage.operations import change_status, record_agreement
from tests.support.browser import CHROMIUM, SKIP_REASON

if not CHROMIUM.exists():
    pytest.skip(SKIP_REASON, allow_module_level=True)

from tests.support.browser import HORIZONTAL_OVERFLOW, axe_report, signed_in, submit
from tests.support.builders import child, make_referral

SCREENSHOT = "/tmp/parcours-page.png"  # noqa: S108 - looked at by whoever changes the page
PHONE_SCREENSHOT = "/tmp/parcours-page-390.png"  # noqa: S108


def accepted_referral(app, email: str) -> str:
    """Two children referred together, the first accepted (its parcours open), the second
    still new; through the operations, as the status form would."""
    reference = make_referral(
        app, Source.PROFESSIONAL, children=[child("Noah", "Lefebvre"), child("Léa", "Lefebvre")]
    )
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.email == email))
        referral = db.session.scalar(select(Referral).where(Referral.reference == reference))
        record_agreement(
            referral,
            user,
            guardian_name="Sophie Lefebvre",
            given_on=today() - timedelta(days=40),
            method="signed_form",
            comment="",
            children=[1],
        )
        for status in ("in_review", "eps", "accepted"):
            change_status(referral, status, "", user, children=[1])
        db.session.commit()
        db.session.remove()
    return reference


def stored(app, reference: str) -> tuple:
    with app.app_context():
        referral = db.session.scalar(select(Referral).where(Referral.reference == reference))
        noah = referral.children[0]
        result = (
            referral.status,
            noah.status,
            len(noah.parcours.actions),
            len(noah.parcours.reviews),
            noah.parcours.exit_reason,
        )
        db.session.remove()
        return result


def test_a_parcours_through_the_pages_passes_axe_and_fits(browser, server, users):
    reference = accepted_referral(server.app, users["coordinator"])
    reports: list[str | None] = []
    with signed_in(browser, server, users["coordinator"], 1280) as (page, messages):
        page.goto(server.url(f"/triage/{reference}"))
        with page.expect_navigation():
            page.get_by_role("link", name="Parcours de Noah", exact=True).click()
        assert page.url == server.url(f"/triage/{reference}/enfants/1")
        reports.append(axe_report(page, "a parcours just opened"))

        page.select_option("#sex", "M")
        submit(page, "Enregistrer le profil")
        page.fill("#referent_name", "Hortense Vaucanson")
        page.fill("#referent_organisation", "CMPP de Testville")
        submit(page, "Enregistrer le référent")
        page.select_option("#objective-domain", "school")
        page.fill("#objective-text", "Lire seul une page chaque soir.")
        submit(page, "Ajouter l’objectif")
        start = (today() - timedelta(days=30)).isoformat()
        page.select_option("#kind", "homework_club")
        page.select_option("#mode", "collective")
        page.fill("#partner", "Centre social des Tilleuls")
        page.fill("#started_on", start)
        submit(page, "Ajouter l’action")
        errors = page.locator(".error-summary").all_inner_texts()
        assert "Action ajoutée." in page.locator("main").inner_text(), errors

        # An action that ends before it starts: refused, the field named, nothing stored.
        page.select_option("#kind", "speech_therapy")
        page.fill("#started_on", start)
        page.fill("#ended_on", (today() - timedelta(days=31)).isoformat())
        submit(page, "Ajouter l’action")
        summary = page.locator(".error-summary").inner_text()
        assert "Fin : Une action ne peut finir avant d’avoir commencé" in summary, summary
        assert stored(server.app, reference)[2] == 1
        reports.append(axe_report(page, "an action refused"))

        page.fill("#held_on", (today() - timedelta(days=10)).isoformat())
        page.select_option("#review-kind", "eps")
        page.fill("#summary", "Bons progrès en lecture.")
        page.fill("#next_on", (today() - timedelta(days=1)).isoformat())
        submit(page, "Enregistrer la revue")
        assert "(en retard)" in page.locator("main").inner_text()
        page.get_by_text("Terminer ou corriger l’action 1").click()  # a <details>, opened
        reports.append(axe_report(page, "a parcours with its records"))
        page.screenshot(path=SCREENSHOT, full_page=True)

        # The exit, asked once more before anything changes.
        page.select_option("#exit_reason", "handed_over")
        page.select_option("#service", "cmp")
        submit(page, "Terminer le parcours")
        assert stored(server.app, reference) == ("new", "accepted", 1, 1, None)
        reports.append(axe_report(page, "the exit's confirmation"))
        submit(page, "Je confirme : terminer le parcours")
        assert stored(server.app, reference) == ("new", "closed", 1, 1, "handed_over")
        text = page.locator("main").inner_text()
        assert "Ce parcours est terminé depuis le" in text
        reports.append(axe_report(page, "a parcours ended"))
        csp = [message for message in messages if "Content Security Policy" in message]
        assert not csp, csp

    with signed_in(browser, server, users["coordinator"], 390) as (page, messages):
        page.goto(server.url(f"/triage/{reference}/enfants/1"))
        reports.append(axe_report(page, "a parcours ended, at 390 px"))
        layout = page.evaluate(HORIZONTAL_OVERFLOW)
        assert not layout["overflow"], layout
        page.goto(server.url(f"/triage/{reference}/enfants/2"))
        assert "Pas encore de parcours" in page.locator("main").inner_text()
        reports.append(axe_report(page, "a child without parcours, at 390 px"))
        assert not page.evaluate(HORIZONTAL_OVERFLOW)["overflow"]
        csp = [message for message in messages if "Content Security Policy" in message]
        assert not csp, csp

    with signed_in(browser, server, users["viewer"], 390) as (page, messages):
        page.goto(server.url(f"/triage/{reference}/enfants/1"))
        text = page.locator("main").inner_text()
        assert "Bons progrès" not in text and "Hortense" not in text
        reports.append(axe_report(page, "a parcours read by a viewer, at 390 px"))
        layout = page.evaluate(HORIZONTAL_OVERFLOW)
        assert not layout["overflow"], layout
        page.screenshot(path=PHONE_SCREENSHOT, full_page=True)
    failures = [report for report in reports if report]
    assert not failures, "\n".join(failures)
