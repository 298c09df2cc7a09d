"""The two public forms: a professional's referral and a parent's request."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from datetime import date

import phonenumbers
from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    Form,
    FormField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.utils import unset_value
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    Optional,
    StopValidation,
    ValidationError,
)

from intake.forms import BaseForm, multi_line, single_line, translations
from intake.i18n import N_
from intake.public.dates import MISSING, PARTS, DateProblem, birth_date_problem, read_date
from intake.public.typos import suggest_address
from intake.rules.clock import today
from intake.rules.screening import AgeStatus, age_status
from intake.rules.vocabulary import CLASS_LEVELS, DOMAINS, REFERRER_ROLES
from intake.territory.model import Programme, Territory

MAX_CHILDREN = 4
SITUATION_MAX = 4000

# A child's index in a field name (`children-2-first_name`, `remove_child-2`): ASCII digits,
# no leading zero, at most three. `\d` and str.isdigit() also take "²" or "٣", which int()
# then refuses, as it refuses more than 4,300 digits: either was a 500.
INDEX = r"0|[1-9][0-9]{0,2}"
LIST_KEY = re.compile(rf"({INDEX})-(.+)", re.DOTALL)
REMOVE_CHILD = re.compile(rf"remove_child-({INDEX})")

# What a phone number is made of: ASCII digits and the usual separators (spaces, no-break
# spaces included, as word processors write them). `phonenumbers` alone also reads
# full-width digits and letters ("06 CALL ME").
PHONE_CHARACTERS = re.compile(r"[0-9 +.\-()/\u00a0\u202f]+")
POSTCODE = re.compile(r"[0-9]{5}")
# A birth date as a date picker sends it, or as people write it in France (4/5/2016 too).
ISO_DATE = re.compile(r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})")
FRENCH_DATE = re.compile(r"(?P<day>[0-9]{1,2})/(?P<month>[0-9]{1,2})/(?P<year>[0-9]{4})")


def split_list_key(key: str, prefix: str) -> tuple[int, str] | None:
    """(index, subfield) of a FieldList key such as `children-2-first_name`, or None."""
    if not key.startswith(prefix + "-"):
        return None
    match = LIST_KEY.fullmatch(key, len(prefix) + 1)
    return (int(match.group(1)), match.group(2)) if match else None


def parse_date(text: str) -> date | None:
    """The date written `YYYY-MM-DD` or `DD/MM/YYYY` in ASCII digits, or None."""
    match = ISO_DATE.fullmatch(text) or FRENCH_DATE.fullmatch(text)
    if match is None:
        return None
    try:
        return date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:  # 30 February, month 13, year 0
        return None


def required(message: str) -> DataRequired:
    """A required field with its own message naming what is missing."""
    return DataRequired(message)


def options(pairs, placeholder: str | None = None) -> list[SelectChoice]:
    """Select options from (code, label) pairs, after an empty placeholder if given."""
    choices = [SelectChoice("", placeholder)] if placeholder is not None else []
    return choices + [SelectChoice(code, label) for code, label in pairs]


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


class Checked:
    """A checkbox that must be ticked, with a message saying what it agrees to."""

    def __init__(self, message: str) -> None:
        self.message = message
        self.field_flags = {"required": True}

    def __call__(self, form: Form, field: BooleanField) -> None:
        if not field.data:
            raise StopValidation(self.message)


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


# Short enough to show whole in the closed list on a 360 px phone (tests/test_browser.py).
OTHER_SCHOOL = _l("Autre, ou non scolarisé")


def _name_key(name: str) -> str:
    """Sort key for a name: "École" among the E, not after Z."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


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
        territory.schools, key=lambda s: (order.get(s.commune, len(order)), _name_key(s.name))
    )
    # The closed list shows a name without its group: a name found in two communes says which.
    communes_by_name = Counter(_name_key(s.name) for s in territory.schools)
    return [
        SelectChoice("", _l("Choisissez un établissement")),
        *(
            SelectChoice(
                school.uai,
                school.name
                if communes_by_name[_name_key(school.name)] == 1
                else f"{school.name} ({school.commune})",
                optgroup=school.commune,
            )
            for school in schools
        ),
        SelectChoice("other", OTHER_SCHOOL),
    ]


