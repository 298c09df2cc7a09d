"""`flask outbox digest`: one message a day per account that chose it, for a fixed clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from intake.extensions import db
from intake.models import Agreement, OutboxMessage, Referral, User
from intake.notifications.digest import already_had_one_today, lacks_agreement
from tests.support.builders import make_user, store_referrals
from tests.support.outbox import COORDINATION, submit

# Monday 9 March 2026, 07:00 in Paris (UTC+1): when cron runs the digest.
NOW = datetime(2026, 3, 9, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("last", "now", "expected"),
    [
        pytest.param(None, NOW, False, id="never"),
        pytest.param(NOW - timedelta(minutes=5), NOW, True, id="five-minutes-ago"),
        pytest.param(NOW - timedelta(days=1), NOW, False, id="yesterday"),
        # 23:30 UTC on the 8th is 00:30 on the 9th in Paris: the same day there.
        pytest.param(datetime(2026, 3, 8, 23, 30, tzinfo=UTC), NOW, True, id="paris-midnight"),
        pytest.param(datetime(2026, 3, 8, 22, 59, tzinfo=UTC), NOW, False, id="paris-23h59"),
    ],
)
def test_one_digest_a_paris_day(last, now, expected):
    assert already_had_one_today(last, now) is expected


@pytest.mark.parametrize(
    ("status", "age_days", "has_agreement", "expected"),
    [
        pytest.param("new", 7, False, True, id="new-7-days"),
        pytest.param("new", 6, False, False, id="new-6-days"),
        pytest.param("in_review", 30, False, True, id="in-review"),
        pytest.param("eps", 30, True, False, id="agreement-recorded"),
        pytest.param("accepted", 30, False, True, id="accepted-agreement-withdrawn"),
        pytest.param("declined", 30, False, False, id="final"),
        pytest.param("closed", 30, False, False, id="closed"),
    ],
)
def test_a_missing_agreement_is_flagged_after_the_reminder_delay(
    status, age_days, has_agreement, expected
):
    received = NOW - timedelta(days=age_days, minutes=1)
    assert lacks_agreement(status, received, has_agreement, NOW, 7) is expected


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        # 23:30 in Paris on Monday 2 March (22:30 UTC): seven Paris days before the 9th,
        # though only 6 days and 7.5 hours have passed at 07:00 — the queue flags it too.
        pytest.param(
            datetime(2026, 3, 2, 22, 30, tzinfo=UTC), True, id="7-paris-days-late-evening"
        ),
        # 00:10 in Paris on Tuesday 3 March (23:10 UTC on the 2nd): six Paris days.
        pytest.param(
            datetime(2026, 3, 2, 23, 10, tzinfo=UTC), False, id="6-paris-days-after-midnight"
        ),
    ],
)
def test_the_digest_counts_waits_in_paris_days_as_the_queue_does(app, received, expected):
    """The digest's "still new" and "no agreement" lists count Paris calendar days, as the
    queue's "À relancer" does: a referral the queue flags since midnight is in the morning's
    digest."""
    from intake.notifications.digest import standing
    from intake.rules.retention import is_overdue

    [reference] = store_referrals(app, 1, start=received)
    with app.app_context():
        lists = standing(NOW, 7)
    assert (reference in lists.waiting) is expected
    assert (reference in lists.without_agreement) is expected
    assert is_overdue("new", received, NOW, 7) is expected
    assert lacks_agreement("new", received, False, NOW, 7) is expected


def set_referral(app, reference: str, **fields) -> None:
    with app.app_context():
        referral = db.session.scalar(select(Referral).where(Referral.reference == reference))
        for key, value in fields.items():
            if key == "agreement":
                referral.agreements.append(value)
            else:
                setattr(referral, key, value)
        db.session.commit()


def run_digest(app, moment: datetime) -> list[str]:
    with time_machine.travel(moment, tick=False):
        result = app.test_cli_runner().invoke(args=["outbox", "digest"])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def digests(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "digest").order_by(OutboxMessage.id)
        ).all()
        db.session.expunge_all()
        return rows


@pytest.fixture
def scene(app):
    """Referrals of various ages and states, and accounts with every choice."""
    old = submit(app, received_at=NOW - timedelta(days=10))  # new for 10 days, no agreement
    agreed = submit(app, received_at=NOW - timedelta(days=9))
    set_referral(
        app,
        agreed,
        status="in_review",
        agreement=Agreement(guardian_name="x", given_on=date(2026, 3, 1), method="phone"),
    )
    declined = submit(app, received_at=NOW - timedelta(days=8))
    set_referral(app, declined, status="declined")
    week = submit(app, received_at=NOW - timedelta(days=3))  # too recent for reminders
    yesterday = submit(app, received_at=NOW - timedelta(hours=20))
    # The declined referral's acknowledgement was refused for good.
    with app.app_context():
        message = db.session.scalars(
            select(OutboxMessage)
            .join(Referral, Referral.id == OutboxMessage.referral_id)
            .where(Referral.reference == declined, OutboxMessage.kind == "acknowledgement")
        ).one()
        message.stopped_at = NOW - timedelta(days=2)
        message.last_error = "address_refused: SMTPRecipientsRefused 550 5.1.1"
        db.session.commit()

    make_user(app, "first@testville.example", alerts="daily")  # never had one: the last 24 hours
    four_days_ago = NOW - timedelta(days=4)  # covers `week` and `yesterday`
    make_user(app, "since@testville.example", alerts="daily", last_digest_at=four_days_ago)
    make_user(app, "each@testville.example", alerts="each")
    make_user(app, "none@testville.example", alerts="none")
    make_user(app, "gone@testville.example", alerts="daily", active=False)
    return {
        "old": old,
        "agreed": agreed,
        "declined": declined,
        "week": week,
        "yesterday": yesterday,
    }


def test_each_daily_account_gets_one_digest_with_its_own_new_referrals(app, smtp, scene):
    output = run_digest(app, NOW)

    assert output == [
        "digest queued for first@testville.example: "
        "1 new, 1 waiting, 1 without agreement, 1 stopped",
        "digest queued for since@testville.example: "
        "2 new, 1 waiting, 1 without agreement, 1 stopped",
        "2 digests queued",
    ]
    with app.app_context():
        last = dict(db.session.execute(select(User.email, User.last_digest_at)).all())
    assert last["first@testville.example"] == NOW
    assert last["since@testville.example"] == NOW
    assert last["each@testville.example"] is None

    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    by_recipient = {
        tuple(env.rcpt_tos): message
        for env, message in zip(smtp.envelopes, smtp.messages(), strict=True)
        if message["Subject"].startswith("Récapitulatif")
    }
    assert set(by_recipient) == {("first@testville.example",), ("since@testville.example",)}

    first = by_recipient[("first@testville.example",)]
    assert first["Subject"] == "Récapitulatif du 09/03/2026 : 1 nouvelle orientation"
    text = first.get_body(("plain",)).get_content()
    assert "Nouvelles orientations depuis le 08/03/2026 à 07:00 : 1" in text
    assert f"- {scene['yesterday']}" in text and scene["week"] not in text
    assert f"Toujours « Nouvelle » après 7 jours : 1\r\n- {scene['old']}" in text
    assert (
        f"Sans accord des parents enregistré, reçues il y a 7 jours ou plus : 1\r\n- {scene['old']}"
    ) in text
    assert "Messages non distribués (envoi abandonné) : 1" in text
    assert f"- {scene['declined']} : accusé de réception" in text
    # Agreed or final referrals need nothing: the declined one is there for its e-mail only.
    assert scene["agreed"] not in text and text.count(scene["declined"]) == 1
    assert "https://pre.testville.example/triage/" in text
    html = first.get_body(("html",)).get_content()
    assert f'href="https://pre.testville.example/triage/{scene["old"]}"' in html

    since = by_recipient[("since@testville.example",)]
    assert since["Subject"] == "Récapitulatif du 09/03/2026 : 2 nouvelles orientations"
    text = since.get_body(("plain",)).get_content()
    assert f"- {scene['week']}\r\n- {scene['yesterday']}" in text


def test_a_second_run_the_same_day_sends_nothing_and_the_next_day_starts_over(app, scene):
    run_digest(app, NOW)
    assert run_digest(app, NOW + timedelta(hours=3)) == ["0 digests queued"]
    assert len(digests(app)) == 2

    # The next morning: nothing new since, but the reminders still stand.
    later = submit(app, received_at=NOW + timedelta(hours=5))
    output = run_digest(app, NOW + timedelta(days=1))
    assert output[-1] == "2 digests queued"
    assert all("1 new, 1 waiting" in line for line in output[:2])
    newest = digests(app)[-1]
    assert later in newest.body_text and scene["yesterday"] not in newest.body_text


def test_nothing_to_report_sends_nothing_and_keeps_the_window(app):
    make_user(app, "quiet@testville.example", alerts="daily")
    assert run_digest(app, NOW) == ["0 digests queued"]
    assert digests(app) == []
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "quiet@testville.example"))
        assert user.last_digest_at is None


def test_the_digest_is_delivered_by_the_outbox_not_by_the_command(app, smtp, scene):
    run_digest(app, NOW)
    assert smtp.envelopes == []
    (first, _since) = digests(app)
    assert first.referral_id is None and first.sent_at is None
    assert COORDINATION not in first.recipients


def test_a_long_digest_keeps_its_lines_short_enough_for_smtp(app, smtp):
    """SMTP servers refuse a line of over 998 characters (RFC 5321; the test server answers
    500): a backlog listed on one line of HTML stopped the digest for good, as refused."""
    store_referrals(app, 60, start=NOW - timedelta(days=30))
    make_user(app, "first@testville.example", alerts="daily")
    assert run_digest(app, NOW)[-1] == "1 digest queued"
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    (envelope,) = smtp.envelopes
    assert max(len(line) for line in envelope.original_content.splitlines()) <= 998
