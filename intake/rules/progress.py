"""What a family or a referrer is told of a referral: its public steps, its outcome, its
children in years only. Pure rules over plain data, no Flask: the status page and the
e-mails display their result.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from intake.i18n import N_
from intake.rules.workflow import Status

# A decision the family and the referrer are told of. `closed` is not one: it ends an
# accepted parcours, and the family knows that already.
DECISIONS = frozenset({Status.ACCEPTED, Status.REDIRECTED, Status.DECLINED, Status.WITHDRAWN})
# Where the coordination still has to decide.
UNDECIDED = frozenset({Status.NEW, Status.IN_REVIEW, Status.EPS})


class Step(StrEnum):
    """The public steps of a referral, in order."""

    RECEIVED = "received"
    IN_REVIEW = "in_review"
    DECISION = "decision"


STEP_LABELS: dict[Step, str] = {
    Step.RECEIVED: N_("Demande reçue"),
    Step.IN_REVIEW: N_("En cours d’examen"),
    Step.DECISION: N_("Décision"),
}


class Change(Protocol):
    """What these rules read of a StatusChange."""

    at: datetime
    to_status: str
    reason: str | None
    service: str | None
    share_reason: bool


@dataclass(frozen=True)
class Outcome:
    """A decision as the family and the referrer may read it: codes, never the comment."""

    status: Status
    at: datetime
    # The reason's code, only when the coordinator chose to share it.
    reason: str | None
    # A redirection's service is always told: the family needs to know where to go.
    service: str | None


def outcome_of(change: Change) -> Outcome | None:
    """The public outcome a status change announces, or None if it is not a decision."""
    status = Status(change.to_status)
    if status not in DECISIONS:
        return None
    return Outcome(
        status=status,
        at=change.at,
        reason=change.reason if change.share_reason and status != Status.ACCEPTED else None,
        service=change.service if status == Status.REDIRECTED else None,
    )


def public_steps(
    received_at: datetime, status: str, history: Sequence[Change]
) -> list[tuple[Step, datetime | None]]:
    """Each public step with the date it was reached, or None while it is still ahead.

    "En cours d'examen" is the first move out of `new`; "décision" the last decision, unless
    the referral was reopened since (it is then under review again). A decision taken
    straight from `new` leaves the review step without a date.
    """
    review = next(
        (c.at for c in history if Status(c.to_status) in {Status.IN_REVIEW, Status.EPS}), None
    )
    decision = latest_outcome(status, history)
    return [
        (Step.RECEIVED, received_at),
        (Step.IN_REVIEW, review),
        (Step.DECISION, decision.at if decision else None),
    ]


def latest_outcome(status: str, history: Sequence[Change]) -> Outcome | None:
    """The decision that stands: the last one, unless the referral is undecided again."""
    if Status(status) in UNDECIDED:
        return None
    for change in reversed(history):
        outcome = outcome_of(change)
        if outcome is not None:
            return outcome
    return None


def birth_years(birth_dates: Iterable[date]) -> list[int]:
    """The children's years of birth, each once, in order: all a message may say of them."""
    return sorted({born.year for born in birth_dates})


