"""A child of a referral as the forms ask for it: names, birth date in three inputs, school,
class; and the list of children, read from well-formed indexes only."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import DateField, FieldList, Form, SelectField, StringField
from wtforms.utils import unset_value
from wtforms.validators import Length, StopValidation, ValidationError

from intake.forms.base import single_line, translations
from intake.forms.dates import MISSING, PARTS, DateProblem, birth_date_problem, read_date
from intake.forms.fields import options, parse_date, required, school_choices
from intake.rules.clock import today
from intake.rules.screening import OTHER_SCHOOL
from intake.rules.vocabulary import CLASS_LEVELS

# A child's index in a field name (`children-2-first_name`, `remove_child-2`): ASCII digits,
# no leading zero, at most three. `\d` and str.isdigit() also take "²" or "٣", which int()
# then refuses, as it refuses more than 4,300 digits: either was a 500.
INDEX = r"0|[1-9][0-9]{0,2}"
LIST_KEY = re.compile(rf"({INDEX})-(.+)", re.DOTALL)
REMOVE_CHILD = re.compile(rf"remove_child-({INDEX})")


def split_list_key(key: str, prefix: str) -> tuple[int, str] | None:
    """(index, subfield) of a FieldList key such as `children-2-first_name`, or None."""
    if not key.startswith(prefix + "-"):
        return None
    match = LIST_KEY.fullmatch(key, len(prefix) + 1)
    return (int(match.group(1)), match.group(2)) if match else None


def blank_children(formdata) -> set[int]:
    """The indexes of the children whose every input was left empty: the folded places for a
    second, third or fourth child that the forms always carry, unfolded or not. The lowest
    index is never among them, so a form with no child filled still answers for child 1."""
    filled: dict[int, bool] = {}
    for key in formdata:
        if parsed := split_list_key(key, "children"):
            typed = any(isinstance(v, str) and v.strip() for v in formdata.getlist(key))
            filled[parsed[0]] = filled.get(parsed[0], False) or typed
    blank = {index for index, typed in filled.items() if not typed}
    if filled and len(blank) == len(filled):
        blank.discard(min(filled))
    return blank


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
        if self.school.data == OTHER_SCHOOL and not field.data:
            raise ValidationError(_l("Indiquez le nom de l’établissement, ou « non scolarisé »."))
