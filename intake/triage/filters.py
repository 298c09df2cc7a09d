"""The queue's filters, read from the query string: the page, its links and the exports."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, or_, select, text, true
from sqlalchemy.orm import aliased
from werkzeug.datastructures import MultiDict

from intake.extensions import db
from intake.models import (
    Agreement,
    Child,
    Parcours,
    Referral,
    ReferralLanguage,
    Role,
    Source,
    User,
)
from intake.parcours.operations import review_due
from intake.rules.clock import today
from intake.rules.home_languages import LABELS as SPOKEN_LABELS
from intake.rules.screening import OTHER_SCHOOL, Eligibility
from intake.rules.workflow import Status
from intake.triage.cursors import MAX_ID, SORTS
from intake.triage.search import search_condition

AGREEMENT_FILTERS = ("received", "missing")
# `school`: a UAI of the territory, or this for a child at another school or none.
# The query parameters the filters read, in the order the links carry them.
PARAMS = (
    "status",
    "eligibility",
    "source",
    "school",
    "urgent",
    "assigned",
    "duplicate",
    "interpreter",
    "language",
    "uncertain",
    "agreement",
    "review",
    "q",
    "sort",
)
# `review`: "due", a child's parcours is open and its review date has come.
REVIEW_FILTERS = ("due",)


@dataclass(frozen=True)
class QueueFilters:
    """The queue's query parameters, with unknown values dropped rather than erroring."""

    status: str = ""
    eligibility: str = ""
    q: str = ""
    # "received": a parent's agreement is recorded and not withdrawn; "missing": none is.
    agreement: str = ""
    source: str = ""
    # A UAI of the territory, or OTHER_SCHOOL: one of the referral's children goes there.
    school: str = ""
    # "due": a child's parcours is under way and its next review is today or past (as of
    # `today`, set with it: the filters say what they select on the day they are read).
    review: str = ""
    today: date | None = field(default=None, compare=False)
    # "1": only urgent referrals; only referrals a duplicate check flagged.
    urgent: str = ""
    duplicate: str = ""
    # "1": only referrals saying an interpreter would help; only those whose family may not
    # be reachable by what it gave ("contact incertain").
    interpreter: str = ""
    uncertain: str = ""
    # A code of intake.rules.home_languages.LABELS: only the families who said they speak
    # that language at home ("other": one the service does not know by name).
    language: str = ""
    # Whose case: "me", "nobody", or a staff account's id, as the links carry it (so that a
    # "Mes dossiers" link means the same for everyone); `assigned_id` is whom it names.
    assigned: str = ""
    # SORTS' names; the default, "received", is left out of the links.
    sort: str = "received"
    assigned_id: int | None = field(default=None, compare=False)

    @classmethod
    def from_args(
        cls,
        args: MultiDict,
        *,
        user_id: int | None = None,
        schools: Collection[str] = (),
        staff_ids: Collection[int] = (),
    ) -> QueueFilters:
        """Read the filters from the query string, ignoring bad values: a `school` that is not
        one of `schools` (or "other"), an `assigned` that is not "me" (the account `user_id`),
        "nobody" or one of `staff_ids`."""
        status = args.get("status", "")
        eligibility = args.get("eligibility", "")
        agreement = args.get("agreement", "")
        source = args.get("source", "")
        school = args.get("school", "")
        sort = args.get("sort", "")
        review = args.get("review", "")
        language = args.get("language", "")
        assigned, assigned_id = read_assigned(args.get("assigned", ""), user_id, staff_ids)
        return cls(
            status=status if status in {s.value for s in Status} else "",
            eligibility=eligibility if eligibility in {e.value for e in Eligibility} else "",
            q=args.get("q", "").strip()[:100],
            agreement=agreement if agreement in AGREEMENT_FILTERS else "",
            review=review if review in REVIEW_FILTERS else "",
            today=today() if review in REVIEW_FILTERS else None,
            source=source if source in {s.value for s in Source} else "",
            school=school if school == OTHER_SCHOOL or school in schools else "",
            urgent="1" if args.get("urgent") == "1" else "",
            duplicate="1" if args.get("duplicate") == "1" else "",
            interpreter="1" if args.get("interpreter") == "1" else "",
            uncertain="1" if args.get("uncertain") == "1" else "",
            language=language if language in SPOKEN_LABELS else "",
            assigned=assigned,
            assigned_id=assigned_id,
            sort=sort if sort in SORTS else "received",
        )

    def as_args(self, **changes: str) -> dict[str, str]:
        """The filters that select something (with `changes` made: another status for a tab),
        to carry them into pagination, tab and export links."""
        values = {name: getattr(self, name) for name in PARAMS} | changes
        if values["sort"] == "received":
            del values["sort"]
        return {key: value for key, value in values.items() if value}


