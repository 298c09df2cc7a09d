"""The vocabulary of a child's parcours and of what the yearly figures count of a child: codes
stored (contract, "Children, one by one"), French labels, and the school level a class is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from intake.i18n import N_, _l
from intake.rules.ages import age_on
from intake.rules.decisions import SERVICES
from intake.rules.workflow import TransitionError

# Why a parcours ends.
EXIT_REASONS: dict[str, str] = {
    "goals_met": _l("Objectifs atteints"),
    "moved_away": _l("Déménagement hors du territoire"),
    "age_limit": _l("Limite d’âge atteinte"),
    "family_ended": _l("Fin souhaitée par la famille"),
    "handed_over": _l("Relais pris par un autre service"),
    "other": _l("Autre motif"),
}

# What is put in place for a child; a territory file may add its own kinds (`[[action_kinds]]`,
# intake.territory), which `action_kinds` puts before `other`.
ACTION_KINDS: dict[str, str] = {
    "tutoring": _l("Soutien scolaire"),
    "speech_therapy": _l("Orthophonie"),
    "psychological": _l("Suivi psychologique"),
    "culture_sport": _l("Activité culturelle ou sportive"),
    "parenting": _l("Accompagnement à la parentalité"),
    "rights": _l("Accès aux droits"),
    "other": _l("Autre action"),
}

# Whether an action is for the child alone or in a group.
ACTION_MODES: dict[str, str] = {
    "individual": _l("Individuelle"),
    "collective": _l("Collective"),
}

# Who reviewed a parcours.
REVIEW_KINDS: dict[str, str] = {
    "eps": _l("Équipe pluridisciplinaire de soutien"),
    "team": _l("Équipe de réussite éducative"),
}

# A child's sex as the coordinator records it at first contact; "" is "not stated". The
# public forms never ask it.
SEXES: dict[str, str] = {
    "F": _l("Fille"),
    "M": _l("Garçon"),
    "": _l("Non renseigné"),
}

# The school levels the ANCT's survey counts; `other` is a class the form does not list
# (ULIS, IME…), which none of them counts.
SCHOOL_LEVELS: dict[str, str] = {
    "maternelle": _l("Maternelle"),
    "elementaire": _l("Élémentaire"),
    "college": _l("Collège"),
    "lycee": _l("Lycée"),
    "none": _l("Non scolarisé"),
    "other": _l("Autre"),
}

_LEVEL_OF_CLASS = {
    **dict.fromkeys(("TPS", "PS", "MS", "GS"), "maternelle"),
    **dict.fromkeys(("CP", "CE1", "CE2", "CM1", "CM2"), "elementaire"),
    **dict.fromkeys(("6e", "5e", "4e", "3e"), "college"),
    "none": "none",
}

# The form's classes stop at 3e: past that age, "Autre" is a lycée's class (seconde, CAP),
# the one school a child of the programme's ages can be in that the list lacks.
LYCEE_AGE = 15


def school_level(class_level: str, birth_date: date | None, on: date) -> str:
    """The school level of `class_level` for a child born on `birth_date`, on the day `on`."""
    level = _LEVEL_OF_CLASS.get(class_level)
    if level is not None:
        return level
    if birth_date is not None and age_on(birth_date, on) >= LYCEE_AGE:
        return "lycee"
    return "other"


@dataclass(frozen=True)
class Exit:
    """An exit's structured part, as stored."""

    ended_on: date
    reason: str
    service: str | None = None


def check_exit(
    *,
    entered_on: date | None,
    ended_on: date | None,
    exit_reason: str | None,
    service: str | None,
    comment: str,
) -> Exit:
    """Return what ending a parcours records, or raise `TransitionError` naming the field:
    a known reason, a service (of the contract's) for `handed_over`, a comment for `other`,
    a day not before the entry."""
    if ended_on is None:
        raise TransitionError(N_("Indiquez la date de fin du parcours."), field="ended_on")
    if entered_on is not None and ended_on < entered_on:
        raise TransitionError(
            N_("Un parcours ne peut finir avant d’avoir commencé (le %(day)s)."),
            field="ended_on",
            day=entered_on.strftime("%d/%m/%Y"),
        )
    if exit_reason not in EXIT_REASONS:
        raise TransitionError(N_("Choisissez le motif de la sortie."), field="exit_reason")
    if exit_reason == "handed_over":
        if service not in SERVICES:
            raise TransitionError(N_("Choisissez le service qui prend le relais."), field="service")
        if service == "other" and not comment.strip():
            raise TransitionError(N_("Précisez le service dans le commentaire."), field="comment")
    else:
        service = None
    if exit_reason == "other" and not comment.strip():
        raise TransitionError(N_("Précisez le motif dans le commentaire."), field="comment")
    return Exit(ended_on=ended_on, reason=exit_reason, service=service)


# The longest text of an objective: a line or two, what the parcours aims at in that domain.
OBJECTIVE_MAX = 500


def action_kinds(extra: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
    """The kinds of action offered: the built-in ones, then the territory's own (`extra`, as
    (code, name)), then `other`, last as in every list of choices."""
    kinds = {code: name for code, name in ACTION_KINDS.items() if code != "other"}
    kinds.update((code, name) for code, name in extra if code not in ACTION_KINDS)
    kinds["other"] = ACTION_KINDS["other"]
    return kinds


def check_action(
    *, kind: str | None, kinds: Iterable[str], detail: str, started_on: date, ended_on: date | None
) -> None:
    """Raise `TransitionError` naming the field unless the action is one of `kinds`, says what
    `other` is, and does not end before it starts."""
    if kind not in set(kinds):
        raise TransitionError(N_("Choisissez le type d’action dans la liste."), field="kind")
    if kind == "other" and not detail.strip():
        raise TransitionError(N_("Précisez de quelle action il s’agit."), field="detail")
    if ended_on is not None and ended_on < started_on:
        raise TransitionError(
            N_("Une action ne peut finir avant d’avoir commencé (le %(day)s)."),
            field="ended_on",
            day=started_on.strftime("%d/%m/%Y"),
        )


def check_review(*, held_on: date, next_on: date | None) -> None:
    """Raise `TransitionError` on `next_on` unless the next review comes after this one."""
    if next_on is not None and next_on <= held_on:
        raise TransitionError(
            N_("La prochaine revue doit être après celle-ci (le %(day)s)."),
            field="next_on",
            day=held_on.strftime("%d/%m/%Y"),
        )


def due_for_review(next_review_on: date | None, today: date) -> bool:
    """Whether a parcours whose next review is planned on `next_review_on` is due for it on
    `today`: the day has come (a review planned today is due, not late)."""
    return next_review_on is not None and next_review_on <= today


def review_late(next_review_on: date | None, today: date) -> bool:
    """Whether the planned review's day has passed without a review recorded since."""
    return next_review_on is not None and next_review_on < today
