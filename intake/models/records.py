"""What accumulates on a referral: its history, agreements, corrections, notes, assignments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.extensions import db
from intake.models.referral import Referral
from intake.models.staff import User
from intake.models.types import UTCDateTime, utcnow


class StatusChange(db.Model):
    """One step of a referral's history: who moved it, when, from where to where, and why."""

    __tablename__ = "status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    # A decision's structured part (contract, "Decisions"): codes of intake.decisions.
    reason: Mapped[str | None] = mapped_column(String(40), index=True)
    service: Mapped[str | None] = mapped_column(String(40), index=True)
    withdrawn_by: Mapped[str | None] = mapped_column(String(20))
    # Whether the reason is told to the family and the referrer (a redirection's service
    # always is).
    share_reason: Mapped[bool] = mapped_column(Boolean, default=False)

    referral: Mapped[Referral] = relationship(back_populates="history")
    user: Mapped[User | None] = relationship()


class Agreement(db.Model):
    """A legal representative's prior agreement to the programme (loi 2005-32, art. 128)."""

    __tablename__ = "agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    guardian_name: Mapped[str] = mapped_column(String(200))
    given_on: Mapped[date] = mapped_column(Date)
    # signed_form, in_person, phone, email (intake.decisions.AGREEMENT_METHODS)
    method: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    referral: Mapped[Referral] = relationship(back_populates="agreements")
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id])


class Correction(db.Model):
    """A coordinator's correction of a referral's fields, with what they held before.

    `previous` and `current` map each corrected field ("guardian_phone",
    "children.0.birth_date"…) to its value; `screening` keeps the children's screening before
    and after when the correction touched what screening reads. Shown to coordinators only.
    """

    __tablename__ = "correction"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    previous: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    current: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    screening: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    referral: Mapped[Referral] = relationship(back_populates="corrections")
    user: Mapped[User | None] = relationship()


class Note(db.Model):
    """A coordinator's note on a referral: a call made, a document received, a next step."""

    __tablename__ = "note"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)

    referral: Mapped[Referral] = relationship(back_populates="notes")
    user: Mapped[User | None] = relationship()


class Assignment(db.Model):
    """A change of who follows a referral: who made it, when, to whom (None: nobody)."""

    __tablename__ = "assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    referral: Mapped[Referral] = relationship(back_populates="assignments")
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
