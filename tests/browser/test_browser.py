"""Browser tests: the forms, keyboard, accessibility and CSP in a real Chromium, CSRF on,
over https with Secure cookies as in production."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import Referral
from tests.support.browser import (
    CHROMIUM,
    DOMAINS,
    FAMILY,
    FIRST_CHILD,
    HORIZONTAL_OVERFLOW,
    SECOND_CHILD,
    SKIP_REASON,
    assert_child,
    assert_orientation_kept,
    axe_report,
    fill_child,
    fill_family,
    fill_orientation,
    log_in,
    new_context,
    next_document,
    open_referral,
    reference_on,
    send_orientation,
    submit,
)
from tests.support.builders import REQUIRED_SHARED

if not CHROMIUM.exists():
    pytest.skip(SKIP_REASON, allow_module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402


def test_orientation_without_javascript_adds_and_removes_children(browser, server):
    """Without JavaScript, a child is added by unfolding its place (<details>, no page load)
    and removed by a submit button, nothing is lost."""
    context = new_context(browser, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(server.url("/orientation"))
        assert page.locator("fieldset.child").count() == 1
        fill_orientation(page)

        expect(page.locator("#children-1-first_name")).to_be_hidden()
        page.locator("summary", has_text="Ajouter un enfant").first.click()
        expect(page.locator("#children-1-first_name")).to_be_visible()
        assert page.input_value("#children-1-first_name") == ""
        fill_child(page, 1, SECOND_CHILD)
        submit(page, "Vérifier l’orientation")
        assert page.locator("fieldset.child").count() == 2
        assert page.locator(".error-summary").count() == 0
        assert_orientation_kept(page)
        assert_child(page, 0, FIRST_CHILD)

        submit(page, "Retirer l’enfant 1")
        assert page.locator("fieldset.child").count() == 1
        expect(page.locator("#children-1-first_name")).to_be_hidden()  # folded, empty
        assert_child(page, 0, SECOND_CHILD)
        assert_orientation_kept(page)
        assert page.get_by_role("button", name=re.compile("Retirer")).count() == 0

        submit(page, "Envoyer l’orientation")
        assert page.url == server.url("/confirmation")
        reference = reference_on(page)
    finally:
        context.close()
    with server.app.app_context():
        referral = db.session.scalar(select(Referral).where(Referral.reference == reference))
        assert referral is not None
        assert [child.first_name for child in referral.children] == ["Léa"]
        assert referral.urgent and referral.family_informed


def test_empty_request_shows_summary_linked_to_fields(page, server):
    """An empty /demande shows an alert summary whose links lead to fields described by errors."""
    page.goto(server.url("/demande"))
    submit(page, "Envoyer ma demande")

    assert page.title().startswith("Erreur"), page.title()
    summary = page.locator(".error-summary[role=alert]")
    expect(summary).to_be_visible()
    assert page.get_by_text("Le formulaire a expiré").count() == 0, "the CSRF token was refused"
    summary_first = page.evaluate(
        """() => {
            const summary = document.querySelector('.error-summary');
            const form = document.querySelector('main form');
            const after = summary.compareDocumentPosition(form);
            return Boolean(after & Node.DOCUMENT_POSITION_FOLLOWING);
        }"""
    )
    assert summary_first, "the error summary must come before the form"

    hrefs = summary.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs, "the summary has no links"
    for href in hrefs:
        assert href.startswith("#") and page.locator(href).count() == 1, href
    assert len(hrefs) == page.locator(".error-message").count()

    summary.locator("a").first.click()
    assert page.evaluate("document.activeElement.id") == hrefs[0][1:]

    # The checkbox group "domains" carries its error on the fieldset, not on an input; an empty
    # birth date marks its three inputs, and the message is read with their fieldset.
    birth_date = "children-0-birth_date"
    date_inputs = {f"{birth_date}-{part}" for part in ("day", "month", "year")}
    expected_invalid = (REQUIRED_SHARED - {"domains", birth_date}) | {"consent"} | date_inputs
    described = page.locator("[aria-invalid=true]").evaluate_all(
        "fields => fields.map(f => [f.id, f.getAttribute('aria-describedby') || ''])"
    )
    assert {field_id for field_id, _ in described} == expected_invalid
    described = [item for item in described if item[0] not in date_inputs]
    # The checkbox group carries its error on the fieldset: there is no single field to mark.
    group = page.locator("fieldset:has(> .checkbox > input[name=domains])")
    described.append(["domains", group.get_attribute("aria-describedby") or ""])
    date_group = page.locator("fieldset.date-input").first
    described.append([birth_date, date_group.get_attribute("aria-describedby") or ""])
    for field_id, describedby in described:
        ids = describedby.split()
        assert f"{field_id}-error" in ids, (field_id, describedby)
        for described_id in ids:
            assert page.locator(f"[id='{described_id}']").count() == 1, (field_id, described_id)
        message = page.locator(f"[id='{field_id}-error']").inner_text().strip()
        assert message.removeprefix("Erreur :").strip(), field_id


def test_request_keeps_values_after_failed_submission(page, server):
    """A /demande refused for a missing consent shows everything as typed, and can then be sent."""
    page.goto(server.url("/demande"))
    fill_child(page, 0, FIRST_CHILD)
    fill_family(page)
    page.fill("#heard_from", "La directrice de l’école")
    submit(page, "Envoyer ma demande")

    assert page.title().startswith("Erreur"), page.title()
    hrefs = page.locator(".error-summary a").evaluate_all("links => links.map(a => a.hash)")
    assert hrefs == ["#consent"]
    typed = {
        **{f"#children-0-{name}": value for name, value in FIRST_CHILD.items()},
        **FAMILY,
        "#heard_from": "La directrice de l’école",
    }
    # Gathered rather than asserted one by one, so a single field re-shown differently
    # does not hide the others nor the second submission below.
    changed = [
        f"{selector}: typed {value!r}, shown {shown!r}"
        for selector, value in typed.items()
        if (shown := page.input_value(selector)) != value
    ]
    checked = page.locator("input[name=domains]:checked").evaluate_all(
        "boxes => boxes.map(box => box.value)"
    )
    assert sorted(checked) == sorted(DOMAINS)
    assert not page.is_checked("#consent")

    page.check("#consent")
    submit(page, "Envoyer ma demande")
    assert page.url == server.url("/confirmation")
    reference_on(page)
    assert not changed, "values not kept as typed:\n" + "\n".join(changed)


def test_accessibility_of_public_pages(page, server):
    """axe-core finds no WCAG 2.1 A/AA violation on the public pages, errors shown or not."""
    reports = []
    for path in ("/", "/orientation", "/demande", "/confidentialite", "/connexion"):
        page.goto(server.url(path))
        reports.append(axe_report(page, path))
    page.goto(server.url("/orientation"))
    submit(page, "Envoyer l’orientation")
    assert page.locator(".error-summary").count() == 1
    reports.append(axe_report(page, "/orientation with errors"))
    failures = [report for report in reports if report]
    assert not failures, "\n".join(failures)


# A child past the programme's ages and an address on a misspelt provider: both warned about.
OUT_OF_RANGE_CHILD = {**FIRST_CHILD, "birth_date-day": "1", "birth_date-month": "1"}
OUT_OF_RANGE_CHILD["birth_date-year"] = "2005"
MISSPELT_EMAIL = "sophie.lefebvre@gmial.com"


def fill_warned_request(page: Page) -> None:
    """Fill /demande whole, with a child too old for the programme and a misspelt address."""
    fill_child(page, 0, OUT_OF_RANGE_CHILD)
    fill_family(page)
    page.fill("#guardian_email", MISSPELT_EMAIL)
    page.check("#consent")


def test_check_button_shows_warnings_without_javascript_and_send_goes_through(browser, server):
    """Without JavaScript: "Vérifier ma demande" shows the warnings, stores nothing and keeps
    everything; the send goes through at once, and the confirmation repeats what was pointed
    out (the age, the domains) with how many children and their years."""
    context = new_context(browser, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(server.url("/demande"))
        fill_warned_request(page)
        submit(page, "Vérifier ma demande")

        assert page.url == server.url("/demande"), "checking does not send"
        assert page.title().startswith("À vérifier"), page.title()
        assert page.locator(".error-summary").count() == 0
        summary = page.locator(".warning-summary")
        expect(summary).to_contain_text("Vérifiez avant d’envoyer")
        expect(summary).to_contain_text("Le programme accompagne les enfants de 2 à 16 ans")
        expect(summary).to_contain_text("Vouliez-vous dire sophie.lefebvre@gmail.com ?")
        expect(page.locator("#children-0-birth_date-warning")).to_be_visible()
        expect(page.locator("#guardian_email-warning")).to_be_visible()
        assert_child(page, 0, OUT_OF_RANGE_CHILD)
        assert page.input_value("#guardian_email") == MISSPELT_EMAIL
        assert page.is_checked("#consent")
        with server.app.app_context():
            assert db.session.scalar(select(Referral)) is None

        submit(page, "Envoyer ma demande")
        assert page.url == server.url("/confirmation")
        reference = reference_on(page)
        main = page.locator("main")
        expect(main).to_contain_text("Votre demande concerne 1 enfant, né en 2005.")
        expect(main).to_contain_text(
            "Le programme accompagne les enfants de 2 à 16 ans : votre demande sera étudiée, "
            "et si besoin orientée vers un autre service."
        )
        expect(main).to_contain_text(
            "L’adresse e-mail indiquée se termine par @gmial.com : si vous vouliez écrire "
            "@gmail.com, appelez-nous au 03 21 00 00 00 pour la corriger."
        )
        assert "sophie" not in main.inner_text().casefold()
    finally:
        context.close()
    with server.app.app_context():
        referral = db.session.scalar(select(Referral).where(Referral.reference == reference))
        assert referral.guardian_email == MISSPELT_EMAIL
        assert referral.children[0].birth_date.isoformat() == "2005-01-01"


def test_a_warned_form_is_sent_at_once(page, server):
    """The send button never stops at a warning: one click, one referral, the confirmation,
    which axe finds clean with what it repeats for a second look."""
    page.goto(server.url("/demande"))
    fill_warned_request(page)
    submit(page, "Envoyer ma demande")
    assert page.url == server.url("/confirmation")
    reference_on(page)
    expect(page.locator("main")).to_contain_text("se termine par @gmial.com")
    report = axe_report(page, "/confirmation with what deserves a second look")
    assert report is None, report


def test_accessibility_with_warnings_and_a_wrong_date_part(page, server):
    """axe finds nothing with warnings shown (through the check button), nor with one wrong
    input of the date beside them, whose summary link moves focus to that very input."""
    reports = []
    page.goto(server.url("/demande"))
    fill_warned_request(page)
    submit(page, "Vérifier ma demande")
    expect(page.locator(".warning-summary")).to_be_visible()
    reports.append(axe_report(page, "/demande with warnings"))

    page.fill("#children-0-birth_date-day", "30")
    page.fill("#children-0-birth_date-month", "2")
    page.fill("#children-0-birth_date-year", "2016")
    submit(page, "Vérifier ma demande")
    message = page.locator("#children-0-birth_date-error")
    expect(message).to_contain_text("Le 30 février n’existe pas.")
    expect(page.locator("#guardian_email-warning")).to_be_visible()
    assert page.get_attribute("#children-0-birth_date-day", "aria-invalid") == "true"
    assert page.get_attribute("#children-0-birth_date-month", "aria-invalid") is None
    page.locator(".error-summary a").first.click()
    assert page.evaluate("document.activeElement.id") == "children-0-birth_date-day"
    reports.append(axe_report(page, "/demande with a wrong day and warnings"))
    failures = [report for report in reports if report]
    assert not failures, "\n".join(failures)


def test_accessibility_of_confirmation_and_staff_pages(page, server, users):
    """axe-core finds no WCAG 2.1 A/AA violation on the confirmation, the queue and a referral."""
    reference = send_orientation(page, server)
    reports = [axe_report(page, "/confirmation")]
    log_in(page, server, users["coordinator"])
    reports.append(axe_report(page, "/triage/"))
    open_referral(page, reference)
    reports.append(axe_report(page, f"/triage/{reference}"))
    failures = [report for report in reports if report]
    assert not failures, "\n".join(failures)


def test_no_content_security_policy_violation(page, server, users):
    """The strict CSP is sent and the pages break none of it (no inline style or script)."""
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    for path in ("/", "/orientation"):
        response = page.goto(server.url(path))
        assert "default-src 'self'" in response.headers["content-security-policy"], path
    reference = send_orientation(page, server)
    log_in(page, server, users["coordinator"])
    for path in ("/triage/", f"/triage/{reference}"):
        response = page.goto(server.url(path))
        assert "default-src 'self'" in response.headers["content-security-policy"], path
    violations = [text for text in messages if "Content Security Policy" in text]
    assert not violations, "\n".join(violations)

    # The listener does see a violation when there is one.
    with page.expect_console_message(lambda message: "Content Security Policy" in message.text):
        page.evaluate(
            "() => { const s = document.createElement('style');"
            " s.textContent = 'body { color: red }'; document.head.append(s); }"
        )


def test_phone_viewport_has_no_horizontal_scrolling(browser, server, users):
    """On a 360 px wide phone, the forms and the staff pages fit the screen's width."""
    context = new_context(browser, viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        overflows = []

        def check(label: str) -> None:
            result = page.evaluate(HORIZONTAL_OVERFLOW)
            if result["overflow"]:
                overflows.append(f"{label}: scrollWidth {result['scrollWidth']} > 360; {result}")

        page.goto(server.url("/orientation"))
        check("/orientation")
        submit(page, "Envoyer l’orientation")
        check("/orientation with errors")
        reference = send_orientation(page, server)
        log_in(page, server, users["coordinator"])
        check("/triage/")
        open_referral(page, reference)
        check(f"/triage/{reference}")
    finally:
        context.close()
    assert not overflows, "\n".join(overflows)


@pytest.mark.parametrize("path", ["/orientation", "/demande"])
def test_honeypot_is_hidden_from_people(page, server, path):
    """The `website` trap is off-screen, out of the tab order and out of the accessibility tree."""
    page.goto(server.url(path))
    trap = page.locator("input[name=website]")
    assert trap.count() == 1
    assert trap.get_attribute("tabindex") == "-1"
    box = trap.bounding_box()
    viewport = page.viewport_size
    off_screen = box is None or (
        box["x"] + box["width"] <= 0
        or box["y"] + box["height"] <= 0
        or box["x"] >= viewport["width"]
    )
    assert not trap.is_visible() or off_screen, box
    assert "Ne pas remplir" not in page.locator("main").aria_snapshot()

    # Tab through the whole form to its send button: the trap is never reached.
    focused = []
    for _ in range(150):
        page.keyboard.press("Tab")
        name = page.evaluate("document.activeElement.getAttribute('name')")
        focused.append(name)
        if name == "send":
            break
    assert "send" in focused, focused
    assert "website" not in focused


def test_skip_link_is_first_and_moves_focus_to_main(page, server):
    """The first Tab reaches a visible "Aller au contenu" link that moves focus to main."""
    page.goto(server.url("/orientation"))
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    expect(skip).to_have_text("Aller au contenu")
    assert skip.get_attribute("href") == "#contenu"
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, box

    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.tagName") == "MAIN"
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)"), (
        "the Tab after the skip link must stay in the main content"
    )


