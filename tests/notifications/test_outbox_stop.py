"""E-mail that cannot be sent: which failures stop a message, and how a stop is seen and undone."""

from __future__ import annotations

import errno
import logging
import smtplib
import ssl
from datetime import UTC, datetime, timedelta

import pytest
from flask_mail import BadHeaderError
from sqlalchemy import event, select

from intake.extensions import db
from intake.models import OutboxMessage, Referral, Source
from intake.notifications.failures import classify, describe
from intake.notifications.worker import DeliveryReport, pending_count
from intake.rules import vocabulary as vocab
from intake.rules.mail import StopReason, kind_label, reason_label, stop_reason
from tests.support.outbox import deliver, later, outbox, submit
from tests.support.smtp import SmtpSink, serving

UNKNOWN = "inconnu@ecole.example"
BUSY = "occupe@ecole.example"
CLOSING = "ferme@ecole.example"
NON_ASCII = "françois@ecole.example"
MAX_ATTEMPTS = 3


@pytest.fixture
def app(make_app):
    """The application, with a small attempts cap so tests reach it in a few rounds."""
    return make_app(INTAKE_OUTBOX_MAX_ATTEMPTS=MAX_ATTEMPTS)


class RefusingSink(SmtpSink):
    """A real SMTP server answering chosen recipients as a real one refuses or defers them."""

    def __init__(self, replies: dict[str, str], port: int | None = None) -> None:
        super().__init__(port)
        self.replies = dict(replies)
        self.rcpt_attempts: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        self.rcpt_attempts.append(address)
        if address in self.replies:
            return self.replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def sink(app):
    """A running RefusingSink: UNKNOWN gets a 550, BUSY a 451, CLOSING a 421; the rest 250."""
    replies = {
        UNKNOWN: "550 5.1.1 No such user",
        BUSY: "451 4.3.0 Try later",
        CLOSING: "421 4.3.2 Closing",
    }
    with serving(app, RefusingSink(replies)) as server:
        yield server


def intake_records(caplog) -> list[logging.LogRecord]:
    """What the application logged (aiosmtpd logs too, about its own sessions)."""
    return [record for record in caplog.records if record.name == "intake"]


def acknowledgement(app) -> dict:
    (row,) = [row for row in outbox(app) if row["kind"] == "acknowledgement"]
    return row


# Classification ------------------------------------------------------------------------------


def refused(*codes: int) -> smtplib.SMTPRecipientsRefused:
    return smtplib.SMTPRecipientsRefused(
        {f"r{i}@x.example": (code, b"x") for i, code in enumerate(codes)}
    )


