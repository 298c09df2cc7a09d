"""`flask outbox …`: run the delivery worker, send what is due once, show the queue."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from ..extensions import db
from ..models import OutboxMessage, utcnow
from .worker import DeliveryReport, deliver_due, pending_count, work

outbox_cli = AppGroup("outbox", help="Deliver the e-mails queued in the outbox.")

BATCH = 100


@outbox_cli.command("work")
@click.option(
    "--poll",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Seconds between two looks at an empty queue (default: INTAKE_OUTBOX_POLL_SECONDS).",
)
def work_command(poll: float | None) -> None:
    """Deliver queued e-mail until stopped (SIGTERM or Ctrl+C)."""
    if poll is None:
        poll = float(current_app.config["INTAKE_OUTBOX_POLL_SECONDS"])
    click.echo(f"outbox worker running, polling every {poll:g}s; stop with Ctrl+C or SIGTERM")
    work(poll)
    click.echo("outbox worker stopped")


@outbox_cli.command("send")
def send_command() -> None:
    """Deliver what is due now, print the counts and exit (status 1 if anything failed)."""
    now = utcnow()
    total = DeliveryReport()
    while True:
        report = deliver_due(now=now, limit=BATCH)
        total += report
        # A full batch that sent something means more may be due; failures are rescheduled
        # past `now`, so they are not picked up again by the next batch.
        if report.sent + report.failed < BATCH or not report.sent:
            break
    click.echo(f"sent {total.sent}, failed {total.failed}, pending {pending_count()}")
    if total.failed:
        raise click.exceptions.Exit(1)


@outbox_cli.command("status")
def status_command() -> None:
    """Show how many e-mails wait, how many are retrying and the oldest one waiting."""
    unsent = OutboxMessage.sent_at.is_(None)
    count = select(func.count()).select_from(OutboxMessage)
    pending = pending_count()
    due = db.session.scalar(count.where(unsent, OutboxMessage.due_at <= utcnow())) or 0
    retrying = db.session.scalar(count.where(unsent, OutboxMessage.attempts > 0)) or 0
    sent = db.session.scalar(count.where(OutboxMessage.sent_at.is_not(None))) or 0
    oldest = db.session.scalar(select(func.min(OutboxMessage.created_at)).where(unsent))
    click.echo(f"pending {pending} (due now {due}, retrying {retrying}), sent {sent}")
    if oldest is not None:
        click.echo(f"oldest pending since {oldest.isoformat(timespec='seconds')}")
