"""Referrals, the children they name, and the per-year counter their references come from."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from intake.extensions import db
from intake.models.staff import User
from intake.models.types import UTCDateTime, utcnow
from intake.rules.home_languages import home_language_codes
from intake.rules.parcours import school_level
from intake.rules.search import referral_key
from intake.rules.workflow import Status, referral_status

if TYPE_CHECKING:
    from intake.models.parcours import Parcours
    from intake.models.records import (
        Agreement,
        AgreementChild,
        Assignment,
        Correction,
        Note,
        StatusChange,
    )


class Source(StrEnum):
    """Who sent the referral."""

    PROFESSIONAL = "professional"
    PARENT = "parent"


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
        # Each ends with `anonymised_at` (revision 0013): the queue lists only referrals
        # whose data are still there, and reads that from the index entry it walks anyway,
        # not from each row (a key column, last: the order the queue reads is unchanged).
        Index(
            "ix_referral_queue",
            "received_at",
            "id",
            "anonymised_at",
            postgresql_include=["status"],
        ),
        Index("ix_referral_status_queue", "status", "received_at", "id", "anonymised_at"),
        Index("ix_referral_eligibility_queue", "eligibility", "received_at", "id", "anonymised_at"),
        # The same for the workspace's filters and sorts: whose case it is, suspected
        # duplicates, urgent first, longest untouched first.
        Index("ix_referral_assigned_queue", "assigned_to_id", "received_at", "id", "anonymised_at"),
        Index(
            "ix_referral_duplicate_queue",
            "duplicate_suspected",
            "received_at",
            "id",
            "anonymised_at",
        ),
        Index("ix_referral_urgent_queue", "urgent", "received_at", "id", "anonymised_at"),
        Index("ix_referral_activity_queue", "last_activity_at", "id", "anonymised_at"),
        Index("ix_referral_source_queue", "source", "received_at", "id", "anonymised_at"),
        # Issue 27 (revision 0016): "Interprète utile", and "Contact incertain", which is rare
        # and reads `contact_doubt IS NOT NULL`: an index of those rows only, in the queue's
        # order, is walked as the others are.
        Index("ix_referral_interpreter_queue", "interpreter", "received_at", "id", "anonymised_at"),
        Index(
            "ix_referral_contact_doubt_queue",
            "received_at",
            "id",
            "anonymised_at",
            sqlite_where=text("contact_doubt IS NOT NULL"),
            postgresql_where=text("contact_doubt IS NOT NULL"),
        ),
        # What the duplicate check reads of each candidate's referral, and the search of the
        # received date and status of each referral it finds: answered from the index,
        # without reading the (wide) row.
        Index("ix_referral_id_received_status", "id", "received_at", "status", "anonymised_at"),
        # The figures (revision 0014): the period's referrals by origin, read from the index
        # alone; and the latest anonymisation, which tells their cache a purge happened.
        # Partial, of the anonymised only: whole, SQLite took it for the queue's
        # `anonymised_at IS NULL` (every row) and sorted the table for each page.
        Index("ix_referral_received_by", "received_at", "source", "referrer_role"),
        Index(
            "ix_referral_anonymised",
            "anonymised_at",
            sqlite_where=text("anonymised_at IS NOT NULL"),
            postgresql_where=text("anonymised_at IS NOT NULL"),
        ),
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
    # What staff search by, normalised (intake.rules.search); kept up to date on every flush that
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
    # When `retention purge` erased what identified the family (intake.rules.retention's
    # ANONYMISED): the row keeps the codes and dates the figures count, and leaves the queue,
    # the searches and the pages (None: the data are all there).
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

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

    # Languages (revision 0015). The family is written to in `contact_language` ("fr", "en"),
    # chosen on the form (the page's language by default); the referrer in the language of
    # the page the referral was sent from (`sent_language`). What is spoken at home, as the
    # sender typed it, and whether an interpreter would help.
    contact_language: Mapped[str] = mapped_column(String(2), default="fr", server_default="fr")
    sent_language: Mapped[str] = mapped_column(String(2), default="fr", server_default="fr")
    home_languages: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # The same as codes (intake.rules.home_languages: "ta en", "other"), kept in step with
    # `home_languages` by `keep_home_language_codes` (revision 0018): what the exports hold,
    # never the words typed. The queue filters on `language_rows`, which an index serves.
    home_language_codes: Mapped[str] = mapped_column(String(200), default="", server_default="")
    interpreter: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Why the family may not be reachable by what was given ("contact incertain"), a code of
    # intake.rules.reach.ContactDoubt: set at submission (a misspelt e-mail domain, no phone),
    # when an e-mail to the family stops undelivered, and again when its contact is corrected.
    contact_doubt: Mapped[str | None] = mapped_column(String(20))

    children: Mapped[list[Child]] = relationship(
        back_populates="referral", order_by="Child.position", cascade="all, delete-orphan"
    )
    # The languages spoken at home, a row per code (`ReferralLanguage`), kept in step with
    # `home_languages` as `home_language_codes` is.
    language_rows: Mapped[list[ReferralLanguage]] = relationship(
        order_by="ReferralLanguage.code", cascade="all, delete-orphan", passive_deletes=True
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
        """Whether a legal representative's agreement is recorded and not withdrawn (for one
        of the children at least)."""
        return any(agreement.withdrawn_on is None for agreement in self.agreements)

    def derive_status(self) -> str:
        """Set the referral's status from its children's (contract, "Children, one by one")
        and return it."""
        self.status = referral_status(child.status for child in self.children)
        return self.status

    def child_at(self, number: int) -> Child | None:
        """The child shown as number `number` (1 to 4) on the referral's page, if any."""
        return next((child for child in self.children if child.number == number), None)

    @property
    def timeline(self) -> list[tuple[str, StatusChange | Assignment, list[Child]]]:
        """The history as the detail page tells it, in time order: status changes ("status")
        and changes of référent ("assignment"); a status change made for several children at
        once is one entry, with the children it was for (empty for an assignment)."""
        entries: list[tuple[str, Any, list[Child]]] = []
        seen: dict[tuple, list[Child]] = {}
        for change in self.history:
            key = (change.at, change.user_id, change.from_status, change.to_status)
            if key in seen:
                if change.child is not None:
                    seen[key].append(change.child)
                continue
            seen[key] = [change.child] if change.child is not None else []
            entries.append(("status", change, seen[key]))
        entries += [("assignment", assignment, []) for assignment in self.assignments]
        return sorted(entries, key=lambda entry: (entry[1].at, entry[0] == "assignment"))

    def touch(self, user: User, now: datetime | None = None) -> datetime:
        """Record that `user` changed this referral now: its activity date, its author, and
        through the UPDATE this makes, its version (SQLAlchemy's version counter)."""
        now = now or utcnow()
        self.last_activity_at = now
        self.updated_by_id = user.id
        return now


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
        # The figures (revision 0014): the coded screening of the period's children, and
        # the coded profile of each child supported, read from the index alone.
        Index(
            "ix_child_received",
            "referral_id",
            "school",
            "screening_network",
            "screening_qpv",
            "screening_residence",
            "eligibility",
        ),
        Index(
            "ix_child_profile",
            "id",
            "sex",
            "birth_date",
            "school_level",
            "screening_qpv",
            "screening_network",
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
    # What the screening saw, in columns the yearly figures count from (not from the JSON):
    # the residence code, the QPV matched (None outside any), the school's UAI and network as
    # the territory listed them that day ("REP+", "REP", "" none; None: school not listed),
    # and the day the territory file was built (None for a file written by hand).
    screening_residence: Mapped[str | None] = mapped_column(String(20))
    screening_qpv: Mapped[str | None] = mapped_column(String(16))
    screening_uai: Mapped[str | None] = mapped_column(String(8))
    screening_network: Mapped[str | None] = mapped_column(String(4))
    screening_territory_date: Mapped[date | None] = mapped_column(Date)
    # Where this child stands (contract, "Children, one by one"): the referral's own status is
    # derived from its children's (Referral.derive_status).
    status: Mapped[str] = mapped_column(String(20), default=Status.NEW.value)
    # "F", "M", or "" not stated: entered by the coordinator, never asked on the public forms.
    sex: Mapped[str] = mapped_column(String(1), default="")
    # The school level the class is (intake.rules.parcours.school_level), kept in step with
    # `class_level` by `keep_school_level`: what the yearly figures group by.
    school_level: Mapped[str | None] = mapped_column(String(12))

    referral: Mapped[Referral] = relationship(back_populates="children")
    agreement_covers: Mapped[list[AgreementChild]] = relationship(
        back_populates="child", cascade="all, delete-orphan", passive_deletes=True
    )
    parcours: Mapped[Parcours | None] = relationship(
        back_populates="child", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def has_agreement(self) -> bool:
        """Whether an agreement covering this child stands (given, not withdrawn for it)."""
        return any(cover.withdrawn_on is None for cover in self.agreement_covers)

    @property
    def number(self) -> int:
        """The child's position as the pages show it: 1 to 4."""
        return self.position + 1


@event.listens_for(Child.class_level, "set")
@event.listens_for(Child.birth_date, "set")
def keep_school_level(child: Child, value: Any, old: Any, initiator: Any) -> None:
    """The school level follows the class (and, for a class the form does not list, the
    age): whatever sets it, a submission, a correction or the seeder."""
    class_level = value if initiator.key == "class_level" else child.class_level
    birth_date = value if initiator.key == "birth_date" else child.birth_date
    if class_level is None:
        return
    received = child.referral.received_at if child.referral is not None else None
    on = received.date() if received is not None else utcnow().date()
    child.school_level = school_level(class_level, birth_date, on)


class ReferralLanguage(db.Model):
    """A language a family said it speaks at home, by its code (intake.rules.home_languages):
    a row per referral and code. The queue's filter reads the referrals of one code from the
    index (code, referral), rather than every referral's codes."""

    __tablename__ = "referral_language"
    __table_args__ = (Index("ix_referral_language_code", "code", "referral_id"),)

    # Neither is numbered by the database (`autoincrement=False`: the Core INSERT of a
    # submission, intake.models.rows, then writes both).
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    code: Mapped[str] = mapped_column(String(8), primary_key=True, autoincrement=False)


@event.listens_for(Referral.home_languages, "set")
def keep_home_language_codes(referral: Referral, value: Any, old: Any, initiator: Any) -> None:
    """The codes (the column and the rows) follow the words, whatever sets them: a
    submission, a correction, retention blanking them. (The seeder, which writes rows
    without objects, gives both itself.)"""
    codes = home_language_codes(value)
    spaced = " ".join(codes)
    if referral.home_language_codes == spaced and (spaced or not referral.language_rows):
        return  # nothing to change: no row deleted and written again
    referral.home_language_codes = spaced
    referral.language_rows = [ReferralLanguage(code=code) for code in codes]


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
            # An anonymised referral is found by no search: its key would hold its reference.
            key = "" if referral.anonymised_at is not None else referral_key(referral)
            # Only a real change is written: an equal value would still bump the version.
            if referral.search_key != key:
                referral.search_key = key