@pytest.mark.parametrize(
    ("error", "connecting", "expected"),
    [
        # The message's own fault: stop at once.
        pytest.param(
            UnicodeEncodeError("ascii", "françois", 3, 4, "ordinal not in range(128)"),
            False,
            StopReason.ADDRESS_UNUSABLE,
            id="non-ascii-address",
        ),
        pytest.param(
            UnicodeDecodeError("ascii", b"\xe7", 0, 1, "x"),
            False,
            StopReason.ADDRESS_UNUSABLE,
            id="any-unicode-error",
        ),
        pytest.param(BadHeaderError(), False, StopReason.ADDRESS_UNUSABLE, id="bad-header"),
        pytest.param(refused(550), False, StopReason.ADDRESS_REFUSED, id="rcpt-550"),
        pytest.param(refused(550, 553), False, StopReason.ADDRESS_REFUSED, id="rcpt-all-5xx"),
        pytest.param(
            smtplib.SMTPSenderRefused(553, b"5.7.1 no", "pre@x.example"),
            False,
            StopReason.MESSAGE_REFUSED,
            id="sender-553",
        ),
        pytest.param(
            smtplib.SMTPDataError(554, b"5.7.1 spam"),
            False,
            StopReason.MESSAGE_REFUSED,
            id="data-554",
        ),
        pytest.param(
            smtplib.SMTPResponseException(500, b"what?"),
            False,
            StopReason.MESSAGE_REFUSED,
            id="other-reply-500",
        ),
        pytest.param(AssertionError("No recipients"), False, StopReason.ERROR, id="bug"),
        pytest.param(KeyError("kind"), False, StopReason.ERROR, id="another-bug"),
        pytest.param(
            smtplib.SMTPNotSupportedError("SMTPUTF8 not supported"),
            False,
            StopReason.ERROR,
            id="smtp-extension-missing",
        ),
        # The server or the network: try again later.
        pytest.param(refused(450), False, None, id="rcpt-450"),
        pytest.param(refused(550, 451), False, None, id="rcpt-one-4xx-among-5xx"),
        pytest.param(refused(421), False, None, id="rcpt-421-closing"),
        pytest.param(
            smtplib.SMTPSenderRefused(451, b"4.3.0 later", "pre@x.example"),
            False,
            None,
            id="sender-451",
        ),
        pytest.param(smtplib.SMTPDataError(452, b"4.3.1 full"), False, None, id="data-452"),
        pytest.param(smtplib.SMTPResponseException(421, b"bye"), False, None, id="reply-421"),
        pytest.param(
            smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
            False,
            None,
            id="disconnected",
        ),
        pytest.param(ConnectionRefusedError(111, "refused"), False, None, id="conn-refused"),
        pytest.param(ConnectionResetError(104, "reset"), False, None, id="conn-reset"),
        pytest.param(TimeoutError("timed out"), False, None, id="timeout"),
        pytest.param(OSError(errno.EHOSTUNREACH, "no route"), False, None, id="other-oserror"),
        pytest.param(ssl.SSLError(1, "handshake"), False, None, id="tls-error"),
        # Whatever happens while connecting concerns the server, not one message.
        pytest.param(
            smtplib.SMTPAuthenticationError(535, b"5.7.8 bad credentials"),
            True,
            None,
            id="connect-auth-535",
        ),
        pytest.param(
            smtplib.SMTPConnectError(554, b"no service"), True, None, id="connect-greeting-554"
        ),
        pytest.param(ConnectionRefusedError(111, "refused"), True, None, id="connect-refused"),
    ],
)
def test_classify(error, connecting, expected):
    assert classify(error, connecting=connecting) is expected


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        pytest.param(
            smtplib.SMTPRecipientsRefused(
                {NON_ASCII: (550, b"5.1.1 <fran\xc3\xa7ois@ecole.example>: User unknown")}
            ),
            "SMTPRecipientsRefused 550 5.1.1",
            id="refusal-codes-only",
        ),
        pytest.param(
            smtplib.SMTPRecipientsRefused(
                {UNKNOWN: (550, b"5.1.1 No such user"), BUSY: (550, b"5.1.1 No such user")}
            ),
            "SMTPRecipientsRefused 550 5.1.1",
            id="same-refusal-once",
        ),
        pytest.param(
            smtplib.SMTPRecipientsRefused({UNKNOWN: (550, b"no"), BUSY: (451, b"4.3.0 later")}),
            "SMTPRecipientsRefused 550 451 4.3.0",
            id="refusals-without-enhanced-code",
        ),
        pytest.param(
            smtplib.SMTPSenderRefused(553, b"5.7.1 <pre@x.example> refused", "pre@x.example"),
            "SMTPSenderRefused 553 5.7.1",
            id="sender",
        ),
        pytest.param(
            UnicodeEncodeError("ascii", NON_ASCII, 4, 5, "ordinal not in range(128)"),
            "UnicodeEncodeError: ordinal not in range(128)",
            id="unicode-without-the-character",
        ),
        pytest.param(
            ConnectionRefusedError(111, "Connection refused"),
            "ConnectionRefusedError: Connection refused",
            id="oserror",
        ),
        pytest.param(
            ValueError(f"cannot send to {UNKNOWN}\nagain"),
            "ValueError: cannot send to <address> again",
            id="address-in-a-message",
        ),
        pytest.param(BadHeaderError(), "BadHeaderError", id="no-message"),
        pytest.param(RuntimeError("x" * 600), "RuntimeError: " + "x" * 486, id="truncated"),
    ],
)
def test_describe_keeps_codes_and_no_address(error, expected):
    assert describe(error) == expected