class BirthDateField(DateField):
    """A birth date in three inputs (day, month, year), or in the one field of the contract.

    The page shows `<name>-day`, `<name>-month` and `<name>-year`; a client may still send
    `<name>` whole, as a date picker does (YYYY-MM-DD) or as people write it (DD/MM/YYYY).
    Every problem says what is wrong, and `problem_parts` which inputs hold it. strptime() is
    not used: it also reads other scripts' digits and odd spacing.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.parts = dict.fromkeys(PARTS, "")
        self.problem_parts: tuple[str, ...] = ()

    @property
    def anchor(self) -> str:
        """The id an error summary links to: the first input at fault, else the day."""
        return f"{self.id}-{(self.problem_parts or PARTS)[0]}"

    def typed_parts(self, formdata) -> dict[str, str] | None:
        """What was typed in the three inputs, or None when the date came whole (or not)."""
        keys = {part: f"{self.name}-{part}" for part in PARTS}
        if formdata is None or not any(key in formdata for key in keys.values()):
            return None
        # Only text counts: a file part named like an input is not something typed.
        typed = {
            part: next((v for v in formdata.getlist(key) if isinstance(v, str)), "")
            for part, key in keys.items()
        }
        whole = next((v for v in formdata.getlist(self.name) if isinstance(v, str)), "")
        if whole.strip() and not any(value.strip() for value in typed.values()):
            return None  # empty inputs beside a whole date: the whole date is what was sent
        return typed

    def process(self, formdata, data=unset_value, extra_filters=None) -> None:
        self.problem_parts = ()
        typed = self.typed_parts(formdata)
        if typed is None:
            super().process(formdata, data, extra_filters)
            if self.data is not None:
                self.parts = {
                    "day": str(self.data.day),
                    "month": str(self.data.month),
                    "year": str(self.data.year),
                }
            return
        self.process_errors = []
        self.object_data = None
        self.raw_data = list(typed.values())
        self.parts = typed
        self.data = None
        result = read_date(typed["day"], typed["month"], typed["year"], today())
        if isinstance(result, DateProblem):
            self.problem(result)
        else:
            self.data = result

    def process_formdata(self, valuelist) -> None:
        self.data = None
        text = " ".join(value for value in valuelist if isinstance(value, str)).strip()
        if not text:
            self.problem(DateProblem(MISSING[PARTS]))
            return
        born = parse_date(text)
        if born is None:
            self.problem(
                DateProblem(_l("Cette date n’est pas valide : écrivez-la comme 23/09/2015."))
            )
            return
        found = birth_date_problem(born, today())
        if found is not None:
            self.problem(found)
            return
        self.data = born

    def pre_validate(self, form: Form) -> None:
        # A form posted with no field at all is not processed (BaseForm): nothing was said yet.
        if self.data is None and not self.process_errors:
            self.problem_parts = PARTS
            raise StopValidation(MISSING[PARTS])

    def problem(self, found: DateProblem) -> None:
        """Record a problem: reported by validate(), shown on the inputs it names."""
        self.process_errors.append(found.message)
        self.problem_parts = found.parts


class ChildList(FieldList):
    """The children's FieldList, reading only well-formed indexes (see INDEX)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.type = "FieldList"  # what the templates look for to render a list of entries

    def _extract_indices(self, prefix, formdata):
        # WTForms' own version takes any key starting with the prefix and str.isdigit().
        for key in formdata:
            if parsed := split_list_key(key, prefix):
                yield parsed[0]


