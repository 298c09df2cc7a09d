"""`flask retention purge`: delete the referrals whose retention period is over."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import delete, select

from ..duplicate_pairs import forget_referrals
from ..extensions import db
from ..models import OutboxMessage, Referral, utcnow
from ..retention import is_expired, months_before
from ..workflow import FINAL

retention_cli = AppGroup("retention", help="Apply the retention period of the territory file.")


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
    for referral in referrals:
        db.session.delete(referral)  # the ORM cascade takes children and history
    db.session.flush()


@retention_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="List what would be deleted, delete nothing.")
def purge_command(dry_run: bool) -> None:
    """Delete referrals closed for longer than the territory's `retention_months`."""
    months = current_app.extensions["territory"].programme.retention_months
    referrals = expired_referrals(months)
    for referral in referrals:
        click.echo(f"{referral.reference}  {referral.status}  {referral.last_activity_at:%Y-%m-%d}")
    if dry_run:
        click.echo(f"would delete {len(referrals)} referral(s) final for over {months} months")
        return
    references = [referral.reference for referral in referrals]
    purge(referrals)
    db.session.commit()
    current_app.logger.info("retention purge deleted=%d references=%s", len(references), references)
    click.echo(f"deleted {len(referrals)} referral(s) final for over {months} months")