@pytest.mark.parametrize(
    ("last_error", "reason", "label"),
    [
        (
            "address_refused: SMTPRecipientsRefused 550 5.1.1",
            StopReason.ADDRESS_REFUSED,
            "adresse refusée par le serveur de messagerie",
        ),
        (
            "address_unusable: UnicodeEncodeError: ordinal not in range(128)",
            StopReason.ADDRESS_UNUSABLE,
            "adresse impossible à utiliser",
        ),
        (
            "too_many_failures: ConnectionRefusedError: Connection refused",
            StopReason.TOO_MANY_FAILURES,
            "trop d’échecs temporaires",
        ),
        ("ConnectionRefusedError: refused", StopReason.ERROR, None),
        (None, StopReason.ERROR, "erreur de l’application lors de l’envoi"),
    ],
)
def test_stop_reason_is_read_back_from_last_error(last_error, reason, label):
    assert stop_reason(last_error) is reason
    if label is not None:
        assert reason_label(last_error) == label


def test_kind_labels():
    assert kind_label("acknowledgement") == "accusé de réception"
    assert kind_label("coordinator_alert") == "alerte de la coordination"
    assert kind_label("digest") == "récapitulatif quotidien"
    assert kind_label("decision_declined") == "avis de décision (non retenue)"
    assert kind_label("weekly_report") == "weekly_report"  # a kind added later shows its code


# Against a real SMTP server ------------------------------------------------------------------


def test_a_refused_address_is_tried_once_and_stopped(app, sink, caplog):
    submit(app, referrer_email=UNKNOWN)
    now = datetime.now(UTC)

    caplog.clear()  # the submission logged its own INFO line

    with caplog.at_level(logging.DEBUG, logger="intake"):
        report = deliver(app, now=now)

    assert report == DeliveryReport(sent=1, failed=1, stopped=1)
    row = acknowledgement(app)
    assert row["attempts"] == 1 and row["sent_at"] is None
    assert row["stopped_at"] == now and row["last_attempt_at"] == now
    assert row["last_error"] == "address_refused: SMTPRecipientsRefused 550 5.1.1"
    (record,) = intake_records(caplog)
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert record.getMessage() == (
        f"outbox message {row['id']} stopped after 1 attempt: "
        "permanent SMTPRecipientsRefused 550 5.1.1"
    )
    with app.app_context():
        assert pending_count() == 0

    # Later rounds, however late, never pick it up again.
    for hours in (1, 24, 24 * 30):
        assert deliver(app, now=now + timedelta(hours=hours)) == DeliveryReport()
    assert sink.rcpt_attempts.count(UNKNOWN) == 1
    assert acknowledgement(app)["attempts"] == 1


def test_a_deferred_address_is_retried_then_stops_at_the_cap(app, sink, caplog):
    submit(app, referrer_email=BUSY)
    now = datetime.now(UTC)
    caplog.clear()  # the submission logged its own INFO line
    with caplog.at_level(logging.DEBUG, logger="intake"):
        assert deliver(app, now=now) == DeliveryReport(sent=1, failed=1)
        for attempt in range(2, MAX_ATTEMPTS + 1):
            row = acknowledgement(app)
            assert row["stopped_at"] is None and row["attempts"] == attempt - 1
            # Not before its backoff…
            assert deliver(app, now=row["due_at"] - timedelta(seconds=1)) == DeliveryReport()
            now = row["due_at"]
            report = deliver(app, now=now)
    assert report == DeliveryReport(sent=0, failed=1, stopped=1)
    row = acknowledgement(app)
    assert row["attempts"] == MAX_ATTEMPTS and row["stopped_at"] == now
    assert row["last_error"] == "too_many_failures: SMTPRecipientsRefused 451 4.3.0"
    assert deliver(app, now=now + timedelta(days=30)) == DeliveryReport()
    assert sink.rcpt_attempts.count(BUSY) == MAX_ATTEMPTS

    lines = [record.getMessage() for record in intake_records(caplog)]
    assert [line.split(" (")[0] for line in lines[:-1]] == [
        f"outbox message {row['id']} not sent"
    ] * (MAX_ATTEMPTS - 1)
    assert lines[-1] == (
        f"outbox message {row['id']} stopped after {MAX_ATTEMPTS} attempts: too many "
        "temporary failures, the last SMTPRecipientsRefused 451 4.3.0"
    )
    assert not any(record.exc_info for record in intake_records(caplog))
    assert not any("@" in line for line in lines)


