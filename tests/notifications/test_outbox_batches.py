"""The worker at scale: e-mails written when sent, batches claimed under a lease, no
transaction open while the SMTP server is spoken to, a thousand messages drained in one go.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import threading
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, event, select, text, update

from intake.extensions import db
from intake.models import OutboxMessage, Referral, Source
from intake.notifications import commands, smtp, worker
from intake.notifications.render import render_message
from intake.notifications.worker import DeliveryReport, claim_batch
from intake.rules.mail import StopReason, reason_label, stop_reason
from tests.support.app import TEST_DATABASE_URL
from tests.support.outbox import (
    CHILD,
    COORDINATION,
    GUARDIAN_EMAIL,
    PROFESSIONAL,
    REFERRER_EMAIL,
    SHARED,
    decide,
    deliver,
    outbox,
    submit,
)
from tests.support.smtp import ALLOWED_SMTP, SmtpSink, serving

BASE_URL = "https://pre.testville.example"
LEASE = 300
PERSONAL = [
    CHILD["first_name"],
    CHILD["last_name"],
    SHARED["guardian_name"],
    SHARED["address"],
    SHARED["situation"],
    PROFESSIONAL["referrer_name"],
    PROFESSIONAL["referrer_organisation"],
]


def parts(message) -> dict[str, str]:
    return {
        "subject": str(message["Subject"]),
        "text": message.get_body(("plain",)).get_content(),
        "html": message.get_body(("html",)).get_content(),
    }


# Written by the worker -----------------------------------------------------------------------


def test_a_submission_writes_rows_only_and_the_worker_writes_the_emails(app, smtp):
    reference = submit(app, guardian_email=GUARDIAN_EMAIL)

    rows = outbox(app)
    assert [row["kind"] for row in rows] == [
        "coordinator_alert",
        "acknowledgement",
        "family_acknowledgement",
    ]
    for row in rows:
        # Nothing was rendered in the request: kind, recipients and referral say it all.
        assert row["subject"] is None and row["body_text"] is None and row["body_html"] is None
        assert row["context"] is None and row["referral_id"] is not None

    assert deliver(app) == DeliveryReport(sent=3, failed=0)

    emails = {
        env.rcpt_tos[0]: parts(msg)
        for env, msg in zip(smtp.envelopes, smtp.messages(), strict=True)
    }
    assert emails[COORDINATION]["subject"] == f"Nouvelle orientation {reference}"
    assert emails[REFERRER_EMAIL]["subject"] == (
        f"Votre orientation au Programme de Réussite Éducative : {reference}"
    )
    assert emails[GUARDIAN_EMAIL]["subject"] == (
        f"Programme de Réussite Éducative : une demande pour votre enfant ({reference})"
    )
    assert f"{BASE_URL}/triage/{reference}" in emails[COORDINATION]["text"]
    for address in (REFERRER_EMAIL, GUARDIAN_EMAIL):
        # A signed status link, made when the worker writes the message.
        # It opens the page in the language the message is written in.
        (link,) = re.findall(
            rf"{re.escape(BASE_URL)}/suivi/[\w.-]+\?lang=fr", emails[address]["text"]
        )
        assert f'href="{link}"' in emails[address]["html"]
    for email in emails.values():
        assert "\n" not in email["subject"]
        for part in email.values():
            assert reference in part
            for secret in PERSONAL:
                assert secret.lower() not in part.lower(), secret
    # The rows stay as they were written: what went out is not stored a second time.
    assert all(row["body_text"] is None for row in outbox(app))


def test_a_decision_notice_records_the_public_outcome_only(app, smtp):
    reference = submit(app, Source.PARENT)
    decide(app, reference, "declined", reason="unreachable", share_reason=False)

    (row,) = [row for row in outbox(app) if row["kind"].startswith("decision")]
    assert row["kind"] == "decision_declined" and row["body_text"] is None
    # What the family may read, as codes: the kept reason is not even stored.
    assert row["context"]["outcome"]["status"] == "declined"
    assert row["context"]["outcome"]["reason"] is None
    assert row["context"]["outcome"]["service"] is None
    assert "Commentaire" not in str(row["context"])

    deliver(app)
    (notice,) = [m for m in smtp.messages() if m["Subject"].startswith("Décision")]
    text_part = parts(notice)["text"]
    assert "Décision : Non retenue par le programme" in text_part
    assert "Raison" not in text_part and "Quenouille" not in text_part
    assert f"{BASE_URL}/suivi/" in text_part


def test_render_message_is_what_the_worker_sends(app, smtp):
    """Tests that read a queued message's content can render the row as the worker does."""
    submit(app)
    with app.app_context():
        alert = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
        rendered = render_message(alert, app.config)
    deliver(app)
    assert rendered.subject == smtp.messages()[0]["Subject"]
    # SMTP carries CRLF line ends; the text is the same.
    assert rendered.text.splitlines() == parts(smtp.messages()[0])["text"].splitlines()


