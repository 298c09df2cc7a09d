"""What accumulates on a referral: its history, agreements, corrections, notes, assignments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from intake.extensions import db
from intake.models.referral import Child, Referral
from intake.models.staff import User
from intake.models.types import UTCDateTime, utcnow


class ReferralRecord:
    """What every authored record on a referral starts with: its id, its referral, when it
    was made and by whom (a mixin: each subclass maps it under its own table)."""

    # The Referral attribute listing this kind of record: the other side of `referral`.
    referral_list: ClassVar[str]

    # A mixin's columns would follow the class's own; these sort orders keep them first, in
    # this order, as the tables have always had them.
    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-4)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True, sort_order=-3
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, sort_order=-2)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), sort_order=-1
    )

    # Relationships on a mixin must be made for each class (declared_attr), not shared.
    @declared_attr
    def referral(cls) -> Mapped[Referral]:
        return relationship("Referral", back_populates=cls.referral_list)

    @declared_attr
    def user(cls) -> Mapped[User | None]:
        # Its author: named by its column, since a record may name another account too (an
        # assignment's new référent).
        return relationship("User", foreign_keys=lambda: [cls.user_id])


class StatusChange(ReferralRecord, db.Model):
    """One step of a referral's history: who moved it, when, from where to where, and why."""

    __tablename__ = "status_change"
    __table_args__ = (
        # The figures (revision 0014), each read from its index alone: the decisions of a
        # period, and each child's steps from receipt (the delays).
        Index("ix_status_change_decisions", "to_status", "at", "child_id", "reason", "service"),
        Index(
            "ix_status_change_steps", "referral_id", "child_id", "from_status", "to_status", "at"
        ),
    )
    referral_list = "history"

    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    # A decision's structured part (contract, "Decisions"): codes of intake.rules.decisions.
    reason: Mapped[str | None] = mapped_column(String(40), index=True)
    service: Mapped[str | None] = mapped_column(String(40), index=True)
    withdrawn_by: Mapped[str | None] = mapped_column(String(20))
    # Whether the reason is told to the family and the referrer (a redirection's service
    # always is).
    share_reason: Mapped[bool] = mapped_column(Boolean, default=False)
    # The child whose status changed: a change made for several children at once is a row
    # for each (their `at` and author the same).
    child_id: Mapped[int | None] = mapped_column(
        ForeignKey("child.id", ondelete="CASCADE"), index=True
    )

    # The EPS agenda item whose decision this change records, if a meeting decided it: a
    # meeting decides child by child, and its minutes say what it decided for each.
    # (use_alter: the agenda item names its first change too; the cycle is broken here for
    # the tables' creation order.)
    agenda_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="SET NULL", use_alter=True), index=True
    )

    child: Mapped[Child | None] = relationship()


class Agreement(db.Model):
    """A legal representative's prior agreement to the programme (loi 2005-32, art. 128)."""

    __tablename__ = "agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    guardian_name: Mapped[str] = mapped_column(String(200))
    given_on: Mapped[date] = mapped_column(Date)
    # signed_form, in_person, phone, email (intake.rules.decisions.AGREEMENT_METHODS)
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
    # The children it is given for, each withdrawn on its own; `withdrawn_on` above is set
    # once it is withdrawn for all of them.
    covers: Mapped[list[AgreementChild]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", passive_deletes=True
    )


class AgreementChild(db.Model):
    """A child an agreement is given for (parents agree for a given child), and whether and
    when it was withdrawn for that child."""

    __tablename__ = "agreement_child"
    __table_args__ = (UniqueConstraint("agreement_id", "child_id", name="uq_agreement_child"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"))
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"), index=True)
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    agreement: Mapped[Agreement] = relationship(back_populates="covers")
    child: Mapped[Child] = relationship(back_populates="agreement_covers")


class Correction(ReferralRecord, db.Model):
    """A coordinator's correction of a referral's fields, with what they held before.

    `previous` and `current` map each corrected field ("guardian_phone",
    "children.0.birth_date"…) to its value; `screening` keeps the children's screening before
    and after when the correction touched what screening reads. Shown to coordinators only.
    """

    __tablename__ = "correction"
    referral_list = "corrections"

    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    previous: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    current: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    screening: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Note(ReferralRecord, db.Model):
    """A coordinator's note on a referral: a call made, a document received, a next step."""

    __tablename__ = "note"
    referral_list = "notes"

    text: Mapped[str] = mapped_column(Text)


class Assignment(ReferralRecord, db.Model):
    """A change of who follows a referral: who made it, when, to whom (None: nobody)."""

    __tablename__ = "assignment"
    referral_list = "assignments"

    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
