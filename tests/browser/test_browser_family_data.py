"""A family's data (RGPD) and a referral's page, on screen and on paper, in real Chromium:
the data page clean under axe-core's WCAG 2.1 A/AA rules, without a CSP violation; printed,
neither shows navigation, buttons or forms, and each says in its own footer what it is,
for which reference and when (the EPS's line in the margin is the fiches' alone)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import Referral, User
from intake.rules.clock import today
from intake.rules.vocabulary import format_date
from intake.triage.operations import add_note
from tests.support.browser import CHROMIUM, SKIP_REASON

if not CHROMIUM.exists():
    pytest.skip(SKIP_REASON, allow_module_level=True)

from tests.browser.test_browser_parcours import accepted_referral
from tests.support.browser import axe_report, signed_in

# Looked at by whoever changes these pages (a page of each as PNG where pdftoppm is found).
DATA_PDF = "/tmp/family-data.pdf"  # noqa: S108
DETAIL_PDF = "/tmp/referral-printed.pdf"  # noqa: S108
DATA_PRINT_SCREENSHOT = "/tmp/family-data-print.png"  # noqa: S108
# A note long enough that each document runs over several sheets.
LONG_NOTE = " ".join(["Appel à la famille, rendez-vous pris avec l’école et le CMP."] * 40)


@pytest.fixture
def reference(server, users) -> str:
    """A referral with a parcours open and three long notes: several sheets on paper."""
    email = users["coordinator"]
    reference = accepted_referral(server.app, email)
    with server.app.test_request_context():
        user = db.session.scalar(select(User).where(User.email == email))
        referral = db.session.scalar(select(Referral).where(Referral.reference == reference))
        for _ in range(3):
            add_note(referral, LONG_NOTE, user)
        db.session.commit()
        db.session.remove()
    return reference


def printed_without_navigation(page) -> None:
    """On paper: no menu, no button (nor a link styled as one), no form; the footer shown."""
    page.emulate_media(media="print")
    assert page.locator("nav").first.is_hidden()
    assert page.locator(".site-header").is_hidden()
    for selector in ("button", ".button", "form", "select", "textarea"):
        for each in page.locator(selector).all():
            assert each.is_hidden(), selector
    assert page.locator(".print-footer").is_visible()


def test_the_data_page_passes_axe_and_prints_as_a_document(browser, server, users, reference):
    day = format_date(today())
    with signed_in(browser, server, users["coordinator"], 1280) as (page, messages):
        page.goto(server.url(f"/triage/{reference}"))
        with page.expect_navigation():
            page.get_by_role("link", name="Données de la famille (RGPD)").click()
        assert page.url == server.url(f"/triage/{reference}/donnees")
        assert page.locator(".print-footer").is_hidden()  # on screen, not shown
        report = axe_report(page, "a family's data")
        assert report is None, report
        printed_without_navigation(page)
        footer = page.locator(".print-footer").inner_text()
        assert footer == f"Données détenues sur la demande {reference} – extrait du {day}"
        page.screenshot(path=DATA_PRINT_SCREENSHOT, full_page=True)
        page.pdf(path=DATA_PDF, format="A4")
        csp = [message for message in messages if "Content Security Policy" in message]
        assert not csp, csp


def test_a_referrals_page_prints_as_a_fiche(browser, server, users, reference):
    day = format_date(today())
    with signed_in(browser, server, users["coordinator"], 1280) as (page, messages):
        page.goto(server.url(f"/triage/{reference}"))
        assert page.get_by_role("link", name="Corriger le dossier").is_visible()
        assert page.locator(".print-footer").is_hidden()
        printed_without_navigation(page)
        assert page.get_by_role("link", name="Corriger le dossier").is_hidden()
        assert page.get_by_role("link", name="Données de la famille (RGPD)").is_hidden()
        # What goes with the forms goes with them: a form's heading, the fiche's link.
        assert page.get_by_role("heading", name="Enregistrer un accord").is_hidden()
        assert page.get_by_role("link", name="Fiche de liaison à imprimer").is_hidden()
        assert page.get_by_role("heading", name="Historique").is_visible()
        footer = page.locator(".print-footer").inner_text()
        assert footer == f"Orientation {reference} – imprimée le {day} – document confidentiel"
        page.pdf(path=DETAIL_PDF, format="A4")
        csp = [message for message in messages if "Content Security Policy" in message]
        assert not csp, csp
