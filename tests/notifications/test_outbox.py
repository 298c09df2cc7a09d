"""The outbox: e-mails queued with the referral, delivered later by the worker, never lost.

What cannot be delivered, and stops, is tested in test_outbox_stop.py.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import socket
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import OperationalError

from intake.extensions import db
from intake.models import OutboxMessage, Referral, Source
from intake.notifications import worker
from intake.notifications.worker import DeliveryReport, backoff, deliver_due, pending_count, work
from intake.public.operations import create_referral
from tests.support.app import TEST_DATABASE_URL
from tests.support.builders import orientation
from tests.support.outbox import (
    COORDINATION,
    GUARDIAN_EMAIL,
    REFERRER_EMAIL,
    deliver,
    later,
    outbox,
    referral_data,
    submit,
)
from tests.support.smtp import ALLOWED_SMTP, SmtpSink

# Queueing ------------------------------------------------------------------------------------


def test_professional_referral_queues_one_alert_and_one_acknowledgement(make_app):
    app = make_app(INTAKE_NOTIFY="a@x.example, b@x.example ,COORDINATION@testville.example,")
    reference = submit(app)

    rows = outbox(app)
    assert [row["kind"] for row in rows] == ["coordinator_alert", "acknowledgement"]
    alert, ack = rows
    # The territory's notify first, then FLASK_INTAKE_NOTIFY's, each address once.
    assert alert["recipients"] == [COORDINATION, "a@x.example", "b@x.example"]
    assert ack["recipients"] == [REFERRER_EMAIL]
    with app.app_context():
        referral_id = db.session.scalar(select(Referral.id).where(Referral.reference == reference))
    for row in rows:
        assert row["referral_id"] == referral_id
        assert row["sent_at"] is None and row["attempts"] == 0 and row["last_error"] is None
        assert row["due_at"] <= datetime.now(UTC)


def test_parent_request_is_acknowledged_to_the_guardian(app):
    submit(app, Source.PARENT)
    assert [(row["kind"], row["recipients"]) for row in outbox(app)] == [
        ("coordinator_alert", [COORDINATION]),
        ("acknowledgement", [GUARDIAN_EMAIL]),
    ]


def test_parent_without_email_gets_no_acknowledgement(app):
    submit(app, Source.PARENT, guardian_email="")
    assert [row["kind"] for row in outbox(app)] == ["coordinator_alert"]


def test_outbox_rows_share_the_referral_transaction(app):
    with app.app_context():
        create_referral(
            Source.PROFESSIONAL, referral_data(Source.PROFESSIONAL), app.extensions["territory"]
        )
        db.session.flush()
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 2
        db.session.rollback()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Referral)) == 0
        assert pending_count() == 0


def test_form_submission_queues_mail_without_talking_to_smtp(app, client, smtp, monkeypatch):
    connections = []
    real_connect = smtplib.SMTP.connect

    def counting_connect(self, *args, **kwargs):
        connections.append(args)
        return real_connect(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "connect", counting_connect)
    # The family's address and the referrer's differ: three messages.
    form = orientation(guardian_email=GUARDIAN_EMAIL, referrer_email=REFERRER_EMAIL)

    response = client.post("/orientation", data=form)

    assert response.status_code == 303
    assert [row["kind"] for row in outbox(app)] == [
        "coordinator_alert",
        "acknowledgement",
        "family_acknowledgement",
    ]
    assert connections == [] and smtp.envelopes == []
    assert all(row["sent_at"] is None for row in outbox(app))


# Delivery ------------------------------------------------------------------------------------


def test_deliver_due_sends_text_and_html_to_the_smtp_server(app, smtp):
    reference = submit(app)

    report = deliver(app)

    assert report == DeliveryReport(sent=2, failed=0)
    assert [sorted(envelope.rcpt_tos) for envelope in smtp.envelopes] == [
        [COORDINATION],
        [REFERRER_EMAIL],
    ]
    assert {envelope.mail_from for envelope in smtp.envelopes} == {"pre@testville.example"}
    alert, ack = smtp.messages()
    assert alert["Subject"] == f"Nouvelle orientation {reference}"
    assert ack["Subject"] == f"Votre orientation au Programme de Réussite Éducative : {reference}"
    for message in (alert, ack):
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["Message-ID"].startswith("<outbox-")
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert reference in text and reference in html
        assert html.lstrip().startswith("<!doctype html>") and '<html lang="fr">' in html
    for row in outbox(app):
        assert row["sent_at"] is not None
        assert row["attempts"] == 1 and row["last_error"] is None
        assert row["last_attempt_at"] == row["sent_at"]
    with app.app_context():
        assert pending_count() == 0


def test_nothing_goes_out_twice(app, smtp):
    submit(app)
    assert deliver(app) == DeliveryReport(sent=2, failed=0)
    assert deliver(app, now=later(3600)) == DeliveryReport(sent=0, failed=0)
    assert len(smtp.envelopes) == 2


def test_an_idle_round_does_not_connect(app, monkeypatch):
    def no_connect(*args, **kwargs):
        pytest.fail("an empty queue must not open an SMTP connection")

    monkeypatch.setattr(smtplib.SMTP, "connect", no_connect)
    assert deliver(app) == DeliveryReport(sent=0, failed=0)


def test_limit_caps_one_round(app, smtp):
    submit(app)
    submit(app)
    assert deliver(app, limit=3) == DeliveryReport(sent=3, failed=0)
    with app.app_context():
        assert pending_count() == 1
    assert deliver(app) == DeliveryReport(sent=1, failed=0)


def test_messages_go_out_oldest_due_first(app, smtp):
    first = submit(app, Source.PARENT, guardian_email="")
    second = submit(app, Source.PARENT, guardian_email="")
    with app.app_context():
        # The first message failed earlier and is due again later than the second one.
        message = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
        message.due_at = later(10)
        db.session.commit()
    deliver(app, now=later(20))
    subjects = [message["Subject"] for message in smtp.messages()]
    assert subjects == [f"Nouvelle demande {second}", f"Nouvelle demande {first}"]


# Failures and retries ------------------------------------------------------------------------


def test_dead_server_is_recorded_on_every_due_message(app, caplog, monkeypatch):
    connects = []
    real_connect = smtplib.SMTP.connect

    def counting_connect(self, *args, **kwargs):
        connects.append(args)
        return real_connect(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "connect", counting_connect)
    submit(app)  # no smtp fixture: port 9 refuses
    now = datetime.now(UTC)

    with caplog.at_level(logging.WARNING):
        report = deliver(app, now=now)

    assert report == DeliveryReport(sent=0, failed=2)
    assert len(connects) == 1  # one refused connection, not one per message
    for row in outbox(app):
        assert row["sent_at"] is None
        assert row["attempts"] == 1
        assert row["last_attempt_at"] == now
        assert row["last_error"].startswith("ConnectionRefusedError")
        assert row["due_at"] == now + timedelta(seconds=60)
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert [record.getMessage().split(" not sent")[0] for record in warnings] == [
        f"outbox message {row['id']}" for row in outbox(app)
    ]
    for record in warnings:
        assert "@" not in record.getMessage()  # no address in the log


def test_failed_message_waits_for_its_backoff_then_goes_out_on_the_same_port(app, smtp):
    reference = submit(app)
    smtp.stop()
    now = datetime.now(UTC)

    assert deliver(app, now=now) == DeliveryReport(sent=0, failed=2)
    # Before due_at nothing is tried again, even with the server back.
    assert deliver(app, now=now + timedelta(seconds=59)) == DeliveryReport(sent=0, failed=0)
    assert {row["attempts"] for row in outbox(app)} == {1}

    revived = SmtpSink(port=smtp.port)
    revived.start()
    try:
        report = deliver(app, now=now + timedelta(seconds=61))
    finally:
        revived.stop()

    assert report == DeliveryReport(sent=2, failed=0)
    assert len(revived.envelopes) == 2
    assert reference in revived.messages()[0]["Subject"]
    for row in outbox(app):
        assert row["attempts"] == 2
        assert row["sent_at"] == now + timedelta(seconds=61)
        assert row["last_error"] is None


def test_repeated_failures_back_off_exponentially_until_the_attempts_cap(make_app):
    app = make_app(INTAKE_OUTBOX_MAX_ATTEMPTS=13)
    submit(app, Source.PARENT, guardian_email="")
    now = datetime.now(UTC)
    waits = []
    for _ in range(12):
        deliver(app, now=now)
        (row,) = outbox(app)
        assert row["stopped_at"] is None
        waits.append(int((row["due_at"] - now).total_seconds()))
        now = row["due_at"]
    assert waits == [60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 21600, 21600, 21600]
    (row,) = outbox(app)
    assert row["attempts"] == 12 and row["sent_at"] is None
    # The 13th temporary failure is the last: the message stops instead of waiting again.
    assert deliver(app, now=now) == DeliveryReport(sent=0, failed=1, stopped=1)
    (row,) = outbox(app)
    assert row["attempts"] == 13 and row["stopped_at"] == now and row["due_at"] == now


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [
        pytest.param(0, 60, id="never-tried-counts-as-first"),
        pytest.param(1, 60, id="first-failure"),
        pytest.param(2, 120, id="second"),
        pytest.param(3, 240, id="third"),
        pytest.param(8, 7680, id="eighth"),
        pytest.param(9, 15360, id="ninth-below-cap"),
        pytest.param(10, 21600, id="tenth-capped"),
        pytest.param(500, 21600, id="far-past-the-cap"),
    ],
)
def test_backoff(attempts, seconds):
    assert backoff(attempts, base=60, cap=21600) == timedelta(seconds=seconds)


class PickySink(SmtpSink):
    """An SMTP server that refuses one mailbox, as a real one refuses an unknown user."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.startswith("inconnu@"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_one_refused_message_does_not_stop_the_others(app):
    sink = PickySink()
    sink.start()
    app.extensions["mail"].port = sink.port
    try:
        submit(app, referrer_email="inconnu@ecole.example")
        submit(app)
        report = deliver(app)
    finally:
        sink.stop()
        ALLOWED_SMTP.discard(("127.0.0.1", sink.port))

    assert report == DeliveryReport(sent=3, failed=1, stopped=1)
    refused = [row for row in outbox(app) if row["sent_at"] is None]
    assert [row["recipients"] for row in refused] == [["inconnu@ecole.example"]]
    assert refused[0]["last_error"] == "address_refused: SMTPRecipientsRefused 550 5.1.1"
    assert len(sink.envelopes) == 3


