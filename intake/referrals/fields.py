"""The fields a referral stores from its form, by who sent it, and how a form's value is stored."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from intake.forms.fields import normalise_phone
from intake.forms.typos import suggest_address
from intake.models import Source
from intake.rules.reach import doubt_at_submission

CHILD_FIELDS = ("first_name", "last_name", "birth_date", "school", "school_other", "class_level")
SHARED_FIELDS = (
    "guardian_name",
    "guardian_phone",
    "guardian_email",
    "address",
    "postcode",
    "city",
    "domains",
    "situation",
)
# Optional on both forms (the contract's), with what is stored when a caller's data lack them
# or leave them empty: the columns are NOT NULL, French and "" by default (revision 0015).
LANGUAGE_FIELDS: dict[str, Any] = {
    "contact_language": "fr",
    "home_languages": "",
    "interpreter": False,
}
PHONE_FIELDS = ("guardian_phone", "referrer_phone")
SOURCE_FIELDS = {
    Source.PROFESSIONAL: (
        "referrer_name",
        "referrer_organisation",
        "referrer_role",
        "referrer_email",
        "referrer_phone",
        "actions_tried",
        "family_informed",
        "urgent",
    ),
    Source.PARENT: ("consent", "heard_from"),
}


def stored_value(name: str, value: Any) -> Any:
    """What to store for a form value: NULL for absent text (the default of a language
    field), phones in E.164 form."""
    if value == "" or value is None:
        return LANGUAGE_FIELDS.get(name)
    return normalise_phone(value) if name in PHONE_FIELDS else value


def stored_values(data: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """What to store for the fields `names` of a form's `data`, and for the language fields,
    which a caller's data may lack (they are optional to post)."""
    values = {name: stored_value(name, data[name]) for name in names}
    for name, default in LANGUAGE_FIELDS.items():
        values[name] = stored_value(name, data.get(name, default))
    return values


def contact_doubt(phone: str | None, email: str | None) -> str | None:
    """Why the family may not be reachable by the phone and e-mail it gave, as a referral
    stores it when sent or when a coordinator corrects them (`intake.rules.reach`)."""
    misspelt = bool(email) and suggest_address(email) is not None
    return doubt_at_submission(phone, email, misspelt)
