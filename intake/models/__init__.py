"""Database models: referrals, their children, history, outbox and staff accounts."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship
from sqlalchemy.types import TypeDecorator
from werkzeug.security import check_password_hash, generate_password_hash

from intake.extensions import db
from intake.rules.search import referral_key
from intake.rules.workflow import Status


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def new_session_token() -> str:
    """A fresh random value for `User.session_token`."""
    return secrets.token_urlsafe(24)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite has no time zones and would hand back naive datetimes, which cannot be compared
    with aware ones; normalising here keeps the rest of the code identical on both databases.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None


class Source(StrEnum):
    """Who sent the referral."""

    PROFESSIONAL = "professional"
    PARENT = "parent"


class Role(StrEnum):
    """What a staff account may do."""

    COORDINATOR = "coordinator"
    VIEWER = "viewer"


class User(UserMixin, db.Model):
    """A staff account of the programme's coordination."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=Role.COORDINATOR.value)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of the login session's identity: changing it (logout, new password, deactivation)
    # makes every copy of an earlier session cookie worthless.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    # How this account hears of new referrals: "each" (an e-mail per referral), "daily" (the
    # `outbox digest`), "none". Viewers start with none.
    alerts: Mapped[str] = mapped_column(String(10), default="each")
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def can_edit(self) -> bool:
        """Whether this account may change referrals (viewers only read)."""
        return self.role == Role.COORDINATOR

    def get_id(self) -> str:
        """The login session's identity: the account and its current session token."""
        return f"{self.id}:{self.session_token}"

    def end_sessions(self) -> None:
        """Refuse every session cookie issued so far, wherever it was copied to."""
        self.session_token = new_session_token()

    def set_password(self, password: str, method: str = "scrypt") -> None:
        """Store a salted hash of `password`, never the password itself; a new password
        ends the sessions opened with the old one."""
        self.password_hash = generate_password_hash(password, method=method)
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        """Return whether `password` matches the stored hash."""
        return check_password_hash(self.password_hash, password)


