"""Deliver the outbox: send what is due, retry temporary failures, stop what cannot be sent."""

from __future__ import annotations

import signal
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_mail import Message
from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from intake.extensions import db
from intake.models import OutboxMessage, Referral, utcnow
from intake.notifications.failures import classify, describe, stopped_error, summary
from intake.notifications.smtp import DEFAULT_SMTP_TIMEOUT, Courier, to_mail
from intake.rules.mail import StopReason
from intake.rules.reach import ContactDoubt

# How many messages one claim takes: few enough to be sent well within the lease even by a
# slow server, enough that claiming costs little per message.
CLAIM_SIZE = 50


@dataclass(frozen=True)
class DeliveryReport:
    """What one delivery round did; `stopped` counts the failures that gave the message up."""

    sent: int = 0
    failed: int = 0
    stopped: int = 0

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(
            self.sent + other.sent, self.failed + other.failed, self.stopped + other.stopped
        )


def backoff(attempts: int, base: int, cap: int) -> timedelta:
    """How long to wait after the `attempts`-th failure: base * 2**(attempts - 1), at most cap."""
    exponent = max(attempts, 1) - 1
    # Past 2**40 the product exceeds any sensible cap; stop there rather than build huge ints.
    return timedelta(seconds=min(base * 2 ** min(exponent, 40), cap))


def due_messages(now: datetime):
    """The query of the messages to try at `now`, oldest due first.

    Stopped messages are never due: only `outbox retry` puts them back.
    """
    return (
        select(OutboxMessage.id, OutboxMessage.due_at)
        .where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.stopped_at.is_(None),
            OutboxMessage.due_at <= now,
        )
        .order_by(OutboxMessage.due_at, OutboxMessage.id)
    )


def claim_batch(now: datetime, size: int, lease: timedelta) -> dict[int, datetime]:
    """Take up to `size` due messages for this worker, in a short transaction of its own.

    Their `due_at` moves to `now + lease`, so no other worker (nor this one's next round)
    takes them while they are being sent; one that dies with them leaves them due again once
    the lease has passed. On PostgreSQL, SKIP LOCKED lets concurrent workers claim different
    rows at the same moment instead of waiting for each other. Returns each claimed id with
    the `due_at` it had, oldest due first.
    """
    query = due_messages(now).limit(size).with_for_update(skip_locked=True)
    claimed = {message_id: due_at for message_id, due_at in db.session.execute(query)}
    if claimed:
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(claimed))
            .values(due_at=now + lease)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return claimed


def load_batch(claimed: dict[int, datetime]) -> list[OutboxMessage]:
    """The claimed messages, in claim order, with their referrals and the referrals' children
    (one query each for the whole batch, not one per message). Fresh from the database: the
    session may hold older copies from a previous round."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.id.in_(claimed))
        .options(selectinload(OutboxMessage.referral).selectinload(Referral.children))
        .execution_options(populate_existing=True)
    )
    messages = {message.id: message for message in db.session.scalars(query)}
    # A claimed row deleted since (a retention purge) is simply gone.
    return [messages[message_id] for message_id in claimed if message_id in messages]


def release(
    messages: list[OutboxMessage], claimed: dict[int, datetime], leased_until: datetime
) -> None:
    """Give back claimed messages this worker will not send (it is stopping): due again as
    they were, rather than after the lease. A row whose lease another worker has renewed
    since is left alone."""
    for message in messages:
        db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message.id,
                OutboxMessage.due_at == leased_until,
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.stopped_at.is_(None),
            )
            .values(due_at=claimed[message.id])
            .execution_options(synchronize_session=False)
        )
    db.session.commit()


def commit_result() -> None:
    """Commit one message's result. On PostgreSQL, without waiting for the disk: a crash in
    the next fraction of a second could lose the mark, and the message would be sent again,
    which at-least-once delivery already allows (same Message-ID); in exchange, a batch is no
    longer one disk flush per message."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    db.session.commit()


