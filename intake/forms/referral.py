"""The referral's fields the public forms share and the staff's correction form builds on:
children, family, difficulties, honeypot; and the warnings that never block a send."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    FormField,
    RadioField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import Email, Length, Optional, StopValidation, ValidationError

from intake.forms.base import BaseForm, multi_line, single_line
from intake.forms.children import ChildForm, ChildList
from intake.forms.fields import (
    LOCAL_PART_NOT_ASCII,
    AsciiLocalPart,
    Phone,
    options,
    page_language,
    required,
)
from intake.forms.typos import suggest_address
from intake.i18n import N_
from intake.rules.reach import LANGUAGE_NAMES
from intake.rules.screening import AgeStatus, age_status
from intake.rules.vocabulary import DOMAINS
from intake.territory.model import Programme

MAX_CHILDREN = 4
SITUATION_MAX = 4000
POSTCODE = re.compile(r"[0-9]{5}")

EMAIL_SUGGESTION = N_(
    "Vouliez-vous dire %(address)s ? Corrigez l’adresse si besoin : "
    "si elle est juste, laissez-la telle quelle."
)
# The fields whose typed address is checked for a misspelt provider.
CHECKED_EMAILS = ("guardian_email", "referrer_email")


def language_field(label: str, description: str) -> RadioField:
    """The family's language: the one it is written to in (contract: `contact_language`),
    each named in itself, the page's by default, and when not posted at all (a client that
    sends the contract's required fields only)."""
    return RadioField(
        label,
        choices=options(LANGUAGE_NAMES.items()),
        default=page_language,
        description=description,
    )