def test_a_non_ascii_address_stops_after_one_attempt_with_one_log_line(app, sink, caplog):
    submit(app)
    submit(app, Source.PARENT, guardian_email="")
    with app.app_context():
        # The forms refuse such an address; an older row, or another way in, may still hold one.
        row = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "acknowledgement")
        ).one()
        row.recipients = [NON_ASCII]
        db.session.commit()
        message_id = row.id

    caplog.clear()  # the submission logged its own INFO line

    with caplog.at_level(logging.DEBUG, logger="intake"):
        report = deliver(app)

    # Its connection was left half-way through a transaction: the next message gets a new one.
    assert report == DeliveryReport(sent=2, failed=1, stopped=1)
    assert len(sink.envelopes) == 2
    (record,) = intake_records(caplog)
    assert record.exc_info is None and record.levelno == logging.WARNING
    assert record.getMessage() == (
        f"outbox message {message_id} stopped after 1 attempt: permanent UnicodeEncodeError"
    )
    row = acknowledgement(app)
    assert row["attempts"] == 1 and row["stopped_at"] is not None
    assert row["last_error"] == "address_unusable: UnicodeEncodeError: ordinal not in range(128)"
    assert deliver(app, now=later(86400)) == DeliveryReport()


def test_a_server_that_is_down_is_a_temporary_failure(app, caplog):
    submit(app, Source.PARENT, guardian_email="")  # no sink: port 9 refuses
    now = datetime.now(UTC)
    caplog.clear()  # the submission logged its own INFO line
    with caplog.at_level(logging.DEBUG, logger="intake"):
        assert deliver(app, now=now) == DeliveryReport(sent=0, failed=1)
    (row,) = outbox(app)
    assert row["stopped_at"] is None and row["due_at"] == now + timedelta(seconds=60)
    assert row["last_error"] == "ConnectionRefusedError: Connection refused"
    with app.app_context():
        assert pending_count() == 1
    (record,) = intake_records(caplog)
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert record.getMessage().endswith(": ConnectionRefusedError")

    # Down for good: the cap stops it, like any temporary failure that lasts.
    for _ in range(MAX_ATTEMPTS - 1):
        now = outbox(app)[0]["due_at"]
        report = deliver(app, now=now)
    assert report == DeliveryReport(sent=0, failed=1, stopped=1)
    (row,) = outbox(app)
    assert row["attempts"] == MAX_ATTEMPTS and row["stopped_at"] == now
    assert row["last_error"] == "too_many_failures: ConnectionRefusedError: Connection refused"


def test_a_closing_server_does_not_fail_the_next_message(app, sink):
    # A 421 makes smtplib drop the connection, although the error is a recipient's.
    submit(app, referrer_email=CLOSING)
    submit(app)
    report = deliver(app)
    assert report == DeliveryReport(sent=3, failed=1)
    (deferred,) = [row for row in outbox(app) if row["sent_at"] is None]
    assert deferred["recipients"] == [CLOSING] and deferred["stopped_at"] is None
    assert len(sink.envelopes) == 3


# The command line ----------------------------------------------------------------------------


def stop_one(app, sink) -> dict:
    """Submit a referral whose acknowledgement the sink refuses, deliver; return that row."""
    submit(app, referrer_email=UNKNOWN)
    deliver(app)
    return acknowledgement(app)


def test_outbox_send_counts_stopped_messages_apart(app, sink, runner):
    submit(app, referrer_email=UNKNOWN)
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 1
    assert result.stdout.strip() == "sent 1, failed 1, pending 0, stopped 1"
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0
    assert result.stdout.strip() == "sent 0, failed 0, pending 0, stopped 1"