def test_silent_server_times_out_instead_of_hanging(make_app):
    app = make_app(INTAKE_SMTP_TIMEOUT=0.3)
    with socket.socket() as listener:  # accepts connections, never says hello
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        ALLOWED_SMTP.add(("127.0.0.1", port))
        app.extensions["mail"].port = port
        try:
            submit(app, Source.PARENT, guardian_email="")
            started = time.monotonic()
            report = deliver(app)
            elapsed = time.monotonic() - started
        finally:
            ALLOWED_SMTP.discard(("127.0.0.1", port))
    assert report == DeliveryReport(sent=0, failed=1)
    assert elapsed < 5
    (row,) = outbox(app)
    assert row["last_error"].startswith("SMTPServerDisconnected")


def test_a_poison_message_stops_and_does_not_block_the_queue(app, smtp, caplog):
    submit(app)
    submit(app)
    with app.app_context():
        # A row Flask-Mail refuses outright (no recipient): a bug somewhere, not a server error.
        poison = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
        poison.recipients = []
        db.session.commit()
    with caplog.at_level(logging.DEBUG, logger="intake"):
        report = deliver(app)
    assert report == DeliveryReport(sent=3, failed=1, stopped=1)
    (stuck,) = [row for row in outbox(app) if row["sent_at"] is None]
    # Retrying would not heal a bug: the message stops at once, with an error of its own.
    assert stuck["attempts"] == 1 and stuck["stopped_at"] is not None
    assert stuck["last_error"].startswith("error: AssertionError")
    assert deliver(app, now=later(86400)) == DeliveryReport()
    # Noticed all the same, in one ERROR line; its traceback only for whoever asks for DEBUG.
    records = [record for record in caplog.records if record.name == "intake"]
    (error,) = [record for record in records if record.levelno >= logging.WARNING]
    assert error.levelno == logging.ERROR and error.exc_info is None
    assert error.getMessage() == (
        f"outbox message {stuck['id']} stopped after 1 attempt: permanent AssertionError"
    )
    assert [record.levelno for record in records if record.exc_info] == [logging.DEBUG]


