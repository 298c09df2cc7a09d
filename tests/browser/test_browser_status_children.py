"""/suivi for siblings decided two ways, in a real browser: axe-core finds no WCAG 2.1 A/AA
violation on either reader's page, and each child's outcome reads in its list."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from intake.extensions import db
from intake.models import Source, User
from intake.tokens import make_status_token
from intake.triage.operations import change_status, record_agreement
from tests.support.browser import axe_report
from tests.support.builders import child, get_referral, make_referral, make_user


def test_the_status_page_of_siblings_decided_two_ways_is_accessible(page, server):
    app = server.app
    reference = make_referral(
        app,
        Source.PROFESSIONAL,
        children=[
            child("Inès", "Boukhari", birth_date=date(2017, 3, 12)),
            child("Yanis", "Boukhari", birth_date=date(2013, 10, 2), class_level="6e"),
        ],
    )
    make_user(app, "coord@testville.example")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "coord@testville.example"))
        referral = get_referral(reference)
        change_status(referral, "in_review", "", user)
        change_status(referral, "eps", "", user)
        change_status(
            referral,
            "redirected",
            "",
            user,
            children=[2],
            reason="mainstream_service",
            service="clas",
            share_reason=True,
        )
        record_agreement(
            referral,
            user,
            guardian_name="x",
            given_on=date(2026, 1, 5),
            method="phone",
            comment="",
            children=[1],
        )
        change_status(referral, "accepted", "", user, children=[1])
        db.session.commit()
        tokens = {
            audience: make_status_token(reference, audience) for audience in ("referrer", "family")
        }
    reports = []
    for audience, token in tokens.items():
        page.goto(server.url(f"/suivi/{token}"))
        items = page.locator("main ul.children-outcomes > li")
        assert items.count() == 2
        assert items.nth(0).inner_text().startswith("Enfant né en 2017 : accompagnement engagé")
        assert items.nth(1).inner_text().startswith("Enfant né en 2013 : orienté vers le CLAS")
        reports.append(axe_report(page, f"/suivi ({audience})"))
    failures = [report for report in reports if report]
    assert not failures, "\n".join(failures)
