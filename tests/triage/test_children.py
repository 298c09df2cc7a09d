"""Children one by one through the staff pages: a status each, `children` on the status and
agreement forms, the referral's status derived, an agreement per child, a parcours opened."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import AgreementChild, Parcours, StatusChange, User
from intake.models.referral import Source
from intake.parcours.operations import open_parcours
from intake.rules.clock import today
from tests.support.app import post_change
from tests.support.builders import child, get_referral, make_referral
from tests.support.pages import workbook_rows

AGREEMENT = {"guardian_name": "Sophie Martin", "given_on": "2026-01-05", "method": "phone"}


@pytest.fixture
def siblings(app, coordinator) -> str:
    """Inès and Yanis, referred together, the coordinator logged in."""
    return make_referral(
        app,
        Source.PROFESSIONAL,
        children=[child("Inès", "Boukhari"), child("Yanis", "Boukhari", class_level="6e")],
    )


def agree(client, reference: str, children: str) -> int:
    """Record an agreement for the children numbered `children`; the answer's status."""
    return post_change(client, reference, "agreement", children=children, **AGREEMENT).status_code


def statuses(app, reference: str) -> tuple[str, list[str]]:
    with app.app_context():
        referral = get_referral(reference)
        return referral.status, [each.status for each in referral.children]


def to_eps(client, reference: str) -> None:
    for status in ("in_review", "eps"):
        assert post_change(client, reference, status=status).status_code == 303


def test_a_move_without_children_moves_every_child_it_applies_to(app, coordinator, siblings):
    to_eps(coordinator, siblings)
    assert statuses(app, siblings) == ("eps", ["eps", "eps"])
    with app.app_context():
        changes = db.session.scalars(select(StatusChange).order_by(StatusChange.id)).all()
        # One change for each child at each step.
        assert [(c.child.first_name, c.to_status) for c in changes] == [
            ("Inès", "new"),
            ("Yanis", "new"),
            ("Inès", "in_review"),
            ("Yanis", "in_review"),
            ("Inès", "eps"),
            ("Yanis", "eps"),
        ]


def test_siblings_decided_two_ways(app, coordinator, siblings):
    to_eps(coordinator, siblings)
    assert (
        post_change(coordinator, siblings, "agreement", children="1", **AGREEMENT).status_code
        == 303
    )
    answer = post_change(
        coordinator,
        siblings,
        status="redirected",
        children="2",
        reason="mainstream_service",
        service="clas",
        confirm="y",
    )
    assert answer.status_code == 303
    # Yanis gone to the CLAS, Inès still before the EPS: the referral is where the least
    # advanced of them is.
    assert statuses(app, siblings) == ("eps", ["eps", "redirected"])
    assert post_change(coordinator, siblings, status="accepted").status_code == 303
    assert statuses(app, siblings) == ("accepted", ["accepted", "redirected"])
    with app.app_context():
        parcours = db.session.scalars(select(Parcours)).all()
        assert [p.child.first_name for p in parcours] == ["Inès"]
    page = coordinator.get(f"/triage/{siblings}").get_data(as_text=True)
    assert "Enfant 1 :" in page and "Enfant 2 :" in page
    assert "Inès, Yanis :" in page  # the steps made for both, said once
    # The spreadsheet: a row per child, each with its own status, decision and parcours.
    header, *rows = workbook_rows(coordinator)
    ines, yanis = (dict(zip(header, row, strict=True)) for row in rows)
    assert ines["Statut"] == yanis["Statut"] == "Parcours engagé"
    assert ines["Statut de l’enfant"] == ines["Décision"] == "Parcours engagé"
    assert ines["Entrée en parcours"] is not None and ines["Service vers lequel orienter"] is None
    assert yanis["Statut de l’enfant"] == "Orientée vers un autre service"
    assert yanis["Service vers lequel orienter"].endswith("(CLAS)")
    assert yanis["Motif"] == "Besoins mieux couverts par un service de droit commun"
    assert yanis["Entrée en parcours"] is None


def test_accepted_is_refused_for_a_child_without_agreement(app, coordinator, siblings):
    to_eps(coordinator, siblings)
    assert (
        post_change(coordinator, siblings, "agreement", children="1", **AGREEMENT).status_code
        == 303
    )
    before = statuses(app, siblings)
    refused = post_change(coordinator, siblings, status="accepted", children=["1", "2"])
    assert refused.status_code == 422
    assert "Enfant 2 :" in refused.get_data(as_text=True)
    assert "accord" in refused.get_data(as_text=True)
    assert statuses(app, siblings) == before
    # Without `children`, the move is for both, and refused the same way.
    assert post_change(coordinator, siblings, status="accepted").status_code == 422
    assert statuses(app, siblings) == before
    assert post_change(coordinator, siblings, status="accepted", children="1").status_code == 303
    assert statuses(app, siblings) == ("eps", ["accepted", "eps"])


