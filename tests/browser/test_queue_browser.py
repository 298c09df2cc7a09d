"""The queue's table in a real Chromium, with long names and référents: it fits the page's
column on a desktop (1,280 to 1,920 px) and, narrower, scrolls within its own frame, which
a keyboard reaches and a screen reader names, rather than the page; axe-core finds nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support.browser import HORIZONTAL_OVERFLOW, axe_report, signed_in
from tests.support.builders import make_user, store_referrals

SCREENSHOT = "/tmp/queue-1440.png"  # noqa: S108 - looked at by whoever changes the page
PHONE_SCREENSHOT = "/tmp/queue-390.png"  # noqa: S108

# Where the table's right edge and the column's are, and how the frame around it scrolls.
LAYOUT = """() => {
    const main = document.querySelector('main');
    const style = getComputedStyle(main);
    const frame = document.querySelector('.table-frame');
    const table = frame.querySelector('table');
    return {
        column: main.getBoundingClientRect().right - parseFloat(style.paddingRight),
        table: table.getBoundingClientRect().right,
        frame: frame.getBoundingClientRect().right,
        frameScrolls: frame.scrollWidth > frame.clientWidth,
        frameScrollWidth: frame.scrollWidth,
        frameWidth: frame.clientWidth,
    };
}"""


def seed_long_rows(app) -> None:
    """Rows as wide as a queue gets: a long référent's e-mail, long and hyphenated names,
    two children, the longest labels (a professional's referral, "Orientée vers un autre
    service") and every badge a row may carry."""
    referent = make_user(
        app, "marie-christine.delacroix-vandenberghe@centre-communal-action-sociale.example"
    )
    long_names = {
        "first_name": "Marie-Philippine-Alexandrine",
        "last_name": "Wolfeschlegelsteinhausenbergerdorff",
    }
    now = datetime.now(UTC)
    store_referrals(
        app,
        4,
        start=now - timedelta(days=30),
        schools=("0629001A", "other"),
        columns={"source": "professional", "urgent": True, "assigned_to_id": referent},
        **long_names,
    )
    for first, status in enumerate(("redirected", "eps", "in_review"), start=5):
        store_referrals(
            app,
            1,
            first=first,
            start=now - timedelta(days=first),
            columns={"status": status, "assigned_to_id": referent, "source": "professional"},
            last_name="de La Tour d’Auvergne-Lauraguais",
        )


def test_the_queue_fits_its_column_and_scrolls_in_its_own_frame_below(browser, server, users):
    seed_long_rows(server.app)
    reports = []
    for width in (1280, 1440, 1920, 390):
        with signed_in(browser, server, users["coordinator"], width) as (page, messages):
            assert page.get_by_text("Wolfeschlegelsteinhausenbergerdorff").first.is_visible()
            overflow = page.evaluate(HORIZONTAL_OVERFLOW)
            assert not overflow["overflow"], (width, overflow)
            layout = page.evaluate(LAYOUT)
            if width in (1440, 390):
                shot = SCREENSHOT if width == 1440 else PHONE_SCREENSHOT
                page.screenshot(path=shot, full_page=True)
            if width >= 1280:
                # The whole table within the column: nothing to scroll, in the page or the frame.
                assert layout["table"] <= layout["column"] + 0.5, (width, layout)
                assert not layout["frameScrolls"], (width, layout)
            else:
                # The frame scrolls, not the page; a keyboard scrolls it once it has the focus.
                assert layout["frameScrolls"] and layout["frame"] <= width, (width, layout)
                frame = page.locator(".table-frame")
                assert frame.get_attribute("tabindex") == "0"
                assert frame.get_attribute("role") == "region"
                name = page.locator("#queue-caption").inner_text()
                assert name.startswith("Orientations"), name
                frame.focus()
                page.keyboard.press("ArrowRight")
                # Chromium scrolls smoothly: the frame moves over the next frames, not at once.
                page.wait_for_function(
                    "() => document.querySelector('.table-frame').scrollLeft > 0"
                )
            reports.append(axe_report(page, f"/triage/ at {width} px"))
            csp = [text for text in messages if "Content Security Policy" in text]
            assert not csp, csp
    failures = [report for report in reports if report]
    assert not failures, "\n".join(failures)
