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
