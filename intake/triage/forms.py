"""Forms of the staff pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from intake.forms import BaseForm, multi_line, single_line
from intake.forms.children import ChildForm, ChildList
from intake.forms.fields import options, parse_date
from intake.forms.referral import ReferralBase
from intake.models import Referral
from intake.rules.clock import today
from intake.rules.decisions import AGREEMENT_METHODS, REASONS, SERVICES, WITHDRAWN_BY
from intake.rules.vocabulary import format_phone


class VersionedForm(BaseForm):
    """A form that changes a referral: it says which version of the referral it was read at,
    so that a change made meanwhile by someone else is not silently overwritten."""

    # No id: several of these forms share the detail page, and ids must be unique there.
    version = HiddenField(render_kw={"id": False})


class DayField(DateField):
    """A day, from a date picker (ISO) or typed the French way; else a message saying how."""

    def process_formdata(self, valuelist):
        self.data = None
        text = " ".join(value for value in valuelist if isinstance(value, str)).strip()
        if not text:
            return  # DataRequired says what is missing
        self.data = parse_date(text)
        if self.data is None:
            raise ValueError(_l("Cette date n’est pas valide : écrivez-la comme 23/09/2026."))


class ChildrenField(SelectMultipleField):
    """Which children of the referral a change is for: checkboxes of their numbers ("1" to
    "4", as the page shows them), set by the view; none ticked means every child the change
    applies to. A value that is not one of them is refused with a message."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:
        known = {value for value, *_ in self.choices or ()}
        if any(value not in known for value in self.data or ()):
            raise ValidationError(_l("Choisissez les enfants parmi ceux du dossier."))

    @property
    def numbers(self) -> list[int]:
        """The children ticked, by number (validated: ASCII digits of the choices)."""
        return [int(value) for value in self.data or () if value.isascii() and value.isdigit()]


def children_field(id_: str) -> ChildrenField:
    """A ChildrenField with an id of its own: three forms of the detail page have one."""
    return ChildrenField(
        _l("Enfants concernés"),
        id=id_,
        choices=[],
        description=_l("Aucun coché : tous les enfants concernés par ce changement."),
    )


def not_in_future(form, field) -> None:
    """A day already reached in Paris (an agreement is recorded once given, not before), and
    not so far back that it can only be a typing slip."""
    if field.data is None:
        return
    if field.data > today():
        raise ValidationError(_l("La date ne peut pas être dans le futur."))
    if field.data.year < 2000:
        raise ValidationError(_l("Vérifiez l’année."))


class StatusForm(VersionedForm):
    """Move a referral to another status, saying why; a decision says it with codes."""

    status = SelectField(
        _l("Nouveau statut"),
        choices=[],
        validate_choice=False,
        validators=[DataRequired(_l("Choisissez un statut."))],
    )
    # Codes are checked by intake.rules.workflow.check_decision, the one place that knows which
    # status needs which: an unknown one answers with a message there, not "Not a valid choice".
    reason = SelectField(
        _l("Motif"),
        choices=options(REASONS.items(), placeholder=_l("Choisissez un motif")),
        validate_choice=False,
        description=_l("Pour un refus ou une réorientation."),
    )
    service = SelectField(
        _l("Service vers lequel la famille est orientée"),
        choices=options(SERVICES.items(), placeholder=_l("Choisissez un service")),
        validate_choice=False,
        description=_l("Pour une réorientation ; ce service est toujours communiqué."),
    )
    withdrawn_by = SelectField(
        _l("Retirée par"),
        choices=options(WITHDRAWN_BY.items(), placeholder=_l("Choisissez qui a retiré")),
        validate_choice=False,
        description=_l("Pour un retrait."),
    )
    share_reason = BooleanField(
        _l("Communiquer le motif à la famille et à la personne qui a orienté"),
    )
    comment = TextAreaField(
        _l("Commentaire"),
        filters=[multi_line],
        validators=[
            Length(max=4000, message=_l("Le commentaire doit tenir en %(max)d caractères au plus."))
        ],
        description=_l(
            "Obligatoire pour rouvrir un dossier, ou quand le motif ou le service est « autre »."
        ),
    )
    children = children_field("status-children")
    confirm = BooleanField(_l("Je confirme"))


class NoteForm(VersionedForm):
    """A note on a referral."""

    text = TextAreaField(
        _l("Note"),
        filters=[multi_line],
        validators=[
            DataRequired(_l("Écrivez la note.")),
            Length(max=4000, message=_l("La note doit tenir en %(max)d caractères au plus.")),
        ],
        description=_l("Un appel, un document reçu, une prochaine étape… Visible de l’équipe."),
    )


class CorrectedChildren(ChildList):
    """The children of a correction: as many as the referral has, at the indexes it has.

    A correction neither adds nor removes a child, so an index beyond the referral's children
    (`children-7-…`) is ignored; the child it leaves without values answers with its errors.
    """

    def _extract_indices(self, prefix, formdata):
        for index in super()._extract_indices(prefix, formdata):
            if index < self.max_entries:
                yield index


