"""The statistics page in a real Chromium, on screen and in its print media: axe-core's WCAG
2.1 A/AA rules at desktop and phone widths, no CSP violation, the SVG charts drawn and
visible, no sideways scrolling, and the page printed on A4 (screenshots and PDF to look at)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date

from intake.rules.statistics import Period
from intake.statistics import views
from tests.statistics.sample import sample_figures
from tests.support.browser import HORIZONTAL_OVERFLOW, axe_report, signed_in

# Looked at by whoever changes the page (and its PDF's pages, as PNG when pdftoppm exists).
SCREENSHOT = "/tmp/statistics-page-{width}.png"  # noqa: S108
PRINT_SCREENSHOT = "/tmp/statistics-print-{width}.png"  # noqa: S108
PDF = "/tmp/statistics-page.pdf"  # noqa: S108


def test_the_statistics_page_passes_axe_on_screen_and_on_paper(browser, server, users, monkeypatch):
    def compute(period: Period, today: date):
        return sample_figures(period, today)

    monkeypatch.setattr(views, "compute", compute)
    reports = []
    for width in (1280, 390):
        with signed_in(browser, server, users["coordinator"], width) as (page, messages):
            if width == 390:
                page.goto(server.url("/triage/statistiques"))
            else:
                with page.expect_navigation():
                    page.get_by_role("link", name="Statistiques", exact=True).click()
            assert page.url == server.url("/triage/statistiques")
            charts = page.locator("svg.chart")
            assert charts.count() >= 7
            for index in range(charts.count()):
                box = charts.nth(index).bounding_box()
                assert box and box["width"] > 200 and box["height"] > 50, (width, index, box)
            # The bars are drawn, as long as their values say (the longest fills the axis).
            bars = page.locator('[data-breakdown="source"] rect.chart__bar')
            lengths = [bars.nth(i).bounding_box()["width"] for i in range(bars.count())]
            assert lengths[0] > lengths[1] * 5 > 0, lengths
            # An image named by its title; the months' legend and two series.
            months = page.get_by_role("img", name="Orientations et enfants reçus, mois par mois")
            assert months.is_visible()
            reports.append(axe_report(page, f"/triage/statistiques at {width} px"))
            layout = page.evaluate(HORIZONTAL_OVERFLOW)
            assert not layout["overflow"], (width, layout)
            page.screenshot(path=SCREENSHOT.format(width=width), full_page=True)

            # On paper: no menu and no form, the charts still drawn, the footer line shown.
            page.emulate_media(media="print")
            assert not page.locator(".site-header").is_visible()
            assert not page.locator(".period-choice").is_visible()
            assert page.locator(".print-footer").is_visible()
            assert page.locator("svg.chart").first.is_visible()
            reports.append(axe_report(page, f"/triage/statistiques printed, at {width} px"))
            page.screenshot(path=PRINT_SCREENSHOT.format(width=width), full_page=True)
            if width == 1280:
                page.pdf(path=PDF, format="A4")
                if shutil.which("pdftoppm"):
                    subprocess.run(  # noqa: S603
                        ["pdftoppm", "-png", "-r", "60", PDF, PDF.removesuffix(".pdf")],  # noqa: S607
                        check=True,
                    )
            page.emulate_media(media="screen")

            # A period that cannot be counted: the error summary, the default's figures.
            page.goto(server.url("/triage/statistiques?du=2026-06&au=2026-01"))
            assert page.get_by_role("alert").is_visible()
            assert "Le mois de fin précède le mois de début." in page.locator("main").inner_text()
            reports.append(axe_report(page, f"/triage/statistiques with an error at {width} px"))
            csp = [text for text in messages if "Content Security Policy" in text]
            assert not csp, csp
    failures = [report for report in reports if report]
    assert not failures, "\n".join(failures)
