"""The referral status machine: which transitions are allowed, and what they need."""

from __future__ import annotations

from enum import StrEnum

from .i18n import N_


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

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.IN_REVIEW}) | _EXITS,
    Status.IN_REVIEW: frozenset({Status.EPS}) | _EXITS,
    Status.EPS: frozenset({Status.ACCEPTED}) | _EXITS,
    Status.ACCEPTED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
    Status.REDIRECTED: frozenset(),
    Status.DECLINED: frozenset(),
    Status.WITHDRAWN: frozenset(),
}

FINAL = frozenset(status for status, exits in TRANSITIONS.items() if not exits)

# Leaving the normal path must be explained: the family may ask why, and the EPS reviews it.
NEEDS_COMMENT = _EXITS

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


class TransitionError(ValueError):
    """A refused status change; `message` is a sentence for the coordinator."""

    def __init__(self, message: str, **params: str) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


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
    if current_status in FINAL:
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
    if target_status in NEEDS_COMMENT and not comment.strip():
        raise TransitionError(
            N_("Indiquez la raison du passage à « %(target)s » dans le commentaire."),
            target=LABELS[target_status],
        )
    return target_status
