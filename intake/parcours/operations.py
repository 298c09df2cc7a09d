"""Changes of a child's parcours. Like the triage operations, these flush and log and leave
the commit to the caller; each touches the child's referral, whose version guards the forms.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, select

from intake.i18n import N_
from intake.models import (
    Action,
    Child,
    Correction,
    Objective,
    Parcours,
    Referral,
    Review,
    User,
    utcnow,
)
from intake.rules.clock import today
from intake.rules.parcours import (
    REVIEW_KINDS,
    SEXES,
    Exit,
    check_action,
    check_review,
)
from intake.rules.vocabulary import DOMAINS
from intake.rules.workflow import TransitionError


def open_parcours(child: Child, user: User, on: date | None = None) -> Parcours:
    """Open `child`'s parcours on the day of the decision (not committed), followed by the
    referral's référent if it has one. A child has one parcours: one already open is kept."""
    if child.parcours is not None:
        return child.parcours
    referral = child.referral
    child.parcours = Parcours(
        referral_id=referral.id,
        entered_on=on or today(),
        opened_by_id=user.id,
        referent_id=referral.assigned_to_id,
    )
    current_app.logger.info(
        "parcours opened reference=%s child=%s user_id=%s",
        referral.reference,
        child.number,
        user.id,
    )
    return child.parcours


def record_exit(parcours: Parcours, user: User, exit_: Exit, comment: str) -> None:
    """Write a checked exit on `parcours` (the child's status is the caller's: see
    intake.triage.operations.end_parcours), not committed."""
    parcours.ended_on = exit_.ended_on
    parcours.exit_reason = exit_.reason
    parcours.exit_service = exit_.service
    parcours.exit_comment = comment.strip()
    parcours.ended_at = utcnow()
    parcours.ended_by_id = user.id
    current_app.logger.info(
        "parcours ended reference=%s child=%s reason=%s user_id=%s",
        parcours.child.referral.reference,
        parcours.child.number,
        exit_.reason,
        user.id,
    )


# --- The parcours' records, each change recorded with who and when ---------------------------
#
# Adding a record (an objective, an action, a review) writes its row, which carries who and
# when (`at`, `user_id`). Changing one (an objective's text, an action ended or corrected, the
# référent, the child's sex) is a `Correction` of the referral, with what the fields held
# before and after, keyed `parcours.<child>.…` (`children.<position>.sex` for the child's own
# field, as the referral's corrections key a child's fields): the history of a parcours is
# kept where the referral's is, and erased with it.


def parcours_key(parcours: Parcours, *parts: object) -> str:
    """A correction key of `parcours`: `parcours.1.action.3.ended_on` (the child's number,
    then what is corrected)."""
    return ".".join(("parcours", str(parcours.child.number), *(str(part) for part in parts)))


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def record_correction(
    referral: Referral, user: User, before: dict[str, Any], after: dict[str, Any]
) -> Correction | None:
    """Touch `referral` and record the fields of `before` that `after` changes, with both
    values (None when none changes, and then nothing is touched)."""
    fields = [key for key in before if _json(before[key]) != _json(after.get(key))]
    if not fields:
        return None
    now = referral.touch(user)
    correction = Correction(
        at=now,
        user_id=user.id,
        fields=fields,
        previous={key: _json(before[key]) for key in fields},
        current={key: _json(after.get(key)) for key in fields},
    )
    referral.corrections.append(correction)
    return correction


def check_open(parcours: Parcours | None) -> Parcours:
    """`parcours`, or `TransitionError` when the child has none or it has ended: a parcours
    over is not changed any more."""
    if parcours is None:
        raise TransitionError(N_("Cet enfant n’a pas de parcours."), field="parcours")
    if parcours.ended:
        raise TransitionError(
            N_("Ce parcours est terminé : il ne peut plus être modifié."), field="parcours"
        )
    return parcours


