"""What the child's page says of a parcours' corrections: each key's name and values in words."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app
from flask_babel import gettext

from intake.i18n import N_
from intake.rules.parcours import ACTION_MODES, SEXES, action_kinds
from intake.rules.vocabulary import DOMAINS, format_date, label

ACTION_FIELD_LABELS = {
    "kind": N_("Type d’action"),
    "detail": N_("Précision"),
    "collective": N_("Individuelle ou collective"),
    "partner": N_("Partenaire"),
    "started_on": N_("Début"),
    "ended_on": N_("Fin"),
}
REFERENT_LABELS = {
    "account": N_("Référent : compte de la coordination"),
    "name": N_("Référent extérieur : nom"),
    "org": N_("Référent extérieur : structure"),
}
# The keys whose values are free text: never shown to a viewer.
FREE_TEXT = frozenset({"detail", "partner", "text", "name", "org"})


def _parts(key: str) -> list[str]:
    return key.split(".")


def field_label(key: str) -> str:
    """A correction key of the child's page in words: "Action 2 – Fin", "Objectif – Santé"."""
    parts = _parts(key)
    if parts[0] == "children":
        return gettext("Sexe")
    what = parts[2] if len(parts) > 2 else ""
    if what == "referent":
        return gettext(REFERENT_LABELS.get(parts[3], parts[3]))
    if what == "objective":
        return gettext("Objectif – %(domain)s", domain=label(DOMAINS, parts[3]))
    if what == "action":
        return gettext(
            "Action %(number)s – %(field)s",
            number=parts[3],
            field=gettext(ACTION_FIELD_LABELS.get(parts[4], parts[4])),
        )
    return key


def is_parcours_key(key: str) -> bool:
    """Whether a correction key is one the child's page writes (its sex, its parcours)."""
    parts = _parts(key)
    return parts[0] == "parcours" or (parts[0] == "children" and parts[-1] == "sex")


def referral_label(key: str) -> str:
    """A child's-page correction key as the referral's page lists it, the child named by its
    number: "Enfant 2 – Action 1 – Fin"."""
    parts = _parts(key)
    number = int(parts[1]) + 1 if parts[0] == "children" else int(parts[1])
    return gettext("Enfant %(n)d – %(field)s", n=number, field=field_label(key))


def is_free_text(key: str) -> bool:
    """Whether the values of `key` are typed text (hidden from viewers)."""
    return _parts(key)[-1] in FREE_TEXT


def shown_value(key: str, value: Any) -> str:
    """A corrected value as the page shows it."""
    if value is None or value == "":
        return "—"
    name = _parts(key)[-1]
    if name in ("started_on", "ended_on"):
        try:
            return format_date(date.fromisoformat(value))
        except (TypeError, ValueError):
            return str(value)
    if name == "kind":
        territory = current_app.extensions["territory"]
        kinds = action_kinds((kind.code, kind.name) for kind in territory.action_kinds)
        return label(kinds, value)
    if name == "collective":
        return str(ACTION_MODES["collective" if value else "individual"])
    if name == "sex":
        return str(SEXES.get(value, value))
    return str(value)
