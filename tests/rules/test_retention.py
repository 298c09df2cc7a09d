"""Retention: the pure rule, and `flask retention purge` on a real database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import Child, Note, OutboxMessage, Referral, StatusChange
from intake.rules.retention import is_expired, is_overdue, months_before
from tests.support.builders import make_referral

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (datetime(2026, 11, 27, tzinfo=UTC), 24, datetime(2024, 11, 27, tzinfo=UTC)),
        (datetime(2026, 3, 31, tzinfo=UTC), 1, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2024, 3, 31, tzinfo=UTC), 1, datetime(2024, 2, 29, tzinfo=UTC)),
        (datetime(2026, 1, 15, tzinfo=UTC), 1, datetime(2025, 12, 15, tzinfo=UTC)),
        (datetime(2026, 1, 15, tzinfo=UTC), 13, datetime(2024, 12, 15, tzinfo=UTC)),
    ],
    ids=["two-years", "end-of-march", "leap-february", "across-new-year", "thirteen-months"],
)
def test_months_before(moment, months, expected):
    assert months_before(moment, months) == expected


@pytest.mark.parametrize(
    ("status", "last_activity", "expected"),
    [
        ("closed", datetime(2024, 11, 27, 12, 0, tzinfo=UTC), True),
        ("closed", datetime(2024, 11, 27, 12, 1, tzinfo=UTC), False),
        ("declined", datetime(2020, 1, 1, tzinfo=UTC), True),
        ("withdrawn", datetime(2020, 1, 1, tzinfo=UTC), True),
        ("redirected", datetime(2020, 1, 1, tzinfo=UTC), True),
        ("accepted", datetime(2020, 1, 1, tzinfo=UTC), False),
        ("new", datetime(2020, 1, 1, tzinfo=UTC), False),
    ],
    ids=["closed-on-the-day", "closed-a-minute-later", "declined", "withdrawn", "redirected",
         "accepted-is-ongoing", "new-is-ongoing"],
)  # fmt: skip
def test_only_final_referrals_past_retention_expire(status, last_activity, expected):
    assert is_expired(status, last_activity, NOW, 24) is expected


@pytest.mark.parametrize(
    ("status", "received", "expected"),
    [
        # Paris days (UTC+1 in November): 20/11 at 23:59 in Paris is seven days before the
        # 27th, whatever the hour; 21/11 at 00:01 in Paris (still the 20th in UTC) is six.
        ("new", datetime(2026, 11, 20, 22, 59, tzinfo=UTC), True),
        ("new", datetime(2026, 11, 20, 23, 1, tzinfo=UTC), False),
        ("in_review", datetime(2026, 1, 1, tzinfo=UTC), False),
    ],
    ids=["new-for-7-paris-days", "new-for-6-paris-days", "already-in-review"],
)
def test_overdue_referrals_are_the_ones_still_new(status, received, expected):
    assert is_overdue(status, received, NOW, 7) is expected


def test_purge_deletes_expired_referrals_whole_and_only_them(app, runner):
    old = datetime(2023, 1, 10, tzinfo=UTC)
    expired = make_referral(app, received_at=old, status="declined")
    ongoing = make_referral(app, received_at=old, status="accepted")
    now = datetime.now(UTC)
    recent = make_referral(app, received_at=old, status="closed", last_activity_at=now)
    with app.app_context():
        referral = db.session.scalar(select(Referral).where(Referral.reference == expired))
        referral.notes.append(Note(text="Orientée vers le CMP.", at=old))
        db.session.commit()

    dry = runner.invoke(args=["retention", "purge", "--dry-run"])
    assert dry.exit_code == 0
    assert expired in dry.output and ongoing not in dry.output and recent not in dry.output
    assert "would delete 1" in dry.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Referral)) == 3

    result = runner.invoke(args=["retention", "purge"])
    assert result.exit_code == 0 and "deleted 1" in result.output
    with app.app_context():
        remaining = set(db.session.scalars(select(Referral.reference)))
        assert remaining == {ongoing, recent}
        # Its children, history and e-mails went with it.
        assert db.session.scalar(select(func.count()).select_from(Child)) == 2
        assert db.session.scalar(select(func.count()).select_from(StatusChange)) == 2
        assert db.session.scalar(select(func.count()).select_from(Note)) == 0
        referral_ids = set(db.session.scalars(select(OutboxMessage.referral_id)))
        assert None not in referral_ids and len(referral_ids) == 2
    assert "deleted 0" in runner.invoke(args=["retention", "purge"]).output


def test_queue_flags_referrals_left_new_too_long(app, coordinator):
    january = datetime(2026, 1, 5, tzinfo=UTC)
    waiting = make_referral(app, received_at=january, status="new")
    next_day = datetime(2026, 1, 6, tzinfo=UTC)
    handled = make_referral(app, received_at=january, status="in_review", last_activity_at=next_day)
    fresh = make_referral(app, status="new")
    html = coordinator.get("/triage/").get_data(as_text=True)
    rows = {ref: html.split(ref, 1)[1].split("</tr>", 1)[0] for ref in (waiting, handled, fresh)}
    assert "Nouvelle depuis plus de 7 jours" in rows[waiting]
    assert "Nouvelle depuis plus de" not in rows[handled]
    assert "Nouvelle depuis plus de" not in rows[fresh]
