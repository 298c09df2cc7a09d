"""The territory page in a real Chromium: axe-core's WCAG 2.1 A/AA rules with a result and
the warnings shown, no CSP violation, and a layout that fits a desktop and a phone."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from intake.rules.clock import today
from tests.support.browser import HORIZONTAL_OVERFLOW, axe_report, signed_in, submit
from tests.support.builders import built_territory

SCREENSHOT = "/tmp/territory-page.png"  # noqa: S108 - looked at by whoever changes the page
PHONE_SCREENSHOT = "/tmp/territory-page-390.png"  # noqa: S108


def test_the_territory_page_with_a_result_passes_axe_and_fits(browser, server, users, tmp_path):
    # Built over a year ago: the warning block, the sources and their long URL are shown.
    server.app.extensions["territory"] = built_territory(tmp_path, today() - timedelta(days=400))
    reports = []
    for width, screenshot in ((1280, SCREENSHOT), (390, PHONE_SCREENSHOT)):
        with signed_in(browser, server, users["coordinator"], width) as (page, messages):
            with page.expect_navigation():
                page.get_by_role("link", name="Territoire", exact=True).click()
            page.fill("#adresse", "16 av. Jean-Jaurès, 62999")
            submit(page, "Placer l’adresse")
            assert page.url == server.url(
                f"/triage/territoire?adresse={quote('16 av. Jean-Jaurès, 62999', safe='')}"
                "#ou-se-trouve"
            ).replace("%20", "+")
            assert page.locator(".placement").get_attribute("data-residence") == "outside_qpv"
            page.get_by_text("Voir les 4 entrées").click()  # a <details>, opened
            assert page.locator(".streets li").first.is_visible()
            reports.append(axe_report(page, f"/triage/territoire with a result at {width} px"))
            layout = page.evaluate(HORIZONTAL_OVERFLOW)
            assert not layout["overflow"], (width, layout)
            csp = [text for text in messages if "Content Security Policy" in text]
            assert not csp, csp
            page.screenshot(path=screenshot, full_page=True)
    failures = [report for report in reports if report]
    assert not failures, "\n".join(failures)