# The command line ----------------------------------------------------------------------------


def test_outbox_send_delivers_and_prints_counts(app, runner, smtp):
    submit(app)
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "sent 2, failed 0, pending 0"
    assert len(smtp.envelopes) == 2


def test_outbox_send_with_nothing_due(app, runner):
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0
    assert result.output.strip() == "sent 0, failed 0, pending 0"


def test_outbox_send_exits_1_when_delivery_fails(app, runner):
    submit(app)  # no smtp fixture: port 9 refuses
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 1
    assert result.stdout.strip() == "sent 0, failed 2, pending 2"


def test_outbox_status(app, runner):
    submit(app)
    deliver(app)  # fails: port 9
    result = runner.invoke(args=["outbox", "status"])
    assert result.exit_code == 0
    assert "pending 2 (due now 0, retrying 2), sent 0" in result.output
    assert "oldest pending since" in result.output


def test_outbox_work_rejects_a_zero_poll(app, runner):
    result = runner.invoke(args=["outbox", "work", "--poll", "0"])
    assert result.exit_code == 2


# The long-running worker ---------------------------------------------------------------------


def run_worker(app, stop: threading.Event, poll: float = 0.05) -> threading.Thread:
    def target():
        with app.app_context():
            work(poll, stop=stop)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def wait_for(condition, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_worker_delivers_what_arrives_until_stopped(app, smtp):
    stop = threading.Event()
    thread = run_worker(app, stop)
    try:
        time.sleep(0.2)  # a few empty rounds first
        submit(app)
        assert wait_for(lambda: len(smtp.envelopes) == 2)
    finally:
        threading.Timer(0.1, stop.set).start()
        thread.join(timeout=5)
    assert not thread.is_alive()
    assert len(smtp.envelopes) == 2
    with app.app_context():
        assert pending_count() == 0


def test_worker_survives_a_database_error(app, smtp, monkeypatch, caplog):
    real_deliver_due = worker.deliver_due
    calls = []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) <= 2:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        return real_deliver_due(**kwargs)

    monkeypatch.setattr(worker, "deliver_due", flaky)
    submit(app)
    stop = threading.Event()
    with caplog.at_level(logging.WARNING):
        thread = run_worker(app, stop)
        try:
            assert wait_for(lambda: len(smtp.envelopes) == 2)
        finally:
            stop.set()
            thread.join(timeout=5)
    assert not thread.is_alive()
    assert len(calls) >= 3
    assert "database error" in caplog.text


