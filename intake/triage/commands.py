"""`flask retention purge`: delete the referrals whose retention period is over, and the
read log's old entries; `flask audit reads`: print the read log."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import delete, func, select

from intake.duplicates.pairs import forget_referrals
from intake.extensions import db
from intake.models import AgendaItem, OutboxMessage, ReadEvent, Referral, utcnow
from intake.rules.clock import local_datetime
from intake.rules.retention import is_expired, months_before
from intake.rules.workflow import FINAL
from intake.triage.audit import purge_reads, reads

retention_cli = AppGroup("retention", help="Apply the retention period of the territory file.")
audit_cli = AppGroup("audit", help="Who read which referrals.")


def expired_referrals(months: int) -> list[Referral]:
    """Final referrals untouched for `months` months, oldest first."""
    now = utcnow()
    candidates = db.session.scalars(
        select(Referral)
        .where(Referral.status.in_([status.value for status in FINAL]))
        .where(Referral.last_activity_at <= months_before(now, months))
        .order_by(Referral.last_activity_at)
    )
    # The SQL narrows the search; the pure rule has the last word.
    return [r for r in candidates if is_expired(r.status, r.last_activity_at, now, months)]


def purge(referrals: list[Referral]) -> None:
    """Delete the referrals with their children, history, e-mails and duplicate pairs (not
    committed); the referrals on the other side of those pairs keep their warning only if
    another pair still waits for an answer."""
    ids = [referral.id for referral in referrals]
    forget_referrals(ids)
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.referral_id.in_(ids)))
    # SQLite does not enforce the foreign keys' ON DELETE CASCADE here: an agenda item left
    # behind would name a referral that no longer exists.
    db.session.execute(delete(AgendaItem).where(AgendaItem.referral_id.in_(ids)))
    for referral in referrals:
        db.session.delete(referral)  # the ORM cascade takes children and history
    db.session.flush()


@retention_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="List what would be deleted, delete nothing.")
def purge_command(dry_run: bool) -> None:
    """Delete referrals closed for longer than the territory's `retention_months`, and read
    log entries older than `INTAKE_READ_LOG_MONTHS`."""
    months = current_app.extensions["territory"].programme.retention_months
    log_months = current_app.config["INTAKE_READ_LOG_MONTHS"]
    referrals = expired_referrals(months)
    for referral in referrals:
        click.echo(f"{referral.reference}  {referral.status}  {referral.last_activity_at:%Y-%m-%d}")
    if dry_run:
        old_reads = db.session.scalar(
            select(func.count()).where(ReadEvent.at < months_before(utcnow(), log_months))
        )
        click.echo(f"would delete {len(referrals)} referral(s) final for over {months} months")
        click.echo(f"would delete {old_reads} read log entries older than {log_months} months")
        return
    references = [referral.reference for referral in referrals]
    purge(referrals)
    old_reads = purge_reads(log_months)
    db.session.commit()
    current_app.logger.info(
        "retention purge deleted=%d references=%s read_log_deleted=%d",
        len(references),
        references,
        old_reads,
    )
    click.echo(f"deleted {len(referrals)} referral(s) final for over {months} months")
    click.echo(f"deleted {old_reads} read log entries older than {log_months} months")


@audit_cli.command("reads")
@click.option("--referral", "reference", metavar="REFERENCE", help="Only reads of this referral.")
@click.option("--user", "email", metavar="EMAIL", help="Only reads by this account.")
def reads_command(reference: str | None, email: str | None) -> None:
    """Print the read log, oldest first: one line per read, with when (Paris time), who,
    what kind of read and the references read."""
    for read in reads(reference=reference.strip() if reference else None, email=email):
        shown = " ".join(read.references)
        more = read.total - len(read.references)
        if more > 0:
            shown += f" (and {more} more)"
        at = local_datetime(read.at).isoformat(timespec="seconds")
        click.echo(f"{at}  {read.email or '(deleted account)'}  {read.kind}  {shown}")
