"""Meetings of the équipe pluridisciplinaire de soutien and the referrals on their agendas."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.extensions import db
from intake.models.records import StatusChange
from intake.models.referral import Referral
from intake.models.staff import User
from intake.models.types import UTCDateTime, utcnow


class Meeting(db.Model):
    """A meeting of the équipe pluridisciplinaire de soutien (EPS), where the programme
    decides on the referrals put on its agenda."""

    __tablename__ = "meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    place: Mapped[str] = mapped_column(String(200))
    # [{"name": …, "organisation": …}, …]: who attends, as the agenda lists them.
    attendees: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # Optimistic concurrency, as for referrals: agenda changes carry the version they saw.
    version: Mapped[int] = mapped_column(Integer, default=1)

    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", order_by="AgendaItem.position", cascade="all, delete-orphan"
    )
    created_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}


class AgendaItem(db.Model):
    """A referral on a meeting's agenda, in its place, and what the meeting decided."""

    __tablename__ = "agenda_item"
    __table_args__ = (UniqueConstraint("meeting_id", "referral_id", name="uq_agenda_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    # The status the meeting decided (None until it has), the history entry that recorded it,
    # and the short minute written for it.
    decision: Mapped[str | None] = mapped_column(String(20))
    status_change_id: Mapped[int | None] = mapped_column(
        ForeignKey("status_change.id", ondelete="SET NULL")
    )
    minute: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    meeting: Mapped[Meeting] = relationship(back_populates="items")
    referral: Mapped[Referral] = relationship()
    status_change: Mapped[StatusChange | None] = relationship(foreign_keys=[status_change_id])
    # Each child's decision, one change each, in the order they were recorded.
    decisions: Mapped[list[StatusChange]] = relationship(
        foreign_keys="StatusChange.agenda_item_id", order_by="StatusChange.id", viewonly=True
    )
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
