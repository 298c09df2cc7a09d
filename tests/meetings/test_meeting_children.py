"""The EPS decides child by child: siblings on one agenda item, each with its decision,
the item waiting until every child before the EPS has one, the minutes saying each."""

from __future__ import annotations

from sqlalchemy import select

from intake.extensions import db
from intake.models import AgendaItem, Source
from tests.meetings.test_meetings import add, decide, item_id, text_of
from tests.support.app import post_change
from tests.support.builders import make_meeting
from tests.support.meetings import child, make_referral
from tests.triage.test_children import AGREEMENT


def siblings_on_agenda(app, coordinator) -> tuple[int, str]:
    reference = make_referral(
        app,
        children=[child("Inès", "Bouchareb"), child("Yanis", "Bouchareb", class_level="6e")],
        source=Source.PROFESSIONAL,
    )
    meeting = make_meeting(app)
    assert add(coordinator, meeting, reference).status_code == 303
    return meeting, reference


def children_statuses(app, reference: str) -> list[str]:
    with app.app_context():
        item = db.session.scalar(select(AgendaItem))
        return [c.status for c in item.referral.children], item.decision


def test_siblings_decided_apart_at_one_meeting(app, coordinator):
    meeting, reference = siblings_on_agenda(app, coordinator)
    # The agreement covers Inès only: accepting both is refused, nothing changes.
    assert (
        post_change(coordinator, reference, "agreement", children="1", **AGREEMENT).status_code
        == 303
    )
    refused = decide(coordinator, app, meeting, reference, status="accepted", minute="Les deux.")
    assert refused.status_code == 422
    assert "Enfant 2 :" in text_of(refused)
    assert children_statuses(app, reference) == (["eps", "eps"], None)

    answer = decide(
        coordinator, app, meeting, reference, status="accepted", children="1", minute="Pour Inès."
    )
    assert answer.status_code == 303
    # Yanis still waits: the same page again, for him.
    assert answer.headers["Location"].endswith("/decision")
    assert children_statuses(app, reference) == (["accepted", "eps"], None)
    page = text_of(coordinator.get(f"/triage/reunions/{meeting}"))
    assert "Inès B. : <strong>Parcours engagé</strong>" in page
    assert "Les autres enfants : à décider." in page

    # Only Yanis is left: no choice of children, Inès's decision listed; Inès is refused.
    form = text_of(coordinator.get(answer.headers["Location"]))
    assert 'name="children"' not in form
    assert "Inès B. : <strong>Parcours engagé</strong>" in form
    again = decide(
        coordinator,
        app,
        meeting,
        reference,
        status="declined",
        children="1",
        reason="age",
        minute="x",
    )
    assert again.status_code == 422
    answer = decide(
        coordinator,
        app,
        meeting,
        reference,
        status="redirected",
        reason="mainstream_service",
        service="clas",
        minute="Pour Yanis : le CLAS.",
    )
    assert answer.status_code == 303
    assert children_statuses(app, reference) == (["accepted", "redirected"], "mixed")
    page = text_of(coordinator.get(f"/triage/reunions/{meeting}"))
    assert "Yanis B. : <strong>Orientée vers un autre service</strong>" in page
    assert "Inès B. : <strong>Parcours engagé</strong>" in page
    # The minutes, one after the other; the print view says each child's decision.
    assert "Pour Inès.\nPour Yanis : le CLAS." in page
    printed = text_of(coordinator.get(f"/triage/reunions/{meeting}/ordre-du-jour"))
    assert "Yanis B. : <strong>Orientée vers un autre service</strong>" in printed
    with app.app_context():
        item = db.session.get(AgendaItem, item_id(app, meeting, reference))
        assert [(c.child.first_name, c.to_status) for c in item.decisions] == [
            ("Inès", "accepted"),
            ("Yanis", "redirected"),
        ]


def test_one_decision_for_both_siblings_is_theirs(app, coordinator):
    meeting, reference = siblings_on_agenda(app, coordinator)
    answer = decide(coordinator, app, meeting, reference, status="declined", reason="age")
    assert answer.status_code == 303
    assert children_statuses(app, reference) == (["declined", "declined"], "declined")