class CorrectionForm(ReferralBase):
    """A coordinator's correction of the children and the family: the public forms' fields and
    rules, without the situation (what the sender wrote stays as it was sent) or the honeypot.
    """

    situation = None
    website = None
    version = HiddenField()

    @classmethod
    def for_referral(cls, referral: Referral, formdata=None) -> CorrectionForm:
        """The form for `referral`: from `formdata` when posted, else pre-filled with the
        stored values and the version they were read at."""
        count = len(referral.children)

        class Sized(cls):
            children = CorrectedChildren(FormField(ChildForm), min_entries=count, max_entries=count)

        if formdata is not None:
            form = Sized(formdata=formdata)
        else:
            form = Sized(formdata=None, data=stored_data(referral))
        for entry, child in zip(form.children, referral.children, strict=False):
            school = entry.form.school
            # A school since removed from the territory file stays a valid (unchanged) answer.
            if child.school not in {choice.value for choice in school.choices}:
                school.choices.append(SelectChoice(child.school, child.school))
        return form


def stored_data(referral: Referral) -> dict:
    """The correction form's values for `referral` as stored; phones the way people write them."""
    return {
        "version": referral.version,
        "guardian_name": referral.guardian_name,
        "guardian_phone": format_phone(referral.guardian_phone),
        "guardian_email": referral.guardian_email or "",
        "address": referral.address,
        "postcode": referral.postcode,
        "city": referral.city,
        "domains": list(referral.domains or ()),
        "contact_language": referral.contact_language,
        "home_languages": referral.home_languages,
        "interpreter": referral.interpreter,
        "children": [
            {
                "first_name": child.first_name,
                "last_name": child.last_name,
                "birth_date": child.birth_date,
                "school": child.school,
                "school_other": child.school_other or "",
                "class_level": child.class_level,
            }
            for child in referral.children
        ],
    }


class AgreementForm(VersionedForm):
    """A legal representative's agreement, as the coordinator received it."""

    guardian_name = StringField(
        _l("Représentant légal"),
        filters=[single_line],
        validators=[
            DataRequired(_l("Indiquez le nom du représentant légal qui a donné son accord.")),
            Length(max=200, message=_l("Le nom doit tenir en %(max)d caractères au plus.")),
        ],
    )
    given_on = DayField(
        _l("Date de l’accord"),
        # InputRequired: DataRequired would replace "not a valid date" by "missing".
        validators=[InputRequired(_l("Indiquez la date de l’accord.")), not_in_future],
        default=today,
    )
    method = SelectField(
        _l("Forme de l’accord"),
        choices=options(AGREEMENT_METHODS.items(), placeholder=_l("Choisissez comment")),
        validators=[DataRequired(_l("Indiquez comment l’accord a été donné."))],
    )
    comment = TextAreaField(
        _l("Commentaire"),
        # The status form has a `comment` too, on the same page.
        id="agreement-comment",
        filters=[multi_line],
        validators=[
            Length(max=4000, message=_l("Le commentaire doit tenir en %(max)d caractères au plus."))
        ],
    )
    children = children_field("agreement-children")


class WithdrawAgreementForm(VersionedForm):
    """The withdrawal of an agreement, with the day it was withdrawn."""

    withdrawn_on = DayField(
        _l("Date du retrait"),
        validators=[InputRequired(_l("Indiquez la date du retrait.")), not_in_future],
        default=today,
    )
    children = children_field("withdraw-children")


class AssignForm(VersionedForm):
    """Who follows the referral (its référent): an active coordinator, or nobody. The view
    sets the choices; a value outside them is refused with a message, not "Not a valid
    choice"."""

    assigned_to = SelectField(_l("Attribuer le dossier à"), choices=[], validate_choice=False)

    def validate_assigned_to(self, field: SelectField) -> None:
        if field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(
                _l("Choisissez un membre de la coordination dont le compte est actif.")
            )


# An address fits in one line: the longest French ones ("Bâtiment …, résidence …, 12 bis
# avenue …, 62190 Lillers") stay well under this.
ADDRESS_MAX = 300


class PlaceForm(BaseForm):
    """« Où se trouve cette adresse ? »: an address placed as screening places it, read
    from the query string (`?adresse=`), without CSRF: it changes nothing."""

    class Meta:
        csrf = False

    adresse = StringField(
        _l("Adresse"),
        # No-break spaces inside the guillemets: « never ends a line, » never starts one.
        description=_l(
            "Numéro, rue et code postal, par exemple «\u00a012 rue Neuve, 62190\u00a0»."
        ),
        filters=[single_line],
        validators=[
            Length(
                max=ADDRESS_MAX,
                message=_l("L’adresse doit tenir en %(max)d caractères au plus."),
            )
        ],
        # An address is personal data: not kept in the browser's form history.
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
