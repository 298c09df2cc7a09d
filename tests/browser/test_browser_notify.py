"""Mes alertes and the status page in a real browser: axe-core finds no WCAG 2.1 A/AA
violation, and the radio group works by its labels."""

from __future__ import annotations

from intake.tokens import make_token

# test_browser's fixtures, imported so pytest finds them here; the tests take them by name.
from tests.support.browser import axe_report, log_in, send_orientation, submit


def test_mes_alertes_is_accessible_and_saves_the_choice(page, server, users):  # noqa: F811
    log_in(page, server, users["viewer"])
    page.get_by_role("link", name="Mes alertes").click()
    page.wait_for_url(server.url("/triage/compte"))
    reports = [axe_report(page, "/triage/compte")]
    assert page.get_by_role("radio", name="Aucun").is_checked()  # a viewer's default

    page.get_by_label("Un récapitulatif quotidien").check()
    submit(page, "Enregistrer")
    assert page.url == server.url("/triage/compte")
    assert "Vos alertes sont enregistrées." in page.locator("main").inner_text()
    assert page.get_by_role("radio", name="Un récapitulatif quotidien").is_checked()
    reports.append(axe_report(page, "/triage/compte after saving"))
    failures = [report for report in reports if report]
    assert not failures, "\n".join(failures)


def test_status_page_is_accessible(page, server):  # noqa: F811
    reference = send_orientation(page, server)
    with server.app.app_context():
        token = make_token("status", reference)
    page.goto(server.url(f"/suivi/{token}"))
    assert reference in page.locator("h1").inner_text()
    report = axe_report(page, "/suivi")
    assert report is None, report