def test_outbox_status_lists_stopped_messages(app, sink, runner):
    row = stop_one(app, sink)
    submit(app, Source.PARENT, guardian_email="")
    result = runner.invoke(args=["outbox", "status"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "pending 1 (due now 1, retrying 0), sent 1, stopped 1"
    assert lines[1].startswith("oldest pending since ")
    assert lines[2].startswith("stopped (put back with `outbox retry ID`")
    assert lines[3].split() == [
        str(row["id"]),
        reference_of(app, row["id"]),
        "acknowledgement",
        "1",
        "attempt",
        "stopped",
        row["stopped_at"].isoformat(timespec="seconds"),
        "address_refused:",
        "SMTPRecipientsRefused",
        "550",
        "5.1.1",
    ]
    assert "@" not in result.output
    assert len(lines) == 4


def test_outbox_retry_puts_a_stopped_message_back_and_it_goes_out(app, sink, runner):
    row = stop_one(app, sink)
    del sink.replies[UNKNOWN]  # the cause is fixed (here: the mailbox now exists)

    result = runner.invoke(args=["outbox", "retry", str(row["id"])])

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"outbox message {row['id']} (acknowledgement) back in the queue, due now",
        "1 message put back",
    ]
    back = acknowledgement(app)
    assert back["stopped_at"] is None and back["attempts"] == 0 and back["last_error"] is None
    assert back["due_at"] <= datetime.now(UTC)
    assert deliver(app) == DeliveryReport(sent=1, failed=0)
    assert deliver(app, now=later(86400)) == DeliveryReport()
    delivered = [envelope for envelope in sink.envelopes if envelope.rcpt_tos == [UNKNOWN]]
    assert len(delivered) == 1
    assert acknowledgement(app)["sent_at"] is not None


def test_outbox_retry_all_stopped(app, sink, runner):
    first = stop_one(app, sink)
    submit(app, referrer_email=BUSY)
    with app.app_context():
        for message in db.session.scalars(select(OutboxMessage)):
            if message.recipients == [BUSY]:
                message.attempts = MAX_ATTEMPTS - 1
        db.session.commit()
    deliver(app)
    stopped = [row["id"] for row in outbox(app) if row["stopped_at"] is not None]
    assert len(stopped) == 2 and first["id"] in stopped

    result = runner.invoke(args=["outbox", "retry", "--all-stopped"])

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "2 messages put back"
    assert all(row["stopped_at"] is None for row in outbox(app))
    result = runner.invoke(args=["outbox", "retry", "--all-stopped"])
    assert result.exit_code == 0
    assert result.stdout.strip() == "no stopped message"


def test_outbox_retry_refuses_unknown_and_unstopped_ids_and_changes_nothing(app, sink, runner):
    row = stop_one(app, sink)
    (sent,) = [r for r in outbox(app) if r["sent_at"] is not None]

    result = runner.invoke(args=["outbox", "retry", str(row["id"]), "999"])
    assert result.exit_code == 1
    assert "no outbox message 999" in result.output
    assert "Nothing was changed" in result.output
    assert acknowledgement(app)["stopped_at"] is not None

    result = runner.invoke(args=["outbox", "retry", str(sent["id"])])
    assert result.exit_code == 1
    assert f"outbox message {sent['id']} is not stopped (sent)" in result.output


@pytest.mark.parametrize(
    "args",
    [[], ["1", "--all-stopped"], ["zero"], ["0"]],
    ids=["nothing", "both", "not-a-number", "not-an-id"],
)
def test_outbox_retry_usage_errors(app, runner, args):
    result = runner.invoke(args=["outbox", "retry", *args])
    assert result.exit_code == 2


# Seen in the triage queue --------------------------------------------------------------------

COORDINATION = "coordination@testville.example"


def reference_of(app, message_id: int) -> str:
    with app.app_context():
        return db.session.scalar(
            select(Referral.reference)
            .join(OutboxMessage, OutboxMessage.referral_id == Referral.id)
            .where(OutboxMessage.id == message_id)
        )


def queue_row(html: str, reference: str) -> str:
    """The queue table's row of `reference`."""
    (row,) = [row for row in html.split("<tr>") if f">{reference}</a>" in row]
    return row.split("</tr>")[0]


def stop_for(app, sink, case: str) -> dict:
    """Stop one message of a new referral the way `case` says; return its outbox row."""
    if case == "refused":
        submit(app, referrer_email=UNKNOWN)
    elif case == "alert-refused":
        sink.replies[COORDINATION] = "550 5.1.1 No such user"
        # The logged-in coordinator's account is told of each referral too: refused as well,
        # the whole alert stops.
        sink.replies["coord@testville.example"] = "550 5.1.1 No such user"
        submit(app)
    elif case == "unusable":
        submit(app)
        with app.app_context():
            message = db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "acknowledgement")
            ).one()
            message.recipients = [NON_ASCII]
            db.session.commit()
    elif case == "too-many":
        submit(app, referrer_email=BUSY)
        with app.app_context():
            for message in db.session.scalars(select(OutboxMessage)):
                message.attempts = MAX_ATTEMPTS - 1
            db.session.commit()
    deliver(app)
    (row,) = [row for row in outbox(app) if row["stopped_at"] is not None]
    return row