@pytest.mark.parametrize("path", ["/orientation", "/demande"])
def test_enter_in_a_text_field_sends_rather_than_adds_a_child(page, server, path):
    """Pressing Enter ("Go" on a phone) must not add an empty child to the form."""
    page.goto(server.url(path))
    page.fill("#guardian_name", "Sophie Martin")
    with next_document(page):
        page.press("#guardian_name", "Enter")
    # The form was sent (and refused for what is missing), not resized.
    expect(page.locator(".error-summary")).to_be_visible()
    assert page.locator("fieldset.child").count() == 1
    assert page.input_value("#guardian_name") == "Sophie Martin"


# How wide a select must be to show an option whole: a copy holding only that option, as wide
# as its content, measures the text, the arrow and the padding as Chromium draws them.
OPTION_FIT = """(select, value) => {
    const probe = select.cloneNode(false);
    probe.removeAttribute('id');
    probe.removeAttribute('name');
    probe.append([...select.options].find(option => option.value === value).cloneNode(true));
    probe.style.width = 'max-content';
    probe.style.maxWidth = 'none';
    select.after(probe);
    const needed = probe.getBoundingClientRect().width;
    probe.remove();
    return {needed, shown: select.getBoundingClientRect().width};
}"""


def test_school_choices_read_whole_on_a_phone(browser, server, tmp_path):
    """At 360 px, "other" and the placeholder show whole once chosen, the hint wraps, axe is
    content: a family must not guess at a cut-off "Autre, ou non sco…"."""
    context = new_context(browser, viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        page.goto(server.url("/orientation"))
        school = page.locator("#children-0-school")
        school.select_option("other")
        school.screenshot(path=tmp_path / "school-other-360.png")
        for value in ("other", ""):
            fit = school.evaluate(OPTION_FIT, value)
            # A measurement that measures something: the text alone takes over 100 px.
            assert 100 < fit["needed"] <= fit["shown"], (value, fit, tmp_path)
        hint = page.locator("#children-0-school-hint")
        box = hint.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, box
        assert hint.evaluate("el => el.scrollWidth <= el.clientWidth")
        report = axe_report(page, "/orientation at 360 px")
    finally:
        context.close()
    assert report is None, report


def test_a_reset_link_works_in_a_browser_over_https(page, server, users):
    """The printed link, opened over HTTPS with CSRF on and no Referer: the form passes axe,
    a mismatch is said next to its field, and the new password then logs in."""
    result = server.app.test_cli_runner().invoke(args=["users", "reset-link", users["coordinator"]])
    path = urlsplit(result.output.splitlines()[0]).path
    page.goto(server.url(path))
    reports = [axe_report(page, "reset link form")]
    page.fill("#password", "une toute nouvelle phrase")
    page.fill("#confirm", "une autre phrase encore")
    submit(page, "Enregistrer le mot de passe")
    assert "Les deux mots de passe sont différents" in page.inner_text("main")
    reports.append(axe_report(page, "reset link form with errors"))
    page.fill("#password", "une toute nouvelle phrase")
    page.fill("#confirm", "une toute nouvelle phrase")
    submit(page, "Enregistrer le mot de passe")
    assert page.url == server.url("/connexion")
    page.fill("#email", users["coordinator"])
    page.fill("#password", "une toute nouvelle phrase")
    submit(page, "Se connecter")
    assert page.url == server.url("/triage/")
    failures = [report for report in reports if report]
    assert not failures, "\n".join(failures)
