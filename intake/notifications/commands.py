"""`flask outbox …`: run the delivery worker, send what is due once, show and retry the queue,
read the bounces."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from intake.config import base_url_warning
from intake.extensions import db
from intake.models import OutboxMessage, utcnow
from intake.notifications.bounces import read_maildir
from intake.notifications.digest import queue_digests
from intake.notifications.worker import (
    DeliveryReport,
    deliver_due,
    pending_count,
    requeue,
    stopped_count,
    stopped_messages,
    work,
)
from intake.rules.mail import stop_reason

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
    if warning := base_url_warning(current_app.config):
        click.echo(warning, err=True)
    if poll is None:
        poll = float(current_app.config["INTAKE_OUTBOX_POLL_SECONDS"])
    click.echo(f"outbox worker running, polling every {poll:g}s; stop with Ctrl+C or SIGTERM")
    work(poll)
    click.echo("outbox worker stopped")


@outbox_cli.command("send")
def send_command() -> None:
    """Deliver what is due now, print the counts and exit (status 1 if anything failed).

    Stopped messages are not pending: they wait for `outbox retry`, and are counted apart
    when there are any.
    """
    if warning := base_url_warning(current_app.config):
        click.echo(warning, err=True)
    now = utcnow()
    total = DeliveryReport()
    while True:
        report = deliver_due(now=now, limit=BATCH)
        total += report
        # A full batch that sent something means more may be due; failures are rescheduled
        # past `now`, so they are not picked up again by the next batch.
        if report.sent + report.failed < BATCH or not report.sent:
            break
    line = f"sent {total.sent}, failed {total.failed}, pending {pending_count()}"
    if stopped := stopped_count():
        line += f", stopped {stopped}"
    click.echo(line)
    if total.failed:
        raise click.exceptions.Exit(1)


@outbox_cli.command("digest")
def digest_command() -> None:
    """Queue the daily digest of each account that chose one (run it from cron, once a day).

    The digests go to the outbox like every e-mail: the worker, or `outbox send`, delivers
    them. An account gets one digest a day at most, and none when there is nothing to say.
    """
    if warning := base_url_warning(current_app.config):
        click.echo(warning, err=True)
    now = utcnow()
    queued = queue_digests(current_app.extensions["territory"], current_app.config, now)
    db.session.commit()
    for user, digest in queued:
        click.echo(f"digest queued for {user.email}: {digest.counts()}")
    click.echo(f"{len(queued)} digest{'' if len(queued) == 1 else 's'} queued")


@outbox_cli.command("status")
def status_command() -> None:
    """Show how many e-mails wait, are retrying, went out or stopped; list the stopped ones."""
    unsent = OutboxMessage.sent_at.is_(None) & OutboxMessage.stopped_at.is_(None)
    count = select(func.count()).select_from(OutboxMessage)
    pending = pending_count()
    due = db.session.scalar(count.where(unsent, OutboxMessage.due_at <= utcnow())) or 0
    retrying = db.session.scalar(count.where(unsent, OutboxMessage.attempts > 0)) or 0
    sent = db.session.scalar(count.where(OutboxMessage.sent_at.is_not(None))) or 0
    oldest = db.session.scalar(select(func.min(OutboxMessage.created_at)).where(unsent))
    stopped = stopped_messages()
    click.echo(
        f"pending {pending} (due now {due}, retrying {retrying}), sent {sent}, "
        f"stopped {len(stopped)}"
    )
    if oldest is not None:
        click.echo(f"oldest pending since {oldest.isoformat(timespec='seconds')}")
    if stopped:
        click.echo("stopped (put back with `outbox retry ID` once the cause is fixed):")
    for message, reference in stopped:
        click.echo(
            f"  {message.id}  {reference or '-'}  {message.kind}  "
            f"{message.attempts} attempt{'' if message.attempts == 1 else 's'}  "
            f"stopped {message.stopped_at.isoformat(timespec='seconds')}  "
            f"{stop_reason(message.last_error)}: {short_error(message.last_error)}"
        )


def short_error(last_error: str | None) -> str:
    """The failure a stopped message's `last_error` records, after its reason's code."""
    return (last_error or "").partition(": ")[2] or "-"


@outbox_cli.command("retry")
@click.argument("ids", nargs=-1, type=click.IntRange(min=1))
@click.option("--all-stopped", is_flag=True, help="Put back every stopped message.")
def retry_command(ids: tuple[int, ...], all_stopped: bool) -> None:
    """Put stopped messages back in the queue, due now, with their attempts reset.

    Fix the cause first (the address on the referral, the mail settings): a message stopped
    by a refusal is refused again otherwise. Unknown or not stopped ids change nothing.
    """
    if bool(ids) == all_stopped:
        raise click.UsageError("give the ids of stopped messages, or --all-stopped")
    if all_stopped:
        query = select(OutboxMessage).where(OutboxMessage.stopped_at.is_not(None))
    else:
        query = select(OutboxMessage).where(OutboxMessage.id.in_(ids))
    messages = {m.id: m for m in db.session.scalars(query.with_for_update())}
    problems = [f"no outbox message {i}" for i in dict.fromkeys(ids) if i not in messages]
    problems += [
        f"outbox message {m.id} is not stopped ({'sent' if m.sent_at else 'still queued'})"
        for m in messages.values()
        if m.stopped_at is None
    ]
    if problems:
        db.session.rollback()
        raise click.ClickException("; ".join(problems) + ". Nothing was changed.")
    now = utcnow()
    for message in sorted(messages.values(), key=lambda m: m.id):
        requeue(message, now)
        click.echo(f"outbox message {message.id} ({message.kind}) back in the queue, due now")
    db.session.commit()
    if not messages:
        click.echo("no stopped message")
    else:
        click.echo(f"{len(messages)} message{'' if len(messages) == 1 else 's'} put back")


@outbox_cli.command("bounces")
@click.argument(
    "maildir", type=click.Path(exists=True, file_okay=False, path_type=Path), metavar="MAILDIR"
)
def bounces_command(maildir: Path) -> None:
    """Read the bounces in MAILDIR (the sender address's mailbox, a Maildir): each message
    the server accepted and then returned undelivered is stopped (`outbox status`, `outbox
    retry`) and its family's contact flagged "contact incertain". Every new message read is
    marked seen. Run it as often as the worker runs (cron, a systemd timer)."""
    if not (maildir / "new").is_dir() or not (maildir / "cur").is_dir():
        raise click.BadParameter("not a Maildir (no new/ and cur/ inside)", param_hint="MAILDIR")
    report = read_maildir(maildir)
    click.echo(
        f"bounces: {report.read} new message{'' if report.read == 1 else 's'} read, "
        f"{report.recorded} outbox message{'' if report.recorded == 1 else 's'} stopped"
    )