def read_assigned(
    text: str, user_id: int | None, staff_ids: Collection[int]
) -> tuple[str, int | None]:
    """`assigned` as the filters keep it and the account it names (None for nobody), or
    ("", None) when it names no one the queue knows."""
    if text == "me" and user_id is not None:
        return text, user_id
    if text == "nobody":
        return text, None
    if text.isascii() and text.isdigit() and int(text) <= MAX_ID and int(text) in staff_ids:
        return str(int(text)), int(text)
    return "", None


def filter_staff() -> Select:
    """The accounts the queue's `assigned` filter offers, by e-mail: every coordinator, and
    anyone else still named référent of a referral (a former coordinator's cases)."""
    named = select(Referral.id).where(Referral.assigned_to_id == User.id).exists()
    return select(User).where(or_(User.role == Role.COORDINATOR.value, named)).order_by(User.email)


def referents() -> Select:
    """The accounts a referral may be assigned to: active coordinators (a viewer cannot
    follow a case), by e-mail."""
    return (
        select(User)
        .where(User.role == Role.COORDINATOR.value, User.active == true())
        .order_by(User.email)
    )


def serial_plans(filters: QueueFilters) -> None:
    """Ask PostgreSQL, for this transaction, not to run the queue's queries in parallel when
    `filters` select the speakers of a language. Its planner walks the queue's index and
    looks each referral up among the speakers (the right plan: 101 matches of a language
    spoken by 1.5 % of families are found within 6,600 index entries, whatever the table's
    size), but with two workers, whose start took 10 of the 12.7 ms the query lasted at
    100,000 referrals; 4.8 ms alone. SQLite has no parallel plans."""
    if filters.language and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))


def filtered(query: Select, filters: QueueFilters) -> Select:
    """`query` restricted to the referrals `filters` select (never an anonymised one: its
    data are gone, its row stays for the figures). Each queue index ends with
    `anonymised_at` (revision 0013), so the walk checks it on the index entries it reads."""
    if not filters.q:
        # A search needs no such check: an anonymised referral's search key is empty (the
        # purge empties it, the flush hook keeps it so), and no needle matches an empty key.
        # Checked beside the trigram index's matches, it made a search of the commonest
        # family name at 100,000 referrals on PostgreSQL three times slower.
        query = query.where(Referral.anonymised_at.is_(None))
    if filters.status:
        query = query.where(Referral.status == filters.status)
    if filters.eligibility:
        query = query.where(Referral.eligibility == filters.eligibility)
    if filters.agreement:
        # The same rule as Referral.has_agreement, in SQL.
        agreed = (
            select(Agreement.id)
            .where(Agreement.referral_id == Referral.id, Agreement.withdrawn_on.is_(None))
            .exists()
        )
        query = query.where(agreed if filters.agreement == "received" else ~agreed)
    if filters.review:
        # Answered from ix_parcours_referral_id for each referral, as the school's filter.
        due = (
            select(Parcours.id)
            .where(Parcours.referral_id == Referral.id, review_due(filters.today or today()))
            .correlate(Referral)
            .exists()
        )
        query = query.where(due)
    if filters.source:
        query = query.where(Referral.source == filters.source)
    if filters.school:
        # A correlated EXISTS, answered from ix_child_school (school, referral_id) for each
        # referral: the page walks the queue's index in its order and stops after a page of
        # matches. Written as IN (…), SQLite read and sorted every referral of the school
        # first (11× at 100,000); PostgreSQL plans either form from its statistics.
        # Its own alias of child: the spreadsheet's query reads children too, and its rows
        # must not be taken for the ones at this school.
        sibling = aliased(Child)
        at_school = (
            select(sibling.id)
            .where(sibling.referral_id == Referral.id, sibling.school == filters.school)
            .correlate(Referral)
            .exists()
        )
        query = query.where(at_school)
    if filters.urgent:
        query = query.where(Referral.urgent == true())
    if filters.duplicate:
        query = query.where(Referral.duplicate_suspected == true())
    if filters.interpreter:
        query = query.where(Referral.interpreter == true())
    if filters.language:
        # IN (…), not a correlated EXISTS as for the school: a language is spoken in few
        # families, so SQLite reads and sorts the few referrals ix_referral_language_code
        # lists, rather than walk the queue in its order until a page of them is found
        # (every referral read for a language no family speaks: 70 ms at 100,000).
        # PostgreSQL plans either form from its statistics (see serial_plans).
        speakers = select(ReferralLanguage.referral_id).where(
            ReferralLanguage.code == filters.language
        )
        query = query.where(Referral.id.in_(speakers))
    if filters.uncertain:
        # Worded as ix_referral_contact_doubt_queue's condition, so the planners walk it.
        query = query.where(Referral.contact_doubt.is_not(None))
    if filters.assigned == "nobody":
        query = query.where(Referral.assigned_to_id.is_(None))
    elif filters.assigned:
        query = query.where(Referral.assigned_to_id == filters.assigned_id)
    if filters.q:
        query = query.where(search_condition(filters.q))
    return query
