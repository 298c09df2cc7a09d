"""Corrections of a referral's fields: what they replaced is kept, and screening is redone
when they touch what it reads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from flask import current_app

from intake.duplicates.pairs import recheck_referral, safely
from intake.extensions import db
from intake.models import Correction, Referral, User
from intake.referrals.fields import (
    CHILD_FIELDS,
    LANGUAGE_FIELDS,
    SHARED_FIELDS,
    contact_doubt,
    stored_value,
)
from intake.referrals.screening import apply_screening, screen_child
from intake.rules.screening import Eligibility, best
from intake.rules.vocabulary import DOMAINS
from intake.territory.model import Territory

# What a coordinator may correct: every child's field and the family's, as the forms stored
# them, but the situation and the referrer's words stay as they were sent.
# The family's languages too: a family may say on the phone it would rather be written to in
# English, or that an interpreter would help.
FAMILY_FIELDS = (*(name for name in SHARED_FIELDS if name != "situation"), *LANGUAGE_FIELDS)
# What screening reads: a child's own, and the family's address shared by every child.
SCREENED_CHILD_FIELDS = frozenset({"birth_date", "school"})
SCREENED_FAMILY_FIELDS = frozenset({"address", "postcode"})
# How the family is reached: a correction of either says again whether it may not be.
CONTACT_FIELDS = frozenset({"guardian_phone", "guardian_email"})
# What the duplicate check reads: a child's names and birth date.
COMPARED_CHILD_FIELDS = frozenset({"first_name", "last_name", "birth_date"})


def child_key(position: int, name: str) -> str:
    """The key of a child's field in a correction: `children.0.birth_date`."""
    return f"children.{position}.{name}"


def split_key(key: str) -> tuple[int | None, str]:
    """(child position, field name) of a correction key; the position is None for the family's."""
    if key.startswith("children."):
        position, _, name = key.removeprefix("children.").partition(".")
        return int(position), name
    return None, key


def canonical_domains(codes: Iterable[str] | None) -> list[str]:
    """The known domain codes among `codes`, each once, in the contract's order: the order the
    boxes were ticked in is not a correction."""
    chosen = set(codes or ())
    return [code for code in DOMAINS if code in chosen]


def _json(value: Any) -> Any:
    # Correction.previous and .current are JSON: a birth date is kept as its ISO text.
    return value.isoformat() if isinstance(value, date) else value


def snapshot(referral: Referral) -> dict[str, Any]:
    """The correctable values of `referral` as stored, by correction key, JSON-ready."""
    values: dict[str, Any] = {name: getattr(referral, name) for name in FAMILY_FIELDS}
    values["domains"] = canonical_domains(referral.domains)
    for position, child in enumerate(referral.children):
        for name in CHILD_FIELDS:
            values[child_key(position, name)] = _json(getattr(child, name))
    return values


def proposed(data: Mapping[str, Any]) -> dict[str, Any]:
    """What a validated correction form's `data` would store, keyed as `snapshot` keys it:
    empty text as NULL and phones in E.164 form, as at submission."""
    values: dict[str, Any] = {name: stored_value(name, data[name]) for name in FAMILY_FIELDS}
    values["domains"] = canonical_domains(data["domains"])
    for position, child in enumerate(data["children"]):
        for name in CHILD_FIELDS:
            values[child_key(position, name)] = _json(stored_value(name, child[name]))
    return values


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The keys of `before` whose value `after` changes, in `before`'s order; keys `before`
    lacks (a child the referral does not have) are not fields of this referral."""
    return [key for key, value in before.items() if key in after and after[key] != value]


def children_to_screen(fields: Iterable[str], count: int) -> list[int]:
    """The positions of the children a correction of `fields` must screen again: every child
    when the address moves, else those whose birth date or school changed."""
    positions = set()
    for key in fields:
        position, name = split_key(key)
        if position is None and name in SCREENED_FAMILY_FIELDS:
            return list(range(count))
        if position is not None and name in SCREENED_CHILD_FIELDS:
            positions.add(position)
    return sorted(p for p in positions if p < count)


def rescreen(
    referral: Referral, positions: list[int], territory: Territory
) -> dict[str, Any] | None:
    """Screen the children at `positions` again, update them and the referral's best value,
    and return the screenings before and after (None when there is nothing to screen)."""
    if not positions:
        return None
    before = referral.eligibility
    children = []
    for position in positions:
        child = referral.children[position]
        previous = dict(child.screening)
        apply_screening(child, screen_child(child, referral, territory), territory)
        children.append({"position": position, "before": previous, "after": child.screening})
    referral.eligibility = best(Eligibility(c.eligibility) for c in referral.children).value
    return {"children": children, "referral": {"before": before, "after": referral.eligibility}}


def _apply(referral: Referral, key: str, value: Any) -> None:
    position, name = split_key(key)
    if position is None:
        setattr(referral, name, value)
        return
    if name == "birth_date":
        value = date.fromisoformat(value)
    setattr(referral.children[position], name, value)


def correct_referral(
    referral: Referral, values: Mapping[str, Any], user: User, territory: Territory
) -> Correction | None:
    """Store the corrected `values` (as `proposed` gives them) on `referral`, with what they
    replace and, when they touch what screening reads, the screenings before and after
    (flushed by the caller's commit, not committed).

    Returns None and changes nothing when no value differs from the stored one.
    """
    before = snapshot(referral)
    fields = changed_fields(before, values)
    if not fields:
        return None
    for key in fields:
        _apply(referral, key, values[key])
    if CONTACT_FIELDS.intersection(fields):
        # A phone added or an address corrected: the doubt of the old one is gone; a new
        # address is judged as at submission (an e-mail that stopped was to the old one).
        referral.contact_doubt = contact_doubt(referral.guardian_phone, referral.guardian_email)
    now = referral.touch(user)
    correction = Correction(
        at=now,
        user_id=user.id,
        fields=fields,
        previous={key: before[key] for key in fields},
        current={key: values[key] for key in fields},
        screening=rescreen(referral, children_to_screen(fields, len(referral.children)), territory),
    )
    referral.corrections.append(correction)
    if any(split_key(key)[1] in COMPARED_CHILD_FIELDS for key in fields):
        # Flushed here, outside the check's savepoint: a stale version must fail the
        # correction, not pass for a failed check.
        db.session.flush()
        safely(recheck_referral, referral)
    # Field names only: the values are personal data.
    current_app.logger.info(
        "referral corrected reference=%s fields=%s rescreened=%s user_id=%s",
        referral.reference,
        ",".join(fields),
        "yes" if correction.screening else "no",
        user.id,
    )
    return correction
