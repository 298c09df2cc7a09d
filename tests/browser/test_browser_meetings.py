"""EPS meetings in real Chromium over https: the meeting page, the decision page, the
printable agenda and a fiche de liaison pass axe-core on screen and in print, print without
navigation or form controls, and a two-child fiche prints on exactly two A4 pages."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from intake.extensions import db
from intake.models import AgendaItem, Meeting, Referral
from intake.rules.clock import PARIS, today
from tests.support.browser import CHROMIUM, SKIP_REASON

if not CHROMIUM.exists():
    pytest.skip(SKIP_REASON, allow_module_level=True)

from tests.support.browser import axe_report, log_in, new_context, submit
from tests.support.meetings import child, items, load, make_referral


def pdf_pages(pdf: bytes) -> list[str]:
    """The text printed on each page of `pdf`, margins included."""
    return [page.extract_text() for page in PdfReader(BytesIO(pdf)).pages]


def nothing_interactive_visible(page) -> list[str]:
    """What a printed page still shows of the navigation, header, footer or form controls."""
    selector = "nav, header.site-header, footer, form, button, input, select, textarea"
    return [
        element.evaluate("e => e.outerHTML.slice(0, 80)")
        for element in page.locator(selector).all()
        if element.is_visible()
    ]


def screen_and_print(page, label: str) -> list[str]:
    """axe-core on screen, then in print media (left on), and whatever print still shows
    that it should not."""
    page.emulate_media(media="screen")
    reports = [axe_report(page, f"{label} (screen)")]
    page.emulate_media(media="print")
    reports.append(axe_report(page, f"{label} (print)"))
    leftovers = nothing_interactive_visible(page)
    if leftovers:
        reports.append(f"--- {label}: visible in print: {leftovers}")
    return [report for report in reports if report]


def test_a_meeting_from_creation_to_print_in_chromium(browser, server, users):  # noqa: F811
    app = server.app
    siblings = make_referral(
        app,
        children=[
            child(),
            child("Malik", "Bouchareb", birth_date=date(2012, 11, 20), school="0629002B"),
        ],
    )
    other = make_referral(app)
    context = new_context(browser)
    failures: list[str] = []
    try:
        page = context.new_page()
        log_in(page, server, users["coordinator"])
        with page.expect_navigation():
            page.get_by_role("link", name="Réunions EPS").click()
        with page.expect_navigation():
            page.get_by_role("link", name="Nouvelle réunion").click()

        # Refused first: every field named, then created.
        submit(page, "Créer la réunion")
        assert page.locator(".error-summary li").count() == 4
        failures += [r for r in [axe_report(page, "new meeting with errors")] if r]
        day = today() + timedelta(days=10)
        page.fill("#day", day.isoformat())
        page.fill("#start", "14:30")
        page.fill("#place", "Centre social, salle 1")
        page.fill("#attendees", "Marie Durand — Éducation nationale\nPaul Roy, Service social")
        submit(page, "Créer la réunion")
        assert "Réunion créée." in page.locator("main").inner_text()
        with app.app_context():
            meeting_id = db.session.scalar(select(Meeting.id))
            db.session.remove()

        # The agenda: one referral put on it from its own page, one by reference on the
        # meeting's, which is then moved up.
        page.goto(server.url(f"/triage/{siblings}"))
        failures += [r for r in [axe_report(page, "referral page with its EPS block")] if r]
        page.select_option("#enrol-meeting", str(meeting_id))
        submit(page, "Mettre à l’ordre du jour")
        assert "Dossier mis à l’ordre du jour" in page.locator("main").inner_text()
        page.goto(server.url(f"/triage/reunions/{meeting_id}"))
        page.fill("#reference", other)
        submit(page, "Ajouter à l’ordre du jour")
        assert load(app, siblings)[0] == "eps" and load(app, other)[0] == "eps"
        submit(page, f"Monter {other}")
        assert [r for r, _ in items(app, meeting_id)] == [other, siblings]
        failures += screen_and_print(page, "meeting page")

        # A decision: refused without its reason, then recorded.
        page.emulate_media(media="screen")
        with page.expect_navigation():
            page.get_by_role("link", name=f"Enregistrer la décision de {other}").click()
        page.select_option("#status", "declined")
        submit(page, "Enregistrer la décision")
        assert "Choisissez le motif de la décision." in page.locator("main").inner_text()
        failures += [r for r in [axe_report(page, "decision with errors")] if r]
        page.select_option("#reason", "family_declined")
        page.fill("#minute", "La famille ne souhaite pas donner suite.")
        submit(page, "Enregistrer la décision")
        assert load(app, other)[0] == "declined"
        assert items(app, meeting_id) == [(other, "declined"), (siblings, None)]

        # Siblings decided apart: Malik only, the page comes back for Inès.
        page.goto(server.url(f"/triage/reunions/{meeting_id}"))
        with page.expect_navigation():
            page.get_by_role("link", name=f"Enregistrer la décision de {siblings}").click()
        failures += [r for r in [axe_report(page, "decision for two children")] if r]
        page.select_option("#status", "declined")
        page.select_option("#reason", "age")
        page.get_by_label("Malik B.").check()
        submit(page, "Enregistrer la décision")
        assert "Malik B. : Non retenue" in page.locator("main").inner_text()
        assert page.locator('input[name="children"]').count() == 0
        failures += [r for r in [axe_report(page, "decision, one child decided")] if r]
        assert items(app, meeting_id) == [(other, "declined"), (siblings, None)]

        # The printable agenda.
        page.goto(server.url(f"/triage/reunions/{meeting_id}/ordre-du-jour"))
        failures += screen_and_print(page, "printable agenda")

        # The fiche of the referral with two children: two A4 pages, each with its reference.
        page.goto(server.url(f"/triage/{siblings}/fiche"))
        failures += screen_and_print(page, "fiche")
        printed = pdf_pages(page.pdf(format="A4", outline=True, tagged=True))
        assert len(printed) == 2, printed
        # The reference in the margin of every page, and the page numbers.
        for number, text in enumerate(printed, start=1):
            assert siblings in text and f"Page {number} / 2" in text, text
        # The meeting's fiches: one page per child of its agenda, in its order (1 + 2).
        page.goto(server.url(f"/triage/reunions/{meeting_id}/fiches"))
        failures += screen_and_print(page, "meeting fiches")
        printed = pdf_pages(page.pdf(format="A4", outline=True, tagged=True))
        assert len(printed) == 3
        assert [other in printed[0], siblings in printed[1], siblings in printed[2]] == [True] * 3
    finally:
        context.close()
    assert not failures, "\n".join(failures)


def test_viewers_see_the_meeting_without_controls(browser, server, users):  # noqa: F811
    app = server.app
    reference = make_referral(app, status="eps")
    with app.app_context():
        meeting = Meeting(
            starts_at=datetime.now(PARIS) + timedelta(days=3),
            place="Mairie",
            attendees=[{"name": "Marie Durand", "organisation": "Éducation nationale"}],
        )
        referral = db.session.scalar(select(Referral).where(Referral.reference == reference))
        meeting.items.append(AgendaItem(referral=referral, position=0))
        db.session.add(meeting)
        db.session.commit()
        meeting_id = meeting.id
        db.session.remove()
    context = new_context(browser)
    try:
        page = context.new_page()
        log_in(page, server, users["viewer"])
        page.goto(server.url(f"/triage/reunions/{meeting_id}"))
        assert reference in page.locator("main").inner_text()
        assert page.locator("main form").count() == 0
        report = axe_report(page, "meeting page (viewer)")
        response = page.goto(server.url(f"/triage/{reference}/fiche"))
        assert response.status == 403
    finally:
        context.close()
    assert not report, report