def join_words(words: Sequence[str], conjunction: str = "et") -> str:
    """ "2015", "2015 et 2018", "2014, 2015 et 2018"."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


# What is said of one child, after "Enfant né en 2017 :". Masculine, as "enfant" is read
# here; a child still waiting is said to be, rather than left out, on the page and in the
# notices alike.
CHILD_LABELS: dict[Status, str] = {
    Status.NEW: N_("toujours en cours d’examen"),
    Status.IN_REVIEW: N_("toujours en cours d’examen"),
    Status.EPS: N_("toujours en cours d’examen"),
    Status.ACCEPTED: N_("accompagnement engagé"),
    Status.CLOSED: N_("accompagnement terminé"),
    Status.REDIRECTED: N_("orienté vers un autre service"),
    Status.DECLINED: N_("non retenu par le programme"),
    Status.WITHDRAWN: N_("demande retirée"),
}

# Where a redirected child is sent, in a few words: "orienté vers le CLAS". The service's full
# name (intake.rules.decisions.SERVICES) follows on a line of its own.
SERVICE_DESTINATIONS: dict[str, str] = {
    "clas": N_("le CLAS"),
    "reaap": N_("le REAAP"),
    "pmi": N_("la PMI"),
    "cmp": N_("le CMP ou le CMPP"),
    "social_service": N_("le service social départemental"),
    "mda": N_("la Maison des adolescents"),
    "other": N_("un autre service"),
}


class ChildLike(Protocol):
    """What these rules read of a Child."""

    number: int
    birth_date: date
    status: str


@dataclass(frozen=True)
class ChildOutcome:
    """Where one child stands, as the family and the referrer may read it: its position and
    year of birth (never its name), its status, and for a decision its date and what is
    shared of it (the codes of `Outcome`)."""

    # 1 to 4 as the pages number the children; None for a notice queued before children were
    # decided one by one, which told the referral's outcome as a whole.
    number: int | None
    born: int | None
    status: Status
    at: datetime | None = None
    reason: str | None = None
    service: str | None = None

    @property
    def decided(self) -> bool:
        """Whether the coordination has decided for this child."""
        return self.status not in UNDECIDED

    @property
    def label(self) -> str:
        """The message id of what is said of the child: its status, in the child's words."""
        return CHILD_LABELS[self.status]


def told_outcome(child: ChildLike, outcome: Outcome) -> ChildOutcome:
    """`outcome`, said of `child`."""
    return ChildOutcome(
        number=child.number,
        born=child.birth_date.year,
        status=outcome.status,
        at=outcome.at,
        reason=outcome.reason,
        service=outcome.service,
    )


def whole(outcome: Outcome) -> ChildOutcome:
    """`outcome`, said of the referral as a whole rather than of one child."""
    return ChildOutcome(
        number=None,
        born=None,
        status=outcome.status,
        at=outcome.at,
        reason=outcome.reason,
        service=outcome.service,
    )


def waiting(child: ChildLike) -> ChildOutcome:
    """A child the coordination has yet to decide for."""
    return ChildOutcome(child.number, child.birth_date.year, Status(child.status))


def notice_outcomes(
    children: Sequence[ChildLike], moved: Sequence[tuple[ChildLike, Change]]
) -> list[ChildOutcome]:
    """What the notice of one decision tells, child by child, in the children's order: the
    outcome of each child the change `moved` (the children and their StatusChange), and that
    each child still undecided is still being examined. A child decided earlier was told
    then, and is left out. Empty when the change is not a decision.
    """
    outcomes: dict[int, ChildOutcome] = {}
    for child, change in moved:
        outcome = outcome_of(change)
        if outcome is not None:
            outcomes[child.number] = told_outcome(child, outcome)
    if not outcomes:
        return []
    for child in children:
        if child.number not in outcomes and Status(child.status) in UNDECIDED:
            outcomes[child.number] = waiting(child)
    return [outcomes[number] for number in sorted(outcomes)]


def child_standing(child: ChildLike, history: Sequence[Change]) -> ChildOutcome:
    """Where `child` stands now, for the status page: still being examined, or its last
    decision as shared (`history` is the child's own changes, oldest first). A closed parcours
    says so, dated from its end; a child decided without a recorded change (data older than
    the history) shows its status alone."""
    status = Status(child.status)
    if status in UNDECIDED:
        return waiting(child)
    if status is Status.CLOSED:
        ended = next((c.at for c in reversed(history) if c.to_status == status.value), None)
        return ChildOutcome(child.number, child.birth_date.year, status, at=ended)
    outcome = latest_outcome(status.value, history)
    if outcome is None or outcome.status is not status:
        return ChildOutcome(child.number, child.birth_date.year, status)
    return told_outcome(child, outcome)


def same_year_numbers(children: Sequence[ChildLike]) -> frozenset[int]:
    """The numbers of the children who share their year of birth with a sibling (twins): the
    year alone would not tell them apart, their number does."""
    years = [child.birth_date.year for child in children]
    return frozenset(child.number for child in children if years.count(child.birth_date.year) > 1)