class ReferenceCounter(db.Model):
    """The last number handed out for a year; its row lock serialises concurrent submissions."""

    __tablename__ = "reference_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Referral(db.Model):
    """One referral or request: the family, the sender, the situation and its progress."""

    __tablename__ = "referral"
    __table_args__ = (
        UniqueConstraint("year", "number", name="uq_referral_year_number"),
        # The queue reads newest first, by (received_at, id), under each of its filters: an
        # index ending in that order serves a page, and the next one from the last row seen,
        # without sorting or skipping rows, whatever the size of the table.
        # On PostgreSQL it also carries the status, which a walk under a filter returns with
        # each id for the tabs to count: a walk that checks each referral elsewhere (its
        # agreement) then reads the index alone, not each wide row (revision 0010).
        Index("ix_referral_queue", "received_at", "id", postgresql_include=["status"]),
        Index("ix_referral_status_queue", "status", "received_at", "id"),
        Index("ix_referral_eligibility_queue", "eligibility", "received_at", "id"),
        # The same for the workspace's filters and sorts: whose case it is, suspected
        # duplicates, urgent first, longest untouched first.
        Index("ix_referral_assigned_queue", "assigned_to_id", "received_at", "id"),
        Index("ix_referral_duplicate_queue", "duplicate_suspected", "received_at", "id"),
        Index("ix_referral_urgent_queue", "urgent", "received_at", "id"),
        Index("ix_referral_activity_queue", "last_activity_at", "id"),
        Index("ix_referral_source_queue", "source", "received_at", "id"),
        # What the duplicate check reads of each candidate's referral, and the search of the
        # received date and status of each referral it finds: answered from the index,
        # without reading the (wide) row.
        Index("ix_referral_id_received_status", "id", "received_at", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default=Status.NEW.value)
    eligibility: Mapped[str] = mapped_column(String(20))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # A digest of what was typed: the same form sent twice in a row (a double click, a
    # reloaded POST) is recognised and not stored again.
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    # What staff search by, normalised (intake.search); kept up to date on every flush that
    # writes the referral or a child. Indexed by the migration: pg_trgm on PostgreSQL, an FTS5
    # trigram table on SQLite.
    search_key: Mapped[str] = mapped_column(Text, default="")
    # Retention counts from the last activity of a final referral.
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Optimistic concurrency: every change form carries the version it was read at, and
    # SQLAlchemy adds `WHERE version = …` to each UPDATE, so two coordinators cannot overwrite
    # each other. Any change to the referral or what hangs from it touches this row.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Who made the last change, for the "modifié par … à …" of a refused stale change.
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # The staff member who follows the case (its référent), if any; every change of it is an
    # Assignment row.
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # Whether a DuplicatePair still waiting for a coordinator's answer names this referral:
    # kept on the row so that the queue's filter reads an index instead of a join.
    duplicate_suspected: Mapped[bool] = mapped_column(Boolean, default=False)

    guardian_name: Mapped[str] = mapped_column(String(200))
    guardian_phone: Mapped[str | None] = mapped_column(String(32))
    guardian_email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(500))
    postcode: Mapped[str] = mapped_column(String(10))
    city: Mapped[str] = mapped_column(String(200))
    domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    situation: Mapped[str] = mapped_column(Text)

    referrer_name: Mapped[str | None] = mapped_column(String(200))
    referrer_organisation: Mapped[str | None] = mapped_column(String(200))
    referrer_role: Mapped[str | None] = mapped_column(String(40))
    referrer_email: Mapped[str | None] = mapped_column(String(254))
    referrer_phone: Mapped[str | None] = mapped_column(String(32))
    actions_tried: Mapped[str | None] = mapped_column(Text)
    family_informed: Mapped[bool] = mapped_column(Boolean, default=False)

    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    heard_from: Mapped[str | None] = mapped_column(String(500))

    children: Mapped[list[Child]] = relationship(
        back_populates="referral", order_by="Child.position", cascade="all, delete-orphan"
    )
    history: Mapped[list[StatusChange]] = relationship(
        back_populates="referral", order_by="StatusChange.id", cascade="all, delete-orphan"
    )
    notes: Mapped[list[Note]] = relationship(
        back_populates="referral", order_by="Note.id", cascade="all, delete-orphan"
    )
    agreements: Mapped[list[Agreement]] = relationship(
        back_populates="referral", order_by="Agreement.id", cascade="all, delete-orphan"
    )
    corrections: Mapped[list[Correction]] = relationship(
        back_populates="referral", order_by="Correction.id", cascade="all, delete-orphan"
    )
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="referral", order_by="Assignment.id", cascade="all, delete-orphan"
    )
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def has_agreement(self) -> bool:
        """Whether a legal representative's agreement is recorded and not withdrawn."""
        return any(agreement.withdrawn_on is None for agreement in self.agreements)

    @property
    def timeline(self) -> list[tuple[str, StatusChange | Assignment]]:
        """The history as the detail page tells it: status changes ("status") and changes of
        référent ("assignment"), in time order."""
        entries = [("status", change) for change in self.history]
        entries += [("assignment", assignment) for assignment in self.assignments]
        return sorted(entries, key=lambda entry: (entry[1].at, entry[0] == "assignment"))


class Child(db.Model):
    """A child named in a referral, with the screening made when it was received."""

    __tablename__ = "child"
    __table_args__ = (
        # The queue's school filter finds referrals through their children's school.
        Index("ix_child_school", "school", "referral_id"),
        # The duplicate check looks for children born the same day, and reads their names and
        # referral from the index alone.
        Index(
            "ix_child_birth_date_names",
            "birth_date",
            "referral_id",
            "first_name",
            "last_name",
            "id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100), index=True)
    # Indexed with the names (ix_child_birth_date_names): the duplicate check.
    birth_date: Mapped[date] = mapped_column(Date)
    school: Mapped[str] = mapped_column(String(20))
    school_other: Mapped[str | None] = mapped_column(String(200))
    class_level: Mapped[str] = mapped_column(String(10))
    eligibility: Mapped[str] = mapped_column(String(20))
    screening: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    referral: Mapped[Referral] = relationship(back_populates="children")


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
    status_change: Mapped[StatusChange | None] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


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


@event.listens_for(Session, "before_flush")
def refresh_search_keys(session: Session, flush_context: Any, instances: Any) -> None:
    """Recompute the search key of every referral written by this flush, or whose children
    are: whatever the code path (a submission, a correction, a script), the key never lags."""
    referrals = set()
    for instance in (*session.new, *session.dirty):
        if isinstance(instance, Referral):
            referrals.add(instance)
        elif isinstance(instance, Child) and instance.referral is not None:
            referrals.add(instance.referral)
    with session.no_autoflush:
        for referral in referrals:
            key = referral_key(referral)
            # Only a real change is written: an equal value would still bump the version.
            if referral.search_key != key:
                referral.search_key = key