def wire_bytes(mail, monkeypatch) -> bytes:
    """`mail` as the worker writes it, with the same boundaries and date every time."""
    counter = iter(range(1000))
    monkeypatch.setattr(smtp, "boundary", lambda: f"=_bound{next(counter)}")
    mail.date = 1_790_000_000
    return mail.as_bytes()


def test_the_wire_policy_writes_what_compat32_writes(app, monkeypatch):
    """The worker's shortcut for headers that fit on their line changes no byte: every
    e-mail of a referral (French subjects, long ones, names in addresses) comes out as the
    email package's own compat32 policy writes it."""
    submit(app)
    submit(app, source=Source.PARENT)
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        mails = [smtp.to_mail(row, app.config) for row in rows]
        mails[0].subject = "Une orientation très longue : " + "é" * 120
        mails[1].extra_headers["X-Long"] = "a " * 60
        assert len(mails) >= 4
        compat32 = smtp.policy.compat32.clone(linesep="\r\n")
        for mail in mails:
            ours = wire_bytes(mail, monkeypatch)
            with monkeypatch.context() as plain:
                plain.setattr(smtp, "WIRE_POLICY", compat32)
                reference = wire_bytes(mail, monkeypatch)
            assert ours == reference
            assert b'boundary="=_bound0"' in ours and b"Subject: " in ours


def test_a_message_whose_referral_was_purged_stops_at_once(app, smtp, caplog, runner):
    reference = submit(app)
    with app.app_context():
        # What a retention purge racing the worker leaves: rows without their referral.
        referral = db.session.scalar(select(Referral).where(Referral.reference == reference))
        db.session.execute(update(OutboxMessage).values(referral_id=None))
        db.session.delete(referral)
        db.session.commit()
    now = datetime.now(UTC)
    caplog.clear()

    with caplog.at_level(logging.INFO, logger="intake"):
        report = deliver(app, now=now)

    assert report == DeliveryReport(sent=0, failed=2, stopped=2)
    assert smtp.envelopes == []  # nothing to write, nothing to send: not even a connection
    for row in outbox(app):
        assert row["stopped_at"] == now and row["sent_at"] is None
        assert stop_reason(row["last_error"]) is StopReason.REFERRAL_GONE
        assert reason_label(row["last_error"]) == "demande supprimée avant l’envoi"
    lines = [r.getMessage() for r in caplog.records if r.name == "intake"]
    assert lines == [
        f"outbox message {row['id']} stopped after 1 attempt: "
        "its referral was deleted before it could be written"
        for row in outbox(app)
    ]
    assert deliver(app, now=now + timedelta(days=1)) == DeliveryReport()
    status = runner.invoke(args=["outbox", "status"])
    assert "referral_gone" in status.output and "@" not in status.output


# Claims and leases ---------------------------------------------------------------------------


def test_messages_claimed_by_a_worker_that_died_wait_for_the_lease(app, smtp, monkeypatch):
    submit(app)
    now = datetime.now(UTC)
    real_record_success = worker.record_success

    def die_once(message, when, due_at):
        # Killed after the server accepted the first message, before its commit.
        monkeypatch.setattr(worker, "record_success", real_record_success)
        raise SystemExit("killed")

    monkeypatch.setattr(worker, "record_success", die_once)
    with pytest.raises(SystemExit):
        deliver(app, now=now)
    assert len(smtp.envelopes) == 1
    assert all(row["sent_at"] is None and row["attempts"] == 0 for row in outbox(app))

    # Still leased: no other round takes them, however many run.
    later = now + timedelta(seconds=LEASE - 1)
    assert deliver(app, now=later) == DeliveryReport()
    assert len(smtp.envelopes) == 1

    # The lease over, both go out; the first a second time, with the same Message-ID.
    assert deliver(app, now=now + timedelta(seconds=LEASE)) == DeliveryReport(sent=2)
    ids = [message["Message-ID"] for message in smtp.messages()]
    assert len(ids) == 3 and ids[0] == ids[1] != ids[2]
    assert all(row["sent_at"] is not None and row["attempts"] == 1 for row in outbox(app))


def test_each_sent_message_is_one_update_of_its_row(app, smtp):
    """A sent message's row gets its mark, its attempt and its due_at back from before the
    claim, in one UPDATE of its own (worker.MARK_SENT, which writes the row, not the loaded
    object)."""
    submit(app)
    before = {row["id"]: row["due_at"] for row in outbox(app)}
    now = datetime.now(UTC)
    updates: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        if statement.lstrip().upper().startswith("UPDATE OUTBOX_MESSAGE"):
            updates.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert deliver(app, now=now) == DeliveryReport(sent=len(before))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    # The claim's UPDATE of the batch, then one a message.
    assert len(before) >= 2 and len(updates) == 1 + len(before), updates
    for row in outbox(app):
        assert row["sent_at"] == now and row["last_attempt_at"] == now
        assert row["attempts"] == 1 and row["last_error"] is None
        assert row["due_at"] == before[row["id"]]
    assert len(smtp.envelopes) == len(before)


