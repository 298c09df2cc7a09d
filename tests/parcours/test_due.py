"""`parcours_due`: the open parcours whose next review has come, for the queue."""

from __future__ import annotations

from datetime import date

from intake.extensions import db
from intake.models import User
from intake.parcours.operations import add_review, parcours_due, record_exit
from intake.rules.parcours import Exit
from tests.support.app import post_change
from tests.support.builders import child, get_referral, make_referral

AGREEMENT = {"guardian_name": "Sophie Martin", "given_on": "2026-01-05", "method": "phone"}


def test_parcours_due_lists_open_parcours_whose_review_has_come(app, coordinator):
    reference = make_referral(app, children=[child("Ana"), child("Bo"), child("Cy"), child("Di")])
    assert post_change(coordinator, reference, "agreement", **AGREEMENT).status_code == 303
    for status in ("in_review", "eps", "accepted"):
        assert post_change(coordinator, reference, status=status).status_code == 303
    with app.test_request_context():
        user = db.session.scalar(db.select(User))
        referral = get_referral(reference)
        ana, bo, cy, di = (each.parcours for each in referral.children)
        held = date(2026, 1, 10)
        add_review(ana, user, held_on=held, kind="eps", next_on=date(2026, 3, 1))
        add_review(bo, user, held_on=held, kind="team", next_on=date(2026, 2, 1))
        # Planned after the day asked about: not due yet.
        add_review(cy, user, held_on=held, kind="team", next_on=date(2026, 3, 2))
        # Due, but its parcours has ended: nothing to review.
        add_review(di, user, held_on=held, kind="eps", next_on=date(2026, 2, 1))
        record_exit(di, user, Exit(ended_on=date(2026, 2, 15), reason="goals_met"), "")
        db.session.commit()

        due = db.session.scalars(parcours_due(date(2026, 3, 1))).all()
        assert [p.child.first_name for p in due] == ["Bo", "Ana"]  # the most overdue first
        assert db.session.scalars(parcours_due(date(2026, 1, 31))).all() == []
        # A review without a next date leaves nothing due.
        add_review(bo, user, held_on=date(2026, 2, 1), kind="eps", next_on=None)
        db.session.commit()
        assert [p.child.first_name for p in db.session.scalars(parcours_due(date(2026, 3, 1)))] == [
            "Ana"
        ]