@pytest.mark.parametrize(
    ("case", "kind", "reason"),
    [
        pytest.param(
            "refused",
            "Accusé de réception",
            "adresse refusée par le serveur de messagerie",
            id="refused",
        ),
        pytest.param(
            "alert-refused",
            "Alerte de la coordination",
            "adresse refusée par le serveur",
            id="alert-refused",
        ),
        pytest.param(
            "unusable", "Accusé de réception", "adresse impossible à utiliser", id="unusable"
        ),
        pytest.param("too-many", "Accusé de réception", "trop d’échecs temporaires", id="too-many"),
    ],
)
def test_the_detail_page_lists_undelivered_mail_in_plain_french(
    app, sink, coordinator, case, kind, reason
):
    row = stop_for(app, sink, case)
    reference = reference_of(app, row["id"])
    with app.test_request_context():
        when = vocab.format_datetime(row["stopped_at"])

    html = coordinator.get(f"/triage/{reference}").get_data(as_text=True)

    assert "E-mail non distribué" in html
    recipients = ", ".join(row["recipients"])
    assert f"{kind} pour {recipients} : envoi abandonné le {when} ({reason}" in html


def test_the_queue_flags_referrals_with_undelivered_mail_in_one_query(app, sink, coordinator):
    stopped = [reference_of(app, stop_one(app, sink)["id"])]
    submit(app, referrer_email=UNKNOWN)
    submit(app)
    submit(app, referrer_email=UNKNOWN)
    deliver(app)
    with app.app_context():
        references = db.session.scalars(select(Referral.reference).order_by(Referral.id)).all()
    stopped += [references[1], references[3]]
    delivered = references[2]
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if "outbox_message" in statement:
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        html = coordinator.get("/triage/").get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", count)

    for reference in stopped:
        assert "E-mail non distribué" in queue_row(html, reference)
    assert "non distribué" not in queue_row(html, delivered)
    assert len(statements) == 1  # not one per row


def test_a_referral_whose_mail_went_out_is_not_flagged(app, sink, coordinator):
    submit(app)
    submit(app, referrer_email=BUSY)  # deferred, still being retried: not flagged yet
    deliver(app)
    with app.app_context():
        references = db.session.scalars(select(Referral.reference)).all()
    html = coordinator.get("/triage/").get_data(as_text=True)
    assert "non distribué" not in html
    for reference in references:
        assert "non distribué" not in coordinator.get(f"/triage/{reference}").get_data(as_text=True)


def test_viewers_see_the_flag_too(app, sink, viewer):
    reference = reference_of(app, stop_one(app, sink)["id"])
    assert "E-mail non distribué" in queue_row(
        viewer.get("/triage/").get_data(as_text=True), reference
    )
    html = viewer.get(f"/triage/{reference}").get_data(as_text=True)
    assert "adresse refusée par le serveur de messagerie" in html


def test_a_retried_message_is_no_longer_flagged(app, sink, coordinator, runner):
    row = stop_one(app, sink)
    reference = reference_of(app, row["id"])
    assert runner.invoke(args=["outbox", "retry", str(row["id"])]).exit_code == 0
    html = coordinator.get(f"/triage/{reference}").get_data(as_text=True)
    assert "non distribué" not in html
