"""A child's parcours: from its entry (the decision to support it) through its objectives,
actions and reviews to its exit. One per child, opened when the child is accepted.

Everything here is a change of the child's referral: each write touches the referral
(`Referral.touch`), so the referral's version guards these forms as it guards the others.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.extensions import db
from intake.models.referral import Child
from intake.models.staff import User
from intake.models.types import UTCDateTime, utcnow


class Parcours(db.Model):
    """The support agreed for one child: when it began, who follows it, how it ended."""

    __tablename__ = "parcours"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"), unique=True)
    # Kept beside the child's for the figures, which count parcours without reading children.
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    # The entry: the day of the decision, and when and by whom it was recorded.
    entered_on: Mapped[date] = mapped_column(Date, index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # The référent de parcours: a staff account, or a person outside the programme.
    referent_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    referent_name: Mapped[str] = mapped_column(String(200), default="")
    referent_organisation: Mapped[str] = mapped_column(String(200), default="")
    # When the next review is due (the latest review's), for the queue's "à revoir".
    next_review_on: Mapped[date | None] = mapped_column(Date, index=True)
    # The exit (contract, "Children, one by one"): a reason code, a service for `handed_over`.
    ended_on: Mapped[date | None] = mapped_column(Date, index=True)
    exit_reason: Mapped[str | None] = mapped_column(String(20), index=True)
    exit_service: Mapped[str | None] = mapped_column(String(40))
    exit_comment: Mapped[str] = mapped_column(Text, default="")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    child: Mapped[Child] = relationship(back_populates="parcours")
    referent: Mapped[User | None] = relationship(foreign_keys=[referent_id])
    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id])
    ended_by: Mapped[User | None] = relationship(foreign_keys=[ended_by_id])
    objectives: Mapped[list[Objective]] = relationship(
        back_populates="parcours", order_by="Objective.id", cascade="all, delete-orphan"
    )
    actions: Mapped[list[Action]] = relationship(
        back_populates="parcours", order_by="Action.id", cascade="all, delete-orphan"
    )
    reviews: Mapped[list[Review]] = relationship(
        back_populates="parcours", order_by="Review.id", cascade="all, delete-orphan"
    )

    @property
    def ended(self) -> bool:
        return self.ended_on is not None


class ParcoursRecord:
    """What every record of a parcours starts with: its parcours, when and by whom."""

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-4)
    parcours_id: Mapped[int] = mapped_column(
        ForeignKey("parcours.id", ondelete="CASCADE"), index=True, sort_order=-3
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, sort_order=-2)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), sort_order=-1
    )


class Objective(ParcoursRecord, db.Model):
    """What the parcours aims at in one domain of difficulty (the contract's `domains`)."""

    __tablename__ = "parcours_objective"
    __table_args__ = (UniqueConstraint("parcours_id", "domain", name="uq_parcours_objective"),)

    domain: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(String(500), default="")

    parcours: Mapped[Parcours] = relationship(back_populates="objectives")


class Action(ParcoursRecord, db.Model):
    """Something put in place for the child: its kind, alone or in a group, with whom, when."""

    __tablename__ = "parcours_action"
    # The figures (revision 0014): the actions running in a period, read from the index alone.
    __table_args__ = (
        Index("ix_parcours_action_period", "started_on", "ended_on", "kind", "collective"),
    )

    # intake.rules.parcours.ACTION_KINDS, or a kind the territory file adds.
    kind: Mapped[str] = mapped_column(String(40), index=True)
    # What `other` is, or a detail of the kind.
    detail: Mapped[str] = mapped_column(String(300), default="")
    collective: Mapped[bool] = mapped_column(Boolean, default=False)
    partner: Mapped[str] = mapped_column(String(200), default="")
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)

    parcours: Mapped[Parcours] = relationship(back_populates="actions")


class Review(ParcoursRecord, db.Model):
    """A review of the parcours by the EPS or the team: when, what was said, when next."""

    __tablename__ = "parcours_review"

    held_on: Mapped[date] = mapped_column(Date)
    # intake.rules.parcours.REVIEW_KINDS
    kind: Mapped[str] = mapped_column(String(10))
    summary: Mapped[str] = mapped_column(Text, default="")
    next_on: Mapped[date | None] = mapped_column(Date)
    # Its number in the parcours, for a stable anchor on the page.
    number: Mapped[int] = mapped_column(Integer, default=0)

    parcours: Mapped[Parcours] = relationship(back_populates="reviews")
