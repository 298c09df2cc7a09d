"""The fields a referral stores from its form, by who sent it, and how a form's value is stored."""

from __future__ import annotations

from typing import Any

from intake.forms.fields import normalise_phone
from intake.models import Source

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
    """What to store for a form value: NULL for absent text, phones in E.164 form."""
    if value == "" or value is None:
        return None
    return normalise_phone(value) if name in PHONE_FIELDS else value