def test_a_claim_takes_the_oldest_due_and_keeps_them_from_the_next_claim(app):
    submit(app)
    submit(app)
    now = datetime.now(UTC)
    lease = timedelta(seconds=LEASE)
    with app.app_context():
        first = claim_batch(now, 3, lease)
        second = claim_batch(now, 3, lease)
        third = claim_batch(now, 3, lease)
    rows = outbox(app)
    assert list(first) == [row["id"] for row in rows[:3]]
    assert list(second) == [rows[3]["id"]]
    assert third == {}
    assert all(row["due_at"] == now + lease for row in rows)
    # What a claim returns is the due_at before the lease, to put back on release.
    assert all(due_at <= now for due_at in {**first, **second}.values())


def test_a_stopping_worker_gives_back_what_it_did_not_send(app):
    stop = threading.Event()

    class StoppingSink(SmtpSink):
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            stop.set()  # SIGTERM arrives while the first message is being sent
            return await super().handle_DATA(server, session, envelope)

    with serving(app, StoppingSink()) as sink:
        submit(app)
        submit(app)
        now = datetime.now(UTC)
        assert deliver(app, now=now, stop=stop) == DeliveryReport(sent=1)
        # The others are due at once again, not after the lease.
        assert all(row["due_at"] <= now for row in outbox(app) if row["sent_at"] is None)
        assert deliver(app, now=now) == DeliveryReport(sent=3)
    assert len(sink.envelopes) == 4


# No transaction across SMTP ------------------------------------------------------------------


class WatchingSink(SmtpSink):
    """An SMTP server that looks at the database while each message's data arrives."""

    def __init__(self, engine, admin=None, application_name: str = "") -> None:
        super().__init__()
        self.engine = engine
        self.admin = admin
        self.application_name = application_name
        self.checked_out: list[int] = []
        self.states: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        # Connections the worker's engine has handed out and not got back: a session in a
        # transaction holds one.
        self.checked_out.append(self.engine.pool.checkedout())
        if self.admin is not None:
            with self.admin.connect() as conn:
                self.states.append(
                    list(
                        conn.scalars(
                            text(
                                "SELECT state FROM pg_stat_activity WHERE application_name = :name"
                            ),
                            {"name": self.application_name},
                        )
                    )
                )
        await asyncio.sleep(0.02)  # a slow server: a transaction left open would show
        return await super().handle_DATA(server, session, envelope)


def test_no_transaction_is_open_while_a_message_is_sent(make_app):
    postgres = TEST_DATABASE_URL.startswith("postgresql")
    name = f"outbox-test-{uuid.uuid4().hex[:8]}"
    overrides = {}
    if postgres:
        overrides["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"application_name": name}}
    app = make_app(**overrides)
    with app.app_context():
        engine = db.engine
    admin = create_engine(TEST_DATABASE_URL) if postgres else None
    try:
        with serving(app, WatchingSink(engine, admin, name)) as sink:
            submit(app)
            submit(app, guardian_email=GUARDIAN_EMAIL)
            assert deliver(app) == DeliveryReport(sent=5)
    finally:
        if admin is not None:
            admin.dispose()
    assert sink.checked_out == [0] * 5
    if postgres:
        assert len(sink.states) == 5
        for states in sink.states:
            # The worker's connection is there, back in its pool, and not in a transaction.
            assert states and all(state == "idle" for state in states), states


# Draining a long queue -----------------------------------------------------------------------


class CountingSink(SmtpSink):
    """An SMTP server that counts the connections messages arrived on."""

    def __init__(self) -> None:
        super().__init__()
        self.sessions: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if not any(known is session for known in self.sessions):
            self.sessions.append(session)
        return await super().handle_DATA(server, session, envelope)


def test_outbox_send_drains_a_thousand_messages_once_each(app, runner):
    total = 1000
    submit(app)
    submit(app, Source.PARENT)
    with app.app_context():
        referrals = list(db.session.scalars(select(Referral).order_by(Referral.id)))
        queued = len(outbox(app))
        db.session.add_all(
            OutboxMessage(
                kind="acknowledgement",
                recipients=[f"parent{number}@example.net"],
                referral=referrals[number % 2],
            )
            for number in range(total - queued)
        )
        db.session.commit()

    sink = CountingSink()
    with serving(app, sink):
        result = runner.invoke(args=["outbox", "send"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"sent {total}, failed 0, pending 0"
    recipients = Counter(address for env in sink.envelopes for address in env.rcpt_tos)
    message_ids = Counter(message["Message-ID"] for message in sink.messages())
    assert len(sink.envelopes) == total == len(message_ids)
    assert set(message_ids.values()) == {1}
    assert recipients[COORDINATION] == 2
    assert all(count == 1 for address, count in recipients.items() if address != COORDINATION)
    # One connection per round of `outbox send`, carrying every batch claimed in it.
    assert len(sink.sessions) == math.ceil(total / commands.BATCH)
    assert all(row["sent_at"] is not None and row["attempts"] == 1 for row in outbox(app))
    ALLOWED_SMTP.discard(("127.0.0.1", sink.port))
