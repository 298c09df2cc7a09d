"""Fields, validators and choices the forms share: select options, phones, dates, e-mail
addresses, the territory's schools."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import phonenumbers
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import Form, SelectChoice, StringField
from wtforms.validators import DataRequired, StopValidation, ValidationError

from intake.rules.reach import page_language as language_of
from intake.rules.screening import OTHER_SCHOOL
from intake.rules.text import unaccented
from intake.rules.vocabulary import OTHER_SCHOOL_LABEL
from intake.territory.model import Territory

# What a phone number is made of: ASCII digits and the usual separators (spaces, no-break
# spaces included, as word processors write them). `phonenumbers` alone also reads
# full-width digits and letters ("06 CALL ME").
PHONE_CHARACTERS = re.compile(r"[0-9 +.\-()/\u00a0\u202f]+")
# A birth date as a date picker sends it, or as people write it in France (4/5/2016 too).
ISO_DATE = re.compile(r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})")
FRENCH_DATE = re.compile(r"(?P<day>[0-9]{1,2})/(?P<month>[0-9]{1,2})/(?P<year>[0-9]{4})")


def options(pairs, placeholder: str | None = None) -> list[SelectChoice]:
    """Select options from (code, label) pairs, after an empty placeholder if given."""
    choices = [SelectChoice("", placeholder)] if placeholder is not None else []
    return choices + [SelectChoice(code, label) for code, label in pairs]


def page_language() -> str:
    """The service's language of the page being shown or sent ("fr" or "en")."""
    locale = get_locale()
    return language_of(str(locale) if locale is not None else None)


def required(message: str) -> DataRequired:
    """A required field with its own message naming what is missing."""
    return DataRequired(message)


def normalise_phone(value: str) -> str:
    """Return a French phone number in E.164 form, or raise ValueError."""
    if not PHONE_CHARACTERS.fullmatch(value):
        raise ValueError(value)
    try:
        # `phonenumbers` does not take a narrow no-break space for a separator.
        parsed = phonenumbers.parse(value.replace("\u202f", " "), "FR")
    except phonenumbers.NumberParseException:
        raise ValueError(value) from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(value)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class Phone:
    """Accept a phone number in any usual French spelling (stored normalised, shown as typed)."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, form: Form, field: StringField) -> None:
        if not field.data:
            return
        try:
            normalise_phone(field.data)
        except ValueError:
            raise ValidationError(self.message) from None


class AsciiLocalPart:
    """An e-mail address whose part before the @ our mail server can deliver to.

    Without SMTPUTF8 (which few servers offer) the part before the @ must be ASCII; the
    domain may be internationalised, it is sent in its IDNA form (xn--…).
    """

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, form: Form, field: StringField) -> None:
        local_part = (field.data or "").rpartition("@")[0]
        if not local_part.isascii():
            raise StopValidation(self.message)


LOCAL_PART_NOT_ASCII = _l(
    "Cette adresse e-mail contient une lettre accentuée ou un caractère non latin avant le @ : "
    "nos messages ne pourraient pas y parvenir. Vérifiez-la ou indiquez une autre adresse."
)


def parse_date(text: str) -> date | None:
    """The date written `YYYY-MM-DD` or `DD/MM/YYYY` in ASCII digits, or None."""
    match = ISO_DATE.fullmatch(text) or FRENCH_DATE.fullmatch(text)
    if match is None:
        return None
    try:
        return date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:  # 30 February, month 13, year 0
        return None


def school_choices() -> list[SelectChoice]:
    """The territory's schools grouped by commune, then 'another school or none'.

    Built once per territory (the labels are lazy strings, translated where they are shown):
    every child of every form shown or sent would otherwise sort the schools again.
    """
    territory = current_app.extensions["territory"]
    cached = current_app.extensions.get("intake_school_choices")
    if cached is None or cached[0] is not territory:
        cached = (territory, tuple(build_school_choices(territory)))
        current_app.extensions["intake_school_choices"] = cached
    return list(cached[1])


def build_school_choices(territory: Territory) -> list[SelectChoice]:
    """The choices of `school_choices()` for `territory`.

    Communes come in the territory file's order (its own commune first), schools by name. A
    school's priority-education network (REP, REP+) is never shown: to the public it would
    read as a label on the school and on its pupils, and screening needs only the UAI.
    """
    order = {commune.name: index for index, commune in enumerate(territory.communes)}
    schools = sorted(
        territory.schools, key=lambda s: (order.get(s.commune, len(order)), unaccented(s.name))
    )
    # The closed list shows a name without its group: a name found in two communes says which.
    communes_by_name = Counter(unaccented(s.name) for s in territory.schools)
    return [
        SelectChoice("", _l("Choisissez un établissement")),
        *(
            SelectChoice(
                school.uai,
                school.name
                if communes_by_name[unaccented(school.name)] == 1
                else f"{school.name} ({school.commune})",
                optgroup=school.commune,
            )
            for school in schools
        ),
        SelectChoice(OTHER_SCHOOL, OTHER_SCHOOL_LABEL),
    ]
