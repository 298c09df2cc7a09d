"""Suspected duplicates: two children of two referrals that may be one child."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.extensions import db
from intake.models.referral import Child, Referral
from intake.models.staff import User
from intake.models.types import UTCDateTime, utcnow


class PairState(StrEnum):
    """Where a suspected duplicate stands."""

    SUSPECTED = "suspected"  # found by the check, waiting for a coordinator
    CONFIRMED = "confirmed"  # "même enfant": the referrals are linked
    DISMISSED = "dismissed"  # not the same child: never proposed again


class DuplicatePair(db.Model):
    """Two children of two referrals that look like the same child (same birth date, similar
    names). `child_id` belongs to the referral stored later."""

    __tablename__ = "duplicate_pair"
    __table_args__ = (UniqueConstraint("child_id", "other_child_id", name="uq_duplicate_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    other_referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    other_child_id: Mapped[int] = mapped_column(
        ForeignKey("child.id", ondelete="CASCADE"), index=True
    )
    # How alike the names are, 0–100 (rapidfuzz).
    score: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default=PairState.SUSPECTED.value)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    referral: Mapped[Referral] = relationship(foreign_keys=[referral_id])
    other_referral: Mapped[Referral] = relationship(foreign_keys=[other_referral_id])
    child: Mapped[Child] = relationship(foreign_keys=[child_id])
    other_child: Mapped[Child] = relationship(foreign_keys=[other_child_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
