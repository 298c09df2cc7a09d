"""The daily digest (`flask outbox digest`): one message per account that asked for one.

What it reports: new referrals since the account's last digest, referrals still `new` after
`remind_after_days`, referrals without a recorded agreement after as long, and e-mails that
stopped for good. Counts and references only, never a name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import force_locale, gettext, ngettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from intake.extensions import db
from intake.models import OutboxMessage, Referral, User
from intake.notifications.outbox import enqueue_rendered
from intake.notifications.render import STAFF_LANGUAGE, public_url
from intake.rules.clock import local_date, moment_at, today
from intake.rules.mail import kind_label
from intake.rules.retention import days_since, is_overdue
from intake.rules.vocabulary import format_datetime
from intake.rules.workflow import FINAL, Status
from intake.territory.model import Territory

# A first digest covers the day before it.
FIRST_WINDOW = timedelta(hours=24)


def already_had_one_today(last_digest_at: datetime | None, now: datetime) -> bool:
    """Whether the account got its digest earlier on the same (Paris) day: a second run of
    the command that day sends nothing, whatever arrived in between (it waits for tomorrow's)."""
    if last_digest_at is None:
        return False
    return local_date(last_digest_at) == local_date(now)


def lacks_agreement(
    status: str, received_at: datetime, has_agreement: bool, now: datetime, days: int
) -> bool:
    """Whether a referral should be flagged for its missing agreement: still open, received
    at least `days` days ago, and no legal representative's agreement on record."""
    return (
        Status(status) not in FINAL and not has_agreement and days_since(received_at, now) >= days
    )


@dataclass(frozen=True)
class StoppedMail:
    """An e-mail given up: which kind, and the reference it was about (if any)."""

    kind: str
    reference: str | None


@dataclass(frozen=True)
class Digest:
    """What one account's digest says; each list holds references, oldest first."""

    since: datetime
    new: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    without_agreement: list[str] = field(default_factory=list)
    stopped: list[StoppedMail] = field(default_factory=list)

    def is_empty(self) -> bool:
        """Nothing to report: no message is sent."""
        return not (self.new or self.waiting or self.without_agreement or self.stopped)

    def counts(self) -> str:
        """One line for the command's output."""
        return (
            f"{len(self.new)} new, {len(self.waiting)} waiting, "
            f"{len(self.without_agreement)} without agreement, {len(self.stopped)} stopped"
        )


@dataclass(frozen=True)
class Standing:
    """The part of every digest that does not depend on the account."""

    waiting: list[str]
    without_agreement: list[str]
    stopped: list[StoppedMail]


def standing(now: datetime, days: int) -> Standing:
    """Referrals waiting or lacking an agreement for `days` days, and stopped e-mails."""
    # Received before the start of the Paris day `days - 1` days ago: `days` Paris calendar
    # days or more, as the queue counts waits (not `days` × 24 hours, which left out of the
    # morning's digest a referral that the queue already flagged since midnight).
    cutoff = moment_at(today(now) - timedelta(days=days - 1))
    open_ = (
        select(Referral)
        .where(Referral.status.not_in([s.value for s in FINAL]), Referral.received_at < cutoff)
        .options(selectinload(Referral.agreements))
        .order_by(Referral.received_at, Referral.id)
    )
    referrals = db.session.scalars(open_).all()
    stopped = db.session.execute(
        select(OutboxMessage.kind, Referral.reference)
        .outerjoin(Referral, Referral.id == OutboxMessage.referral_id)
        .where(OutboxMessage.stopped_at.is_not(None))
        .order_by(OutboxMessage.stopped_at, OutboxMessage.id)
    ).all()
    return Standing(
        waiting=[r.reference for r in referrals if is_overdue(r.status, r.received_at, now, days)],
        without_agreement=[
            r.reference
            for r in referrals
            if lacks_agreement(r.status, r.received_at, r.has_agreement, now, days)
        ],
        stopped=[StoppedMail(kind, reference) for kind, reference in stopped],
    )


def new_since(since: datetime, now: datetime) -> list[str]:
    """The references received after `since`, up to `now`, oldest first."""
    query = (
        select(Referral.reference)
        .where(Referral.received_at > since, Referral.received_at <= now)
        .order_by(Referral.received_at, Referral.id)
    )
    return list(db.session.scalars(query))


def sections(digest: Digest, days: int) -> list[tuple[str, list[str]]]:
    """The digest's lists of references, each under its French title."""
    return [
        (
            gettext(
                "Nouvelles orientations depuis le %(since)s",
                since=format_datetime(digest.since),
            ),
            digest.new,
        ),
        (
            ngettext(
                "Toujours « Nouvelle » après %(num)s jour",
                "Toujours « Nouvelle » après %(num)s jours",
                days,
            ),
            digest.waiting,
        ),
        (
            ngettext(
                "Sans accord des parents enregistré, reçues il y a %(num)s jour ou plus",
                "Sans accord des parents enregistré, reçues il y a %(num)s jours ou plus",
                days,
            ),
            digest.without_agreement,
        ),
    ]


def queue_digests(
    territory: Territory, config: Mapping[str, Any], now: datetime
) -> list[tuple[User, Digest]]:
    """Write each due digest to the outbox and move its account's `last_digest_at` to `now`
    (not committed). Accounts are locked while this runs, so two runs at once cannot both
    send."""
    days = territory.programme.remind_after_days
    accounts = db.session.scalars(
        select(User)
        .where(User.active.is_(True), User.alerts == "daily")
        .order_by(User.id)
        .with_for_update()
    ).all()
    due = [user for user in accounts if not already_had_one_today(user.last_digest_at, now)]
    if not due:
        return []
    common = standing(now, days)
    queued = []
    # Written to the coordination: in French, as the staff pages are, whatever the process's
    # language.
    with force_locale(STAFF_LANGUAGE):
        for user in due:
            since = user.last_digest_at or now - FIRST_WINDOW
            digest = Digest(
                since=since,
                new=new_since(since, now),
                waiting=common.waiting,
                without_agreement=common.without_agreement,
                stopped=common.stopped,
            )
            if digest.is_empty():
                continue
            enqueue_rendered(
                "digest",
                [user.email],
                "digest",
                None,
                digest=digest,
                days=days,
                now=now,
                sections=sections(digest, days),
                kind_label=kind_label,
                link=public_url(config, "/triage/"),
                account_link=public_url(config, "/triage/compte"),
            )
            user.last_digest_at = now
            queued.append((user, digest))
    db.session.flush()
    return queued