class ReferralBase(BaseForm):
    """The fields both public forms share, and the correction form builds on: children, family,
    difficulties, honeypot."""

    # Whether validate() has run: warn() then trusts the errors it left on each field.
    validated = False

    # Set by warn(): (id to link to, label, message) for the summary; each warned field also
    # gets a `warning` attribute shown next to it.
    warnings: tuple[tuple[str, str, str], ...] = ()
    # Also set by warn(), for the confirmation page: whether a child is outside the
    # programme's ages, and each misspelt e-mail domain with the one likely meant.
    age_outside: bool = False
    domain_slips: tuple[tuple[str, str], ...] = ()
    # Each form words the age warning for its sender: a parent's "demande", a professional's
    # "orientation".
    AGE_WARNING = ""

    children = ChildList(FormField(ChildForm), min_entries=1, max_entries=MAX_CHILDREN)
    # The honeypot: whatever a robot puts there, spaces only included, is to be seen.
    AS_SENT = frozenset({"website"})

    guardian_name = StringField(
        _l("Nom et prénom du parent ou du représentant légal"),
        filters=[single_line],
        validators=[
            required(_l("Indiquez le nom du parent ou du représentant légal.")),
            Length(max=200),
        ],
    )
    guardian_phone = TelField(
        _l("Téléphone"),
        filters=[single_line],
        validators=[
            Length(max=40),
            Phone(_l("Ce numéro de téléphone n’est pas valide (exemple : 06 12 34 56 78).")),
        ],
        description=_l("Un numéro français, par exemple 06 12 34 56 78."),
        render_kw={"autocomplete": "tel"},
    )
    guardian_email = EmailField(
        _l("Adresse e-mail"),
        filters=[single_line],
        validators=[
            Optional(),
            Length(max=254),
            AsciiLocalPart(LOCAL_PART_NOT_ASCII),
            Email(_l("Cette adresse e-mail n’est pas valide (exemple : nom@exemple.fr).")),
        ],
        render_kw={"autocomplete": "email"},
    )
    address = StringField(
        _l("Adresse"),
        filters=[single_line],
        validators=[required(_l("Indiquez l’adresse où vit l’enfant.")), Length(max=500)],
        description=_l("Numéro et rue, par exemple 12 rue de la Gare."),
        render_kw={"autocomplete": "street-address"},
    )
    postcode = StringField(
        _l("Code postal"),
        filters=[single_line],
        validators=[required(_l("Indiquez le code postal.")), Length(max=10)],
        render_kw={"autocomplete": "postal-code", "inputmode": "numeric"},
    )
    city = StringField(
        _l("Commune"),
        filters=[single_line],
        validators=[required(_l("Indiquez la commune.")), Length(max=200)],
        render_kw={"autocomplete": "address-level2"},
    )
    contact_language = language_field(
        _l("Langue dans laquelle écrire à la famille"),
        _l("Pour les e-mails et la page de suivi de la famille."),
    )
    home_languages = StringField(
        _l("Langue(s) parlée(s) à la maison"),
        filters=[single_line],
        validators=[Length(max=200)],
        description=_l("Par exemple : arabe, turc, français."),
    )
    interpreter = BooleanField(_l("Un·e interprète serait utile"))
    domains = SelectMultipleField(
        _l("Domaines de difficulté"),
        choices=options(DOMAINS.items()),
        validators=[required(_l("Cochez au moins un domaine."))],
    )
    situation = TextAreaField(
        _l("La situation"),
        filters=[multi_line],
        validators=[
            required(_l("Décrivez la situation.")),
            Length(
                max=SITUATION_MAX,
                message=_l("La situation doit tenir en %(max)d caractères au plus."),
            ),
        ],
    )
    # Hidden from people by CSS; robots that fill every field give themselves away.
    website = StringField(
        _l("Ne pas remplir ce champ"), render_kw={"autocomplete": "off", "tabindex": "-1"}
    )

    # How many of `children` are the form's children; set by pad_children, which adds empty
    # places after them up to MAX_CHILDREN, for the page to fold away.
    filled_children: int | None = None

    def suggest_place(self, place: tuple[str, str] | None) -> None:
        """Fill a blank form's postcode and commune with the territory's only ones
        (`Territory.sole_place`): typed by nearly every family, on a phone, for nothing. What
        is shown is what is sent, and a family living elsewhere types over it."""
        if place and not (self.postcode.data or self.city.data):
            self.postcode.data, self.city.data = place

    def pad_children(self) -> None:
        """Add empty children up to MAX_CHILDREN after those of the form, to show folded
        ("Ajouter un enfant"): a parent adds one with no page load, and a place left empty
        is not a child (`blank_children`). Done last, once validated and warned about."""
        self.filled_children = len(self.children)
        while len(self.children) < MAX_CHILDREN:
            place = self.children.append_entry().form
            # Nothing is required of a place until something is typed in it.
            for field in place:
                field.flags.required = False

    def validate_postcode(self, field: StringField) -> None:
        """A French postcode is five ASCII digits (str.isdigit() also takes "６２９９９")."""
        if field.data and not POSTCODE.fullmatch(field.data):
            raise ValidationError(_l("Le code postal doit avoir 5 chiffres (exemple : 62190)."))

    def validate(self, extra_validators=None) -> bool:
        """Check every field, then that the family can be reached by phone or e-mail."""
        valid = super().validate(extra_validators)
        self.validated = True
        phone, email = self.guardian_phone, self.guardian_email
        if not phone.data and not email.data and not phone.errors and not email.errors:
            # Optional() stops an empty field's own chain, so the pair is checked here.
            phone.errors = [
                *phone.errors,
                _l("Indiquez un téléphone ou une adresse e-mail pour joindre la famille."),
            ]
            valid = False
        return valid

    def warn(self, programme: Programme, today: date) -> None:
        """Mark what looks wrong but may be right: a child outside the programme's ages, an
        e-mail address on a misspelt provider.

        Warnings never block a send: they are shown whenever the form is shown again (errors,
        a child added or removed, the "Vérifier" button), and the confirmation repeats them.
        A field with an error, or not yet readable, is not warned about.
        """
        warnings = []
        self.age_outside = False
        for number, entry in enumerate(self.children, 1):
            child = entry.form
            born = child.birth_date.data
            if born is None or child.birth_date.errors or child.birth_date.process_errors:
                continue
            if age_status(born, today, programme) in (AgeStatus.TOO_YOUNG, AgeStatus.TOO_OLD):
                message = _l(self.AGE_WARNING, min_age=programme.min_age, max_age=programme.max_age)
                child.birth_date.warning = message
                label = f"{_l('Enfant %(n)d', n=number)} – {child.birth_date.label.text}"
                warnings.append((child.birth_date.anchor, label, message))
                self.age_outside = True
        slips = []
        for name in CHECKED_EMAILS:
            field = getattr(self, name, None)
            if field is None or not field.data or not self.passes(field):
                continue
            suggestion = suggest_address(field.data)
            if suggestion is None:
                continue
            message = _l(EMAIL_SUGGESTION, address=suggestion)
            field.warning = message
            warnings.append((field.id, field.label.text, message))
            slip = (field.data.rpartition("@")[2], suggestion.rpartition("@")[2])
            if slip not in slips:
                slips.append(slip)
        self.warnings = tuple(warnings)
        self.domain_slips = tuple(slips)

    def passes(self, field) -> bool:
        """Whether `field` has no error, checking it quietly when the form was not validated
        (a child added or removed): an address that is not one gets no suggestion."""
        if field.errors or field.process_errors:
            return False
        if self.validated:
            return True  # its validators ran, and said nothing
        try:
            for validator in field.validators:
                validator(self, field)
        except (ValidationError, StopValidation):
            return False
        return True

    def validate_website(self, field: StringField) -> None:
        """Let the view decide what to do with a filled honeypot; never tell the robot."""

    @property
    def is_spam(self) -> bool:
        """Whether the honeypot was filled."""
        return bool(self.website.data)