# One prepared UPDATE: the unit of work's flush of a sent message (dirty attributes found,
# history kept, an UPDATE compiled) was a tenth of the worker's time for each message.
MARK_SENT = (
    update(OutboxMessage)
    .where(OutboxMessage.id == bindparam("message_id"))
    .values(
        sent_at=bindparam("sent"),
        last_attempt_at=bindparam("sent"),
        attempts=OutboxMessage.attempts + 1,
        last_error=None,
        due_at=bindparam("due"),
    )
    .execution_options(synchronize_session=False)
)


def record_success(message: OutboxMessage, now: datetime, due_at: datetime) -> None:
    """Mark a message sent, and put back the due_at it had before its claim. Written to its
    row, not to the loaded object, which the round expires when it ends. A message that
    reached the family lifts the doubt a stopped one had raised (`outbox retry` once the
    address is fixed)."""
    # On the session's connection, as Core: the ORM's bulk-UPDATE path around it cost as
    # much again as the statement.
    db.session.connection().execute(
        MARK_SENT, {"message_id": message.id, "sent": now, "due": due_at}
    )
    family_address(message, CLEAR_DOUBT)


# A message to the family given up: its family may not be reachable ("contact incertain"),
# unless something already said so. Its recipients are matched to the referral's family
# address in SQL, as the address may have been corrected since. The referral's version is
# left alone: this is no one's edit, and must not make a coordinator's form stale.
MARK_DOUBT = (
    update(Referral.__table__)
    .where(
        Referral.__table__.c.id == bindparam("referral_id"),
        Referral.__table__.c.contact_doubt.is_(None),
        func.lower(Referral.__table__.c.guardian_email).in_(
            bindparam("recipients", expanding=True)
        ),
    )
    .values(contact_doubt=ContactDoubt.MAIL_STOPPED.value)
)


# A message that reached the family: the doubt a stopped one raised is lifted (not one
# raised at submission, a misspelt domain with no phone, which a delivery does not answer).
CLEAR_DOUBT = (
    update(Referral.__table__)
    .where(
        Referral.__table__.c.id == bindparam("referral_id"),
        Referral.__table__.c.contact_doubt == ContactDoubt.MAIL_STOPPED.value,
        func.lower(Referral.__table__.c.guardian_email).in_(
            bindparam("recipients", expanding=True)
        ),
    )
    .values(contact_doubt=None)
)


def family_address(
    message: OutboxMessage, statement: Any, recipients: list[str] | None = None
) -> None:
    """Run MARK_DOUBT or CLEAR_DOUBT for the referral of `message`, which apply only when
    it was written to the family's address: among its `recipients` (default: all of the
    message's; a bounce names those it failed for)."""
    addresses = message.recipients if recipients is None else recipients
    if message.referral_id is None or not addresses:
        return
    db.session.connection().execute(
        statement,
        {
            "referral_id": message.referral_id,
            "recipients": [address.strip().lower() for address in addresses],
        },
    )


def mark_family_unreached(message: OutboxMessage) -> None:
    """Flag the referral of a stopped `message` when it was written to the family."""
    family_address(message, MARK_DOUBT)