def test_worker_keeps_retrying_while_the_server_is_down(app):
    submit(app, Source.PARENT, guardian_email="")
    stop = threading.Event()
    thread = run_worker(app, stop)
    try:
        assert wait_for(lambda: outbox(app)[0]["attempts"] == 1)
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
    (row,) = outbox(app)
    assert row["sent_at"] is None and row["attempts"] == 1  # the next try waits for the backoff


# Several workers side by side (PostgreSQL) -----------------------------------------------------


class SlowSink(SmtpSink):
    """An SMTP server slow enough for two workers to overlap."""

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        await asyncio.sleep(0.02)
        return await super().handle_DATA(server, session, envelope)


@pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgresql"),
    reason="row locks (SELECT … FOR UPDATE SKIP LOCKED) need PostgreSQL; SQLite runs one worker",
)
def test_two_workers_never_send_the_same_message_twice(app):
    sink = SlowSink()
    sink.start()
    app.extensions["mail"].port = sink.port
    try:
        for _ in range(15):
            submit(app)
        start = threading.Barrier(2)
        reports: list[DeliveryReport] = []

        def one_worker():
            with app.app_context():
                start.wait()
                reports.append(deliver_due())

        threads = [threading.Thread(target=one_worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        sink.stop()
        ALLOWED_SMTP.discard(("127.0.0.1", sink.port))

    assert sum(report.sent for report in reports) == 30
    assert sum(report.failed for report in reports) == 0
    message_ids = [message["Message-ID"] for message in sink.messages()]
    assert len(message_ids) == 30 == len(set(message_ids))
    assert all(row["attempts"] == 1 for row in outbox(app))


@pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgresql"),
    reason="cutting the worker's database connections needs PostgreSQL",
)
def test_worker_survives_its_database_connections_being_cut(smtp_port_app):
    name = f"outbox-test-{uuid.uuid4().hex[:8]}"
    app, sink = smtp_port_app(
        SQLALCHEMY_ENGINE_OPTIONS={
            "pool_pre_ping": True,
            "connect_args": {"application_name": name},
        }
    )
    stop = threading.Event()
    thread = run_worker(app, stop)
    admin = create_engine(TEST_DATABASE_URL)
    try:
        time.sleep(0.2)
        with admin.begin() as conn:  # what a database restart does to the worker's sessions
            killed = conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :name"
                ),
                {"name": name},
            ).all()
        assert killed
        submit(app)
        assert wait_for(lambda: len(sink.envelopes) == 2)
    finally:
        stop.set()
        thread.join(timeout=5)
        admin.dispose()
    assert not thread.is_alive()


@pytest.fixture
def smtp_port_app(make_app):
    """Build an app with `overrides` and a running SMTP server it sends to."""
    sinks = []

    def factory(**overrides):
        app = make_app(**overrides)
        sink = SmtpSink()
        sink.start()
        sinks.append(sink)
        app.extensions["mail"].port = sink.port
        return app, sink

    yield factory
    for sink in sinks:
        sink.stop()
        ALLOWED_SMTP.discard(("127.0.0.1", sink.port))