def test_an_agreement_covers_the_children_ticked(app, coordinator, siblings):
    assert (
        post_change(coordinator, siblings, "agreement", children="2", **AGREEMENT).status_code
        == 303
    )
    with app.app_context():
        referral = get_referral(siblings)
        assert [each.has_agreement for each in referral.children] == [False, True]
    # None ticked: all of them.
    assert post_change(coordinator, siblings, "agreement", **AGREEMENT).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AgreementChild)) == 3


@pytest.mark.parametrize("children", ["3", "0", "x", "\u0661", "²"])
def test_a_child_that_does_not_exist_is_refused_and_changes_nothing(
    app, coordinator, siblings, children
):
    before = statuses(app, siblings)
    answer = post_change(coordinator, siblings, status="in_review", children=children)
    assert answer.status_code == 422
    assert "Choisissez les enfants parmi ceux du dossier." in answer.get_data(as_text=True)
    assert statuses(app, siblings) == before
    answer = post_change(coordinator, siblings, "agreement", children=children, **AGREEMENT)
    assert answer.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AgreementChild)) == 0


def test_withdrawing_for_one_child_ends_its_parcours_only(app, coordinator, siblings):
    to_eps(coordinator, siblings)
    assert post_change(coordinator, siblings, "agreement", **AGREEMENT).status_code == 303
    assert post_change(coordinator, siblings, status="accepted").status_code == 303
    assert statuses(app, siblings) == ("accepted", ["accepted", "accepted"])
    with app.app_context():
        agreement_id = get_referral(siblings).agreements[0].id
    withdraw_for_yanis = partial(
        post_change,
        coordinator,
        siblings,
        f"agreement/{agreement_id}/withdraw",
        withdrawn_on=today().isoformat(),
        children="2",
    )
    assert withdraw_for_yanis().status_code == 303
    assert statuses(app, siblings) == ("accepted", ["accepted", "closed"])
    with app.app_context():
        referral = get_referral(siblings)
        agreement = referral.agreements[0]
        # Still standing for Inès: not withdrawn as a whole.
        assert agreement.withdrawn_on is None
        ended = referral.children[1].parcours
        assert (ended.exit_reason, ended.ended_on) == ("family_ended", today())
        assert referral.children[0].parcours.ended_on is None
    # Withdrawn again for Yanis: refused, nothing left to withdraw for him.
    again = withdraw_for_yanis()
    assert again.status_code == 422
    assert "déjà retiré" in again.get_data(as_text=True)


def test_a_single_child_referral_works_as_before(app, coordinator):
    reference = make_referral(app, Source.PARENT)
    to_eps(coordinator, reference)
    assert post_change(coordinator, reference, "agreement", **AGREEMENT).status_code == 303
    assert post_change(coordinator, reference, status="accepted").status_code == 303
    assert statuses(app, reference) == ("accepted", ["accepted"])
    page = coordinator.get(f"/triage/{reference}").get_data(as_text=True)
    # No choice of children where there is one.
    assert 'name="children"' not in page


def test_the_queue_shows_parcours_due_for_review(app, coordinator):
    """`review=due`: a child's parcours under way whose review date has come; not one
    reviewed later, nor one that has ended."""
    due, later, ended, none = (
        make_referral(app, Source.PARENT, status="accepted") for _ in range(4)
    )
    user = coordinator_account(app)
    with app.app_context():
        for reference, next_on, ended_on in (
            (due, today() - timedelta(days=1), None),
            (later, today() + timedelta(days=30), None),
            (ended, today() - timedelta(days=1), today()),
        ):
            parcours = open_parcours(get_referral(reference).children[0], user, today())
            parcours.next_review_on = next_on
            parcours.ended_on = ended_on
        db.session.commit()
    html = coordinator.get("/triage/?review=due").get_data(as_text=True)
    assert due in html
    assert not any(reference in html for reference in (later, ended, none))
    # Kept by the other links of the page (a tab, an export).
    assert "review=due" in html.split('class="tabs"', 1)[1].split("</nav>", 1)[0]


def coordinator_account(app) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.role == "coordinator"))
        db.session.expunge(user)
        return user
