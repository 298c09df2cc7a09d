"""E-mails that stopped undelivered, as the queue's rows and a referral's page flag them."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Select, select

from intake.models import OutboxMessage


def with_undelivered_mail(referral_ids: Collection[int]) -> Select:
    """Which of these referrals have an e-mail that stopped undelivered: one query a page."""
    return (
        select(OutboxMessage.referral_id)
        .where(OutboxMessage.referral_id.in_(referral_ids), OutboxMessage.stopped_at.is_not(None))
        .distinct()
    )


def undelivered_mail(referral_id: int) -> Select:
    """A referral's e-mails that stopped undelivered, oldest stop first."""
    return (
        select(OutboxMessage)
        .where(OutboxMessage.referral_id == referral_id, OutboxMessage.stopped_at.is_not(None))
        .order_by(OutboxMessage.stopped_at, OutboxMessage.id)
    )
