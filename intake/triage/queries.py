"""What the queue selects: filters shared by the page and the CSV export."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from ..models import Agreement, Child, OutboxMessage, Referral
from ..screening import Eligibility
from ..workflow import Status

AGREEMENT_FILTERS = ("received", "missing")


@dataclass(frozen=True)
class QueueFilters:
    """The queue's query parameters, with unknown values dropped rather than erroring."""

    status: str = ""
    eligibility: str = ""
    q: str = ""
    # "received": a parent's agreement is recorded and not withdrawn; "missing": none is.
    agreement: str = ""

    @classmethod
    def from_args(cls, args: MultiDict) -> QueueFilters:
        """Read `status`, `eligibility`, `agreement` and `q` from the query string, ignoring
        bad values."""
        status = args.get("status", "")
        eligibility = args.get("eligibility", "")
        agreement = args.get("agreement", "")
        return cls(
            status=status if status in {s.value for s in Status} else "",
            eligibility=eligibility if eligibility in {e.value for e in Eligibility} else "",
            q=args.get("q", "").strip()[:100],
            agreement=agreement if agreement in AGREEMENT_FILTERS else "",
        )

    def as_args(self) -> dict[str, str]:
        """The non-empty filters, to carry them into pagination and export links."""
        return {key: value for key, value in vars(self).items() if value}


def queue_query(filters: QueueFilters) -> Select:
    """Referrals matching `filters`, newest first, with their children loaded alongside."""
    # Both the queue and the export show each referral's children: one query for all of them
    # rather than one per row.
    query = select(Referral).options(selectinload(Referral.children))
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
    if filters.q:
        needle = filters.q.lower()
        pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        names = select(Child.referral_id).where(
            or_(
                func.lower(Child.last_name).like(pattern, escape="\\"),
                func.lower(Child.first_name).like(pattern, escape="\\"),
            )
        )
        query = query.where(
            or_(
                func.lower(Referral.reference).like(pattern, escape="\\"),
                func.lower(Referral.guardian_name).like(pattern, escape="\\"),
                Referral.id.in_(names),
            )
        )
    return query.order_by(Referral.received_at.desc(), Referral.id.desc())


def with_undelivered_mail(referral_ids: Collection[int]) -> Select:
    """Which of these referrals have an e-mail that stopped undelivered: one query a page."""
    return (
        select(OutboxMessage.referral_id)
        .where(OutboxMessage.referral_id.in_(referral_ids), OutboxMessage.stopped_at.is_not(None))
        .distinct()
    )


def undelivered_mail(referral_id: int) -> Select:
    """A referral's e-mails that stopped undelivered, oldest stop first."""
    return (
        select(OutboxMessage)
        .where(OutboxMessage.referral_id == referral_id, OutboxMessage.stopped_at.is_not(None))
        .order_by(OutboxMessage.stopped_at, OutboxMessage.id)
    )
