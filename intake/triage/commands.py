"""`flask retention purge`: anonymise the referrals whose retention period is over
(intake.triage.retention), and delete the read log's old entries; `flask audit reads`: print
the read log."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import ReadEvent, Referral, utcnow
from intake.rules.clock import local_datetime
from intake.rules.retention import months_before
from intake.triage.audit import purge_reads, reads
from intake.triage.retention import (
    Tally,
    anonymise,
    compact_search_index,
    expired_ids,
    load,
    tally,
)

retention_cli = AppGroup("retention", help="Apply the retention period of the territory file.")
audit_cli = AppGroup("audit", help="Who read which referrals.")


BATCH = 200


def describe(tally: Tally, anonymised: bool) -> list[str]:
    """What a purge anonymises, deletes and keeps, in lines for the console."""
    verb = (
        ("anonymised", "deleted", "kept")
        if anonymised
        else (
            "would anonymise",
            "would delete",
            "would keep",
        )
    )
    return [
        f"{verb[0]} {tally.referrals} referral(s), {tally.children} child(ren): names, address,"
        " phones, e-mails and free texts erased",
        f"{verb[1]} {tally.notes} note(s), {tally.messages} e-mail(s),"
        f" {tally.pairs} suspected duplicate(s)",
        f"{verb[2]} for the figures: {tally.referrals} referral(s), {tally.children} child(ren),"
        f" {tally.decisions} status change(s), {tally.agreements} agreement(s),"
        f" {tally.parcours} parcours, {tally.actions} action(s), {tally.reviews} review(s)"
        " (their codes and dates)",
    ]


@retention_cli.command("purge")
@click.option(
    "--dry-run", is_flag=True, help="Count what would be erased and kept, change nothing."
)
def purge_command(dry_run: bool) -> None:
    """Anonymise referrals final for longer than the territory's `retention_months` (erase
    what identifies the family, keep the codes and dates the figures count), and delete read
    log entries older than `INTAKE_READ_LOG_MONTHS`."""
    months = current_app.extensions["territory"].programme.retention_months
    log_months = current_app.config["INTAKE_READ_LOG_MONTHS"]
    ids = expired_ids(months)
    if dry_run:
        for referral in db.session.execute(
            select(Referral.reference, Referral.status, Referral.last_activity_at)
            .where(Referral.id.in_(ids))
            .order_by(Referral.last_activity_at, Referral.id)
        ):
            click.echo(
                f"{referral.reference}  {referral.status}  {referral.last_activity_at:%Y-%m-%d}"
            )
        old_reads = db.session.scalar(
            select(func.count()).where(ReadEvent.at < months_before(utcnow(), log_months))
        )
        for line in describe(tally(ids), anonymised=False):
            click.echo(line)
        click.echo(f"would delete {old_reads} read log entries older than {log_months} months")
        return
    # In batches, each committed: a long purge holds no lock on the whole table, and one
    # stopped halfway has anonymised what it reached (a second run does the rest).
    done = Tally()
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        counted = tally(batch)
        referrals = load(batch)
        for referral in referrals:
            click.echo(
                f"{referral.reference}  {referral.status}  {referral.last_activity_at:%Y-%m-%d}"
            )
        references = anonymise(referrals)
        db.session.commit()
        done += counted
        current_app.logger.info(
            "retention purge anonymised=%d references=%s", len(references), references
        )
    if ids:
        compact_search_index()
        db.session.commit()
    old_reads = purge_reads(log_months)
    db.session.commit()
    current_app.logger.info(
        "retention purge anonymised=%d read_log_deleted=%d", done.referrals, old_reads
    )
    for line in describe(done, anonymised=True):
        click.echo(line)
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
