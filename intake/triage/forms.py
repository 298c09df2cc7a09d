"""Forms of the staff pages."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from ..decisions import AGREEMENT_METHODS, REASONS, SERVICES, WITHDRAWN_BY
from ..forms import BaseForm, multi_line, single_line
from ..public.forms import options, parse_date
from ..vocabulary import PARIS


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


def not_in_future(form, field) -> None:
    """A day already reached in Paris (an agreement is recorded once given, not before), and
    not so far back that it can only be a typing slip."""
    if field.data is None:
        return
    if field.data > datetime.now(PARIS).date():
        raise ValidationError(_l("La date ne peut pas être dans le futur."))
    if field.data.year < 2000:
        raise ValidationError(_l("Vérifiez l’année."))


def today() -> date:
    """Today in Paris, the default of the agreement forms' dates."""
    return datetime.now(PARIS).date()


class StatusForm(VersionedForm):
    """Move a referral to another status, saying why; a decision says it with codes."""

    status = SelectField(
        _l("Nouveau statut"),
        choices=[],
        validate_choice=False,
        validators=[DataRequired(_l("Choisissez un statut."))],
    )
    # Codes are checked by intake.workflow.check_decision, the one place that knows which
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


class WithdrawAgreementForm(VersionedForm):
    """The withdrawal of an agreement, with the day it was withdrawn."""

    withdrawn_on = DayField(
        _l("Date du retrait"),
        validators=[InputRequired(_l("Indiquez la date du retrait.")), not_in_future],
        default=today,
    )
