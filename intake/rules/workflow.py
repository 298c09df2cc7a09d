"""The referral status machine: which transitions are allowed, and what they need."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from intake.i18n import N_
from intake.rules.decisions import REASONS, SERVICES, WITHDRAWN_BY


class Status(StrEnum):
    """Where a referral stands; the values are the contract's codes."""

    NEW = "new"
    IN_REVIEW = "in_review"
    EPS = "eps"
    ACCEPTED = "accepted"
    CLOSED = "closed"
    REDIRECTED = "redirected"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


_EXITS = frozenset({Status.REDIRECTED, Status.DECLINED, Status.WITHDRAWN})

# A decision taken on a wrong premise (a family reached after all, a service that would not
# take the child) can be undone, once explained; a parcours that ended (`closed`) cannot.
REOPENABLE = _EXITS

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.IN_REVIEW}) | _EXITS,
    Status.IN_REVIEW: frozenset({Status.EPS}) | _EXITS,
    Status.EPS: frozenset({Status.ACCEPTED}) | _EXITS,
    Status.ACCEPTED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
    Status.REDIRECTED: frozenset({Status.IN_REVIEW}),
    Status.DECLINED: frozenset({Status.IN_REVIEW}),
    Status.WITHDRAWN: frozenset({Status.IN_REVIEW}),
}

# The ends of a referral's life: moving there is confirmed first, and the family is told.
FINAL = frozenset({Status.CLOSED, Status.REDIRECTED, Status.DECLINED, Status.WITHDRAWN})

# Decisions that take a reason code (contract, "Decisions").
NEEDS_REASON = frozenset({Status.DECLINED, Status.REDIRECTED})

LABELS: dict[Status, str] = {
    Status.NEW: N_("Nouvelle"),
    Status.IN_REVIEW: N_("En cours d’examen"),
    Status.EPS: N_("À l’ordre du jour de l’EPS"),
    Status.ACCEPTED: N_("Parcours engagé"),
    Status.CLOSED: N_("Clôturée"),
    Status.REDIRECTED: N_("Orientée vers un autre service"),
    Status.DECLINED: N_("Non retenue"),
    Status.WITHDRAWN: N_("Retirée"),
}

# What the family or referrer sees on /suivi: no internal detail such as the EPS agenda.
PUBLIC_LABELS: dict[Status, str] = {
    Status.NEW: N_("Reçue, en attente d’examen"),
    Status.IN_REVIEW: N_("En cours d’examen par la coordination"),
    Status.EPS: N_("En cours d’examen par l’équipe pluridisciplinaire"),
    Status.ACCEPTED: N_("Accompagnement engagé avec la famille"),
    Status.CLOSED: N_("Accompagnement terminé"),
    Status.REDIRECTED: N_("Orientée vers un autre service"),
    Status.DECLINED: N_("Non retenue par le programme"),
    Status.WITHDRAWN: N_("Retirée"),
}


# Which status a referral shows when its children's differ (contract, "Children, one by
# one"): the first of these one of them has. The steps still to be taken come first, so that
# a referral with one child still waiting stays in the coordinator's open tabs.
DERIVED_ORDER: tuple[Status, ...] = (
    Status.NEW,
    Status.IN_REVIEW,
    Status.EPS,
    Status.ACCEPTED,
    Status.CLOSED,
    Status.REDIRECTED,
    Status.DECLINED,
    Status.WITHDRAWN,
)


def referral_status(statuses: Iterable[str]) -> str:
    """The referral's status from its children's: theirs when they all agree, otherwise the
    first of DERIVED_ORDER that one of them has. No child (never stored so): `new`."""
    present = {Status(status) for status in statuses}
    for status in DERIVED_ORDER:
        if status in present:
            return status.value
    return Status.NEW.value


class TransitionError(ValueError):
    """A refused status change; `message` is a sentence for the coordinator, `field` the
    status form's field it is about."""

    def __init__(self, message: str, *, field: str = "status", **params: str) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params
        self.field = field
        # The child it is about (its number, 1 to 4), when the referral has several.
        self.child: int | None = None

    def about_child(self, number: int) -> TransitionError:
        """This refusal, said of the child numbered `number`."""
        self.child = number
        return self


@dataclass(frozen=True)
class Decision:
    """A decision's structured part, as stored: codes of intake.rules.decisions, or None."""

    reason: str | None = None
    service: str | None = None
    withdrawn_by: str | None = None


def allowed_next(current: str) -> list[Status]:
    """Return the statuses reachable from `current`, in the order of the path."""
    exits = TRANSITIONS.get(Status(current), frozenset())
    return [status for status in Status if status in exits]


def check_transition(current: str, target: str, comment: str) -> Status:
    """Return the target status if moving there from `current` is allowed, else raise."""
    try:
        target_status = Status(target)
    except ValueError:
        raise TransitionError(N_("Statut inconnu : %(status)s."), status=str(target)) from None
    current_status = Status(current)
    if current_status in FINAL and target_status not in TRANSITIONS[current_status]:
        raise TransitionError(
            N_("Cette orientation est close (%(current)s) : son statut ne peut plus changer."),
            current=LABELS[current_status],
        )
    if target_status not in TRANSITIONS[current_status]:
        raise TransitionError(
            N_("Passage impossible de « %(current)s » à « %(target)s »."),
            current=LABELS[current_status],
            target=LABELS[target_status],
        )
    if current_status in REOPENABLE and not comment.strip():
        # Undoing a decision the family may already have been told of must be explained.
        raise TransitionError(
            N_("Indiquez dans le commentaire pourquoi le dossier est rouvert."), field="comment"
        )
    return target_status


def check_decision(
    target: Status,
    *,
    comment: str,
    reason: str | None,
    service: str | None,
    withdrawn_by: str | None,
    has_agreement: bool,
) -> Decision:
    """Return what moving to `target` records, keeping only the codes that apply to it, or
    raise when the contract's "Decisions" are not met (a code missing or unknown, `other`
    without a comment saying which, `accepted` without a parent's agreement)."""
    reason = reason or None
    service = service or None
    withdrawn_by = withdrawn_by or None
    if target is Status.ACCEPTED and not has_agreement:
        raise TransitionError(
            N_(
                "Le parcours ne peut être engagé sans l’accord d’au moins un représentant légal : "
                "enregistrez cet accord d’abord."
            )
        )
    if target in NEEDS_REASON:
        if reason not in REASONS:
            raise TransitionError(N_("Choisissez le motif de la décision."), field="reason")
        if reason == "other" and not comment.strip():
            raise TransitionError(N_("Précisez le motif dans le commentaire."), field="comment")
    else:
        reason = None
    if target is Status.REDIRECTED:
        if service not in SERVICES:
            raise TransitionError(
                N_("Choisissez le service vers lequel la famille est orientée."), field="service"
            )
        if service == "other" and not comment.strip():
            raise TransitionError(N_("Précisez le service dans le commentaire."), field="comment")
    else:
        service = None
    if target is Status.WITHDRAWN:
        if withdrawn_by not in WITHDRAWN_BY:
            raise TransitionError(N_("Indiquez qui a retiré l’orientation."), field="withdrawn_by")
    else:
        withdrawn_by = None
    return Decision(reason=reason, service=service, withdrawn_by=withdrawn_by)


def applies_to(current: str, target: str) -> bool:
    """Whether a move to `target` is one a child at `current` may make."""
    try:
        return Status(target) in TRANSITIONS[Status(current)]
    except ValueError:
        return False


def needs_confirmation(target: str) -> bool:
    """Whether moving to `target` is asked twice: a final status is hard to take back."""
    return target in {status.value for status in FINAL}
