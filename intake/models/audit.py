"""The read log: who read which personal data, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.extensions import db
from intake.models.staff import User
from intake.models.types import UTCDateTime, utcnow


class ReadEvent(db.Model):
    """One read of personal data by a staff member: a referral's detail or fiche, a meeting's
    agenda, an export. Kept `INTAKE_READ_LOG_MONTHS`, then purged by `retention purge`."""

    __tablename__ = "read_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    # "detail", "fiche", "agenda", "export.csv", "export.xlsx"
    kind: Mapped[str] = mapped_column(String(20))
    # What was read beyond the references: an export's filters and row count, a meeting's id.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    user: Mapped[User | None] = relationship()
    referrals: Mapped[list[ReadReferral]] = relationship(
        back_populates="event", cascade="all, delete-orphan", passive_deletes=True
    )


class ReadReferral(db.Model):
    """A referral a ReadEvent showed, by reference: the log outlives a purged referral."""

    __tablename__ = "read_referral"
    __table_args__ = (Index("ix_read_referral_reference", "reference", "event_id"),)

    event_id: Mapped[int] = mapped_column(
        ForeignKey("read_event.id", ondelete="CASCADE"), primary_key=True
    )
    reference: Mapped[str] = mapped_column(String(20), primary_key=True)

    event: Mapped[ReadEvent] = relationship(back_populates="referrals")