def set_sex(child: Child, user: User, sex: str) -> Correction | None:
    """Record the child's sex (`F`, `M`, or "" not stated), whatever its status; a change of
    a value already recorded is kept as a correction. None when nothing changes."""
    if sex not in SEXES:
        raise TransitionError(N_("Choisissez fille, garçon ou non renseigné."), field="sex")
    key = f"children.{child.position}.sex"
    correction = record_correction(child.referral, user, {key: child.sex or ""}, {key: sex})
    if correction is not None:
        child.sex = sex
        current_app.logger.info(
            "child profile set reference=%s child=%s user_id=%s",
            child.referral.reference,
            child.number,
            user.id,
        )
    return correction


def set_referent(
    parcours: Parcours,
    user: User,
    *,
    referent: User | None = None,
    name: str = "",
    organisation: str = "",
) -> Correction | None:
    """Name the référent de parcours: a staff account (an active coordinator's), or a person
    outside the programme with their organisation; one or the other. None when unchanged."""
    check_open(parcours)
    name, organisation = name.strip(), organisation.strip()
    if referent is not None and (name or organisation):
        raise TransitionError(
            N_("Choisissez un compte de la coordination ou une personne extérieure, pas les deux."),
            field="referent_name",
        )
    if referent is None:
        if not name:
            raise TransitionError(
                N_("Choisissez un compte de la coordination ou indiquez le nom du référent."),
                field="referent_name",
            )
        if not organisation:
            raise TransitionError(
                N_("Indiquez la structure du référent extérieur."), field="referent_organisation"
            )
    elif not (referent.active and referent.can_edit):
        raise TransitionError(
            N_("Choisissez un membre de la coordination dont le compte est actif."),
            field="referent_id",
        )
    keys = {part: parcours_key(parcours, "referent", part) for part in ("account", "name", "org")}
    before = {
        keys["account"]: parcours.referent.email if parcours.referent else None,
        keys["name"]: parcours.referent_name,
        keys["org"]: parcours.referent_organisation,
    }
    after = {
        keys["account"]: referent.email if referent else None,
        keys["name"]: name,
        keys["org"]: organisation,
    }
    correction = record_correction(parcours.child.referral, user, before, after)
    if correction is not None:
        parcours.referent = referent
        parcours.referent_name = name
        parcours.referent_organisation = organisation
        _log("referent set", parcours, user)
    return correction


def add_objective(parcours: Parcours, user: User, *, domain: str, text: str) -> Objective:
    """Add an objective in `domain` (the contract's `domains`), at most one per domain."""
    check_open(parcours)
    if domain not in DOMAINS:
        raise TransitionError(N_("Choisissez le domaine dans la liste."), field="domain")
    if any(objective.domain == domain for objective in parcours.objectives):
        raise TransitionError(
            N_("Ce domaine a déjà un objectif : modifiez-le plutôt."), field="domain"
        )
    now = parcours.child.referral.touch(user)
    objective = Objective(at=now, user_id=user.id, domain=domain, text=text.strip())
    parcours.objectives.append(objective)
    _log("objective added", parcours, user, domain=domain)
    return objective


def edit_objective(
    parcours: Parcours, user: User, objective: Objective, text: str
) -> Correction | None:
    """Change an objective's text, the previous one kept; None when unchanged."""
    check_open(parcours)
    key = parcours_key(parcours, "objective", objective.domain, "text")
    correction = record_correction(
        parcours.child.referral, user, {key: objective.text}, {key: text.strip()}
    )
    if correction is not None:
        objective.text = text.strip()
        _log("objective edited", parcours, user, domain=objective.domain)
    return correction


def remove_objective(parcours: Parcours, user: User, objective: Objective) -> Correction:
    """Remove an objective; what it said is kept in the correction."""
    check_open(parcours)
    key = parcours_key(parcours, "objective", objective.domain, "text")
    correction = record_correction(
        parcours.child.referral, user, {key: objective.text}, {key: None}
    )
    parcours.objectives.remove(objective)
    _log("objective removed", parcours, user, domain=objective.domain)
    return correction


# What an action holds that a correction may change, in the order the page shows it.
ACTION_FIELDS = ("kind", "detail", "collective", "partner", "started_on", "ended_on")


