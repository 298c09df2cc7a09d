"""Valid submissions of both public forms, as a browser would post them."""

from __future__ import annotations

from datetime import datetime

# The fields both forms require, by the id of their input (domains: the group's name).
REQUIRED_SHARED = frozenset(
    {
        "children-0-first_name",
        "children-0-last_name",
        "children-0-birth_date",
        "children-0-school",
        "children-0-class_level",
        "guardian_name",
        "guardian_phone",
        "address",
        "postcode",
        "city",
        "domains",
        "situation",
    }
)


def child_fields(index: int = 0, **overrides: str) -> dict[str, str]:
    """One child's fields, named as the FieldList names them."""
    values = {
        "first_name": "Léa",
        "last_name": "Martin",
        "birth_date": "2016-05-04",
        "school": "0629001A",
        "school_other": "",
        "class_level": "CE2",
        **overrides,
    }
    return {f"children-{index}-{name}": value for name, value in values.items()}


def shared_fields(**overrides) -> dict:
    """The family and situation fields both forms share."""
    return {
        **child_fields(0),
        "guardian_name": "Sophie Martin",
        "guardian_phone": "06 12 34 56 78",
        "guardian_email": "sophie.martin@famille.example",
        "address": "3 rue des Tilleuls",
        "postcode": "62999",
        "city": "Testville",
        "domains": ["school", "health"],
        "situation": "Léa a du mal à lire et se fatigue vite en classe.",
        "website": "",
        **overrides,
    }


def orientation(**overrides) -> dict:
    """A complete, valid professional referral."""
    return shared_fields(
        **{
            "referrer_name": "Paul Durand",
            "referrer_organisation": "École Les Tilleuls",
            "referrer_role": "teacher",
            "referrer_email": "paul.durand@ecole.example",
            "referrer_phone": "",
            "actions_tried": "Aide personnalisée depuis septembre.",
            "family_informed": "y",
            **overrides,
        }
    )


def request_form(**overrides) -> dict:
    """A complete, valid parent's request."""
    return shared_fields(**{"consent": "y", "heard_from": "La maîtresse", **overrides})


# A parent's request as the validated form hands it to `create_referral`.
PARENT_DATA = {
    "children": [
        {
            "first_name": "Léa",
            "last_name": "Martin",
            "birth_date": datetime(2016, 5, 4).date(),
            "school": "0629001A",
            "school_other": "",
            "class_level": "CE2",
        }
    ],
    "guardian_name": "Sophie Martin",
    "guardian_phone": "0612345678",
    "guardian_email": "",
    "address": "3 rue des Tilleuls",
    "postcode": "62999",
    "city": "Testville",
    "domains": ["school"],
    "situation": "Difficultés en lecture.",
    "consent": True,
    "heard_from": "",
}
