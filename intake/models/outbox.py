"""The outbox: e-mails written with what they report, sent later by the worker."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.extensions import db
from intake.models.referral import Referral
from intake.models.types import UTCDateTime, utcnow


class OutboxMessage(db.Model):
    """An e-mail written in the same transaction as what it reports, sent later by the worker."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    referral_id: Mapped[int | None] = mapped_column(
        ForeignKey("referral.id", ondelete="SET NULL"), index=True
    )
    recipients: Mapped[list[str]] = mapped_column(JSON)
    # What the e-mail is about beyond its kind and referral (a decision's status change):
    # the worker renders the message from these when it sends it, so a submission only writes
    # rows. Messages rendered in advance (the digest) carry their subject and bodies instead.
    context: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    subject: Mapped[str | None] = mapped_column(String(255))
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Set when delivery is given up (a permanent failure, or too many temporary ones): the
    # worker no longer picks the row, and the coordination sees it on the referral.
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    referral: Mapped[Referral | None] = relationship()