def record_failure(
    message: OutboxMessage, error: BaseException, now: datetime, *, connecting: bool = False
) -> bool:
    """Count the attempt and keep a short error; then stop the message, or put it off.

    A permanent failure stops it at once; a temporary one is retried after the backoff,
    until `INTAKE_OUTBOX_MAX_ATTEMPTS` attempts have failed. Returns whether it stopped.
    Each call logs one line with the id, the count and the error's class and codes: log
    files hold no address and no content, and no traceback a retry would repeat.
    """
    config = current_app.config
    logger = current_app.logger
    message.attempts += 1
    message.last_attempt_at = now
    description = describe(error)
    reason = classify(error, connecting=connecting)
    if reason is None and message.attempts >= config["INTAKE_OUTBOX_MAX_ATTEMPTS"]:
        reason = StopReason.TOO_MANY_FAILURES
    if reason is None:
        message.last_error = description
        message.due_at = now + backoff(
            message.attempts, config["INTAKE_OUTBOX_RETRY_BASE"], config["INTAKE_OUTBOX_RETRY_MAX"]
        )
        logger.warning(
            "outbox message %d not sent (attempt %d, next try at %s): %s",
            message.id,
            message.attempts,
            message.due_at.isoformat(timespec="seconds"),
            summary(error),
        )
        return False
    message.stopped_at = now
    message.last_error = stopped_error(reason, description)
    mark_family_unreached(message)
    why = f"permanent {summary(error)}"
    if reason is StopReason.TOO_MANY_FAILURES:
        why = f"too many temporary failures, the last {summary(error)}"
    elif reason is StopReason.REFERRAL_GONE:
        why = "its referral was deleted before it could be written"
    # A bug (not a server's answer) is worth an ERROR; its traceback only at DEBUG level,
    # where a developer can ask for it.
    log = logger.error if reason is StopReason.ERROR else logger.warning
    log(
        "outbox message %d stopped after %d attempt%s: %s",
        message.id,
        message.attempts,
        "" if message.attempts == 1 else "s",
        why,
    )
    if reason is StopReason.ERROR:
        logger.debug("outbox message %d: the unexpected error", message.id, exc_info=error)
    return True


def deliver_due(
    now: datetime | None = None, limit: int = 100, stop: threading.Event | None = None
) -> DeliveryReport:
    """Send up to `limit` due messages over one SMTP connection; failures are rescheduled or
    stopped.

    No database transaction stays open while the server is spoken to: a batch of messages is
    claimed (leased) and committed, loaded with its referrals, and each message's e-mail is
    written; then each one is sent and its result committed in a short transaction of its
    own. A crash after the send but before that commit sends it again once the lease has
    passed (at least once), while a committed `sent_at` is never sent twice.
    """
    now = now or utcnow()
    config = current_app.config
    lease = timedelta(seconds=config["INTAKE_OUTBOX_LEASE"])
    courier = Courier(config.get("INTAKE_SMTP_TIMEOUT", DEFAULT_SMTP_TIMEOUT))
    claimed_total = 0
    sent = failed = stopped = 0
    session = db.session()
    # Keep the batch's loaded rows across the per-message commits: otherwise each commit
    # expires them all and every next message reloads its row and referral, one by one.
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    try:
        while claimed_total < limit and not (stop is not None and stop.is_set()):
            claimed = claim_batch(now, min(CLAIM_SIZE, limit - claimed_total), lease)
            if not claimed:
                break
            leased_at = time.monotonic()
            claimed_total += len(claimed)
            outgoing: list[tuple[OutboxMessage, Message]] = []
            for message in load_batch(claimed):
                try:
                    outgoing.append((message, to_mail(message, config)))
                # As for a send below: a message that cannot be written (its referral purged,
                # a template bug) stops alone and does not hold up the batch.
                except Exception as error:
                    message.due_at = claimed[message.id]
                    stopped += record_failure(message, error, now)
                    failed += 1
            # Commits the messages that could not be written, and ends the batch's read
            # transaction before any SMTP: nothing is locked or open while the server talks.
            db.session.commit()
            for position, (message, mail) in enumerate(outgoing):
                if stop is not None and stop.is_set():
                    release([m for m, _ in outgoing[position:]], claimed, now + lease)
                    break
                if time.monotonic() - leased_at >= lease.total_seconds():
                    # The rest may be another worker's by now: leave them to whoever claims
                    # them next rather than risk sending them twice.
                    current_app.logger.warning(
                        "outbox: lease of %ds over before the batch was sent, %d left",
                        lease.total_seconds(),
                        len(outgoing) - position,
                    )
                    break
                # Connect only once something is due, so an idle worker never touches the
                # server. A dead server: every due message records it, without a new try each.
                connect_error = courier.connect()
                # The row's due_at is what it was before the claim, unless a retry moves it.
                due_at = claimed[message.id]
                if connect_error is not None:
                    message.due_at = due_at
                    stopped += record_failure(message, connect_error, now, connecting=True)
                    commit_result()
                    failed += 1
                    continue
                try:
                    courier.send(mail)
                # Deliberately broad: a single poison message (a row without recipients, a
                # header Flask-Mail refuses, a bug) must not stop the queue behind it. It is
                # stopped and shown to the coordination, as an address the server refuses is.
                # Database errors cannot arise here: this block only talks SMTP, and the
                # session work around it lets them reach `work()`. The courier has dropped
                # the connection unless it can carry the next message.
                except Exception as error:
                    message.due_at = due_at
                    stopped += record_failure(message, error, now)
                    commit_result()
                    failed += 1
                    continue
                record_success(message, now, due_at)
                commit_result()
                sent += 1
    finally:
        courier.close()
        session.expire_on_commit = expire_on_commit
        # The next round must read rows afresh, not these copies.
        session.expire_all()
    return DeliveryReport(sent=sent, failed=failed, stopped=stopped)