class ChildForm(Form):
    """One child; CSRF belongs to the outer form."""

    class Meta:
        # A plain Form does not get the translations of BaseForm: WTForms' own messages
        # ("Not a valid choice") would stay in English.
        def get_translations(self, form):
            return translations

    first_name = StringField(
        _l("Prénom"),
        filters=[single_line],
        validators=[required(_l("Indiquez le prénom de l’enfant.")), Length(max=100)],
        render_kw={"autocomplete": "off"},
    )
    last_name = StringField(
        _l("Nom"),
        filters=[single_line],
        validators=[required(_l("Indiquez le nom de l’enfant.")), Length(max=100)],
        render_kw={"autocomplete": "off"},
    )
    birth_date = BirthDateField(
        _l("Date de naissance"),
        description=_l("Par exemple 23 9 2015"),
    )
    school = SelectField(
        _l("Établissement scolaire"),
        choices=[],
        validate_choice=True,
        validators=[required(_l("Choisissez l’établissement de l’enfant."))],
        description=_l(
            "Établissement absent de la liste, ou enfant non scolarisé : "
            "choisissez «\u00a0Autre, ou non scolarisé\u00a0»."
        ),
    )
    school_other = StringField(
        _l("Autre établissement"),
        filters=[single_line],
        validators=[Length(max=200)],
        description=_l("Son nom et sa commune, ou « non scolarisé »."),
    )
    class_level = SelectField(
        _l("Classe"),
        choices=options(CLASS_LEVELS.items(), placeholder=_l("Choisissez une classe")),
        validators=[required(_l("Choisissez la classe de l’enfant."))],
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.school.choices = school_choices()

    def validate_school_other(self, field: StringField) -> None:
        """The free-text school is required exactly when 'other' is chosen."""
        if self.school.data == "other" and not field.data:
            raise ValidationError(_l("Indiquez le nom de l’établissement, ou « non scolarisé »."))


EMAIL_SUGGESTION = N_(
    "Vouliez-vous dire %(address)s ? Corrigez l’adresse si besoin : "
    "si elle est juste, laissez-la telle quelle."
)
# The fields whose typed address is checked for a misspelt provider.
CHECKED_EMAILS = ("guardian_email", "referrer_email")


class ReferralBase(BaseForm):
    """The fields both forms share: children, family, difficulties, honeypot."""

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


class OrientationForm(ReferralBase):
    """A professional's referral (`/orientation`)."""

    AGE_WARNING = N_(
        "Le programme accompagne les enfants de %(min_age)d à %(max_age)d ans : votre "
        "orientation sera étudiée, et si besoin orientée vers un autre service."
    )

    referrer_name = StringField(
        _l("Votre nom et prénom"),
        filters=[single_line],
        validators=[required(_l("Indiquez votre nom.")), Length(max=200)],
        render_kw={"autocomplete": "name"},
    )
    referrer_organisation = StringField(
        _l("Votre structure"),
        filters=[single_line],
        validators=[required(_l("Indiquez votre structure (école, service…).")), Length(max=200)],
        render_kw={"autocomplete": "organization"},
    )
    referrer_role = SelectField(
        _l("Votre fonction"),
        choices=options(REFERRER_ROLES.items(), placeholder=_l("Choisissez votre fonction")),
        validators=[required(_l("Choisissez votre fonction."))],
    )
    referrer_email = EmailField(
        _l("Votre adresse e-mail professionnelle"),
        filters=[single_line],
        validators=[
            required(_l("Indiquez votre adresse e-mail : l’accusé de réception y est envoyé.")),
            Length(max=254),
            AsciiLocalPart(LOCAL_PART_NOT_ASCII),
            Email(_l("Cette adresse e-mail n’est pas valide (exemple : nom@exemple.fr).")),
        ],
        description=_l("L’accusé de réception et le lien de suivi y sont envoyés."),
        render_kw={"autocomplete": "email"},
    )
    referrer_phone = TelField(
        _l("Votre téléphone"),
        filters=[single_line],
        validators=[
            Length(max=40),
            Phone(_l("Ce numéro de téléphone n’est pas valide (exemple : 03 21 12 34 56).")),
        ],
        render_kw={"autocomplete": "tel"},
    )
    actions_tried = TextAreaField(
        _l("Ce qui a déjà été essayé, qui intervient déjà"),
        filters=[multi_line],
        validators=[Length(max=SITUATION_MAX)],
    )
    family_informed = BooleanField(
        _l("La famille est informée de cette orientation et en est d’accord."),
        validators=[
            Checked(_l("La famille doit être informée et d’accord avant toute orientation."))
        ],
    )
    urgent = BooleanField(_l("La situation est urgente."))


class RequestForm(ReferralBase):
    """A parent's or legal guardian's request (`/demande`)."""

    AGE_WARNING = N_(
        "Le programme accompagne les enfants de %(min_age)d à %(max_age)d ans : votre demande "
        "sera étudiée, et si besoin orientée vers un autre service."
    )

    heard_from = StringField(
        _l("Qui vous a parlé du programme ?"),
        filters=[single_line],
        validators=[Length(max=500)],
        description=_l("Par exemple l’école, une assistante sociale, un voisin."),
    )
    consent = BooleanField(
        _l(
            "J’accepte d’être contacté·e par l’équipe du programme "
            "et j’ai lu la politique de confidentialité."
        ),
        validators=[Checked(_l("Cochez cette case pour que l’équipe puisse vous contacter."))],
    )