def action_number(parcours: Parcours, action: Action) -> int:
    """An action's number in its parcours (1, 2…, in the order added): actions are never
    removed, so the number stays."""
    return parcours.actions.index(action) + 1


def add_action(
    parcours: Parcours,
    user: User,
    *,
    kinds: Iterable[str],
    kind: str,
    detail: str = "",
    collective: bool = False,
    partner: str = "",
    started_on: date,
    ended_on: date | None = None,
) -> Action:
    """Add an action of one of `kinds` (the built-in kinds and the territory's)."""
    check_open(parcours)
    check_action(kind=kind, kinds=kinds, detail=detail, started_on=started_on, ended_on=ended_on)
    now = parcours.child.referral.touch(user)
    action = Action(
        at=now,
        user_id=user.id,
        kind=kind,
        detail=detail.strip(),
        collective=collective,
        partner=partner.strip(),
        started_on=started_on,
        ended_on=ended_on,
    )
    parcours.actions.append(action)
    _log("action added", parcours, user, kind=kind)
    return action


def edit_action(
    parcours: Parcours, user: User, action: Action, *, kinds: Iterable[str], **values: Any
) -> Correction | None:
    """End or correct an action: `values` are its ACTION_FIELDS as they should now be; what
    they held is kept in the correction. None when nothing changes."""
    check_open(parcours)
    values = {
        **values,
        "detail": (values.get("detail") or "").strip(),
        "partner": (values.get("partner") or "").strip(),
    }
    check_action(
        kind=values["kind"],
        kinds=set(kinds) | {action.kind},  # a kind since removed from the territory stays
        detail=values["detail"],
        started_on=values["started_on"],
        ended_on=values["ended_on"],
    )
    number = action_number(parcours, action)
    keys = {name: parcours_key(parcours, "action", number, name) for name in ACTION_FIELDS}
    before = {keys[name]: getattr(action, name) for name in ACTION_FIELDS}
    after = {keys[name]: values[name] for name in ACTION_FIELDS}
    correction = record_correction(parcours.child.referral, user, before, after)
    if correction is not None:
        for name in ACTION_FIELDS:
            setattr(action, name, values[name])
        _log("action corrected", parcours, user, action=number)
    return correction


def add_review(
    parcours: Parcours,
    user: User,
    *,
    held_on: date,
    kind: str,
    summary: str = "",
    next_on: date | None = None,
) -> Review:
    """Record a review of the parcours; the next review it plans is the parcours' next one
    (none planned: none due)."""
    check_open(parcours)
    if kind not in REVIEW_KINDS:
        raise TransitionError(N_("Choisissez qui a fait la revue."), field="kind")
    check_review(held_on=held_on, next_on=next_on)
    now = parcours.child.referral.touch(user)
    review = Review(
        at=now,
        user_id=user.id,
        held_on=held_on,
        kind=kind,
        summary=summary.strip(),
        next_on=next_on,
        number=len(parcours.reviews) + 1,
    )
    parcours.reviews.append(review)
    parcours.next_review_on = next_on
    _log("review added", parcours, user, kind=kind)
    return review


def review_due(on: date) -> ColumnElement[bool]:
    """A parcours still open whose next review is due on `on` (planned that day or before):
    `rules.parcours.due_for_review`, in SQL, for this list and the queue's filter."""
    return and_(Parcours.ended_on.is_(None), Parcours.next_review_on <= on)


def parcours_due(on: date) -> Select:
    """The parcours due for review on `on`, the most overdue first."""
    return select(Parcours).where(review_due(on)).order_by(Parcours.next_review_on, Parcours.id)


def _log(what: str, parcours: Parcours, user: User, **codes: object) -> None:
    # References, numbers and codes only: the texts are personal data.
    extra = "".join(f" {name}={value}" for name, value in codes.items())
    current_app.logger.info(
        "parcours %s reference=%s child=%s%s user_id=%s",
        what,
        parcours.child.referral.reference,
        parcours.child.number,
        extra,
        user.id,
    )