def pending_count() -> int:
    """How many messages will still be tried, whether due now or waiting for a retry."""
    query = (
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.stopped_at.is_(None))
    )
    return db.session.scalar(query) or 0


def stopped_count() -> int:
    """How many messages were given up and wait for `outbox retry`."""
    query = select(func.count()).select_from(OutboxMessage)
    return db.session.scalar(query.where(OutboxMessage.stopped_at.is_not(None))) or 0


def stopped_messages() -> list[tuple[OutboxMessage, str | None]]:
    """The messages given up, oldest stop first, each with its referral's reference."""
    query = (
        select(OutboxMessage, Referral.reference)
        .outerjoin(Referral, Referral.id == OutboxMessage.referral_id)
        .where(OutboxMessage.stopped_at.is_not(None))
        .order_by(OutboxMessage.stopped_at, OutboxMessage.id)
    )
    return [(message, reference) for message, reference in db.session.execute(query)]


def requeue(message: OutboxMessage, now: datetime) -> None:
    """Put a stopped message back in the queue, due now, as if it had never been tried."""
    message.stopped_at = None
    message.attempts = 0
    message.due_at = now
    message.last_error = None


def install_stop_handlers(stop: threading.Event):
    """Make SIGTERM and SIGINT set `stop`; return a function restoring the previous handlers.

    Signal handlers can only be installed from the main thread; elsewhere (tests, a thread of
    another program) the caller stops the worker through the event alone.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    logger = current_app.logger

    def handler(signum, frame):
        logger.info("outbox worker: signal %d, stopping after the current message", signum)
        stop.set()
        # A second signal acts at once, for an operator who does not want to wait.
        for sig, old in previous.items():
            signal.signal(sig, old)

    for sig in previous:
        signal.signal(sig, handler)

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore


def work(poll_seconds: float, stop: threading.Event | None = None) -> None:
    """Deliver due messages until `stop` is set or SIGTERM/SIGINT arrives; survive DB outages."""
    stop = stop or threading.Event()
    restore = install_stop_handlers(stop)
    logger = current_app.logger
    logger.info("outbox worker started (poll every %ss)", poll_seconds)
    try:
        while not stop.is_set():
            try:
                report = deliver_due(stop=stop)
            except SQLAlchemyError as error:
                # The database went away (restart, failover): wait and try again next round;
                # pool_pre_ping hands out a fresh connection once it is back.
                logger.warning("outbox worker: database error, retrying: %s", type(error).__name__)
                rollback_quietly()
                stop.wait(poll_seconds)
                continue
            if report.sent or report.failed:
                logger.info(
                    "outbox: sent %d, failed %d (stopped %d)",
                    report.sent,
                    report.failed,
                    report.stopped,
                )
            # Straight on while mail goes out (more may be waiting); otherwise rest, so a dead
            # server or an empty queue costs one query per poll and no busy loop.
            if not report.sent:
                stop.wait(poll_seconds)
    finally:
        restore()
        db.session.remove()
        logger.info("outbox worker stopped")


def rollback_quietly() -> None:
    """Roll the session back; if even that fails, drop it so the next round starts afresh."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.remove()
