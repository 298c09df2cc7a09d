"""The forms of a child's page: its profile, and its parcours' référent, objectives, actions,
reviews and exit. Each carries the referral's version (VersionedForm), as every change form
does; codes are checked here with a message saying what to choose, never "Not a valid choice".
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from intake.forms import multi_line, single_line
from intake.forms.fields import options
from intake.rules.clock import today
from intake.rules.decisions import SERVICES
from intake.rules.parcours import (
    ACTION_MODES,
    EXIT_REASONS,
    OBJECTIVE_MAX,
    REVIEW_KINDS,
    SEXES,
)
from intake.rules.vocabulary import DOMAINS
from intake.triage.forms import DayField, VersionedForm, not_in_future

# How far ahead an action may be planned: past this, a year is a typing slip.
PLANNED_YEARS = 2


def plausible_day(form, field) -> None:
    """A day of the programme's life: not before 2000, not years ahead (a slip of the year)."""
    if field.data is None:
        return
    if field.data.year < 2000 or field.data.year > today().year + PLANNED_YEARS:
        raise ValidationError(_l("Vérifiez l’année."))


def one_of(codes, message):
    """A validator refusing a value that is not one of `codes` with `message`."""

    def check(form, field) -> None:
        if (field.data or "") not in codes:
            raise ValidationError(message)

    return check


def text_max(limit: int):
    return Length(max=limit, message=_l("Ce texte doit tenir en %(max)d caractères au plus."))


class ProfileForm(VersionedForm):
    """What the coordinator records of the child at first contact."""

    sex = SelectField(
        _l("Sexe"),
        # "Non renseigné" ("") first: what nobody has recorded yet.
        choices=options(((code, label) for code, label in SEXES.items() if code), SEXES[""]),
        validate_choice=False,
        validators=[one_of(SEXES, _l("Sexe : choisissez fille, garçon ou non renseigné."))],
        description=_l("Demandé à la famille au premier contact ; jamais sur les formulaires."),
    )


class ReferentForm(VersionedForm):
    """Who follows the parcours: a coordinator's account, or a person outside the programme.
    The view sets the accounts offered."""

    referent_id = SelectField(_l("Membre de la coordination"), choices=[], validate_choice=False)
    referent_name = StringField(
        _l("Ou personne extérieure : nom"),
        filters=[single_line],
        validators=[text_max(200)],
    )
    referent_organisation = StringField(
        _l("Sa structure"),
        filters=[single_line],
        validators=[text_max(200)],
    )

    def validate_referent_id(self, field: SelectField) -> None:
        # Not sent at all is "nobody chosen", as the empty option is.
        field.data = field.data or ""
        if field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(
                _l("Choisissez un membre de la coordination dont le compte est actif.")
            )


class ObjectiveForm(VersionedForm):
    """A new objective: a domain, what is aimed at in it."""

    domain = SelectField(
        _l("Domaine"),
        id="objective-domain",
        choices=options(DOMAINS.items(), placeholder=_l("Choisissez un domaine")),
        validate_choice=False,
        validators=[one_of(DOMAINS, _l("Domaine : choisissez-le dans la liste."))],
    )
    text = TextAreaField(
        _l("Objectif"),
        id="objective-text",
        filters=[multi_line],
        validators=[DataRequired(_l("Écrivez l’objectif.")), text_max(OBJECTIVE_MAX)],
        description=_l("En une ou deux phrases (500 caractères au plus)."),
    )


class ObjectiveEditForm(VersionedForm):
    """An objective's text, corrected (the form's prefix names the domain)."""

    text = TextAreaField(
        _l("Objectif"),
        filters=[multi_line],
        validators=[DataRequired(_l("Écrivez l’objectif.")), text_max(OBJECTIVE_MAX)],
    )


class ActionForm(VersionedForm):
    """An action put in place, new or corrected (then with a prefix of its own). The view
    sets the kinds offered: the built-in ones and the territory's."""

    kind = SelectField(_l("Type d’action"), choices=[], validate_choice=False)
    detail = StringField(
        _l("Précision"),
        filters=[single_line],
        validators=[text_max(300)],
        description=_l("Obligatoire pour « Autre action »."),
    )
    mode = SelectField(
        _l("Individuelle ou collective"),
        choices=options(ACTION_MODES.items()),
        validate_choice=False,
        validators=[one_of(ACTION_MODES, _l("Choisissez individuelle ou collective."))],
        default="individual",
    )
    partner = StringField(
        _l("Partenaire"),
        filters=[single_line],
        validators=[text_max(200)],
        description=_l("La structure ou la personne qui mène l’action."),
    )
    started_on = DayField(
        _l("Début"),
        validators=[InputRequired(_l("Indiquez la date de début de l’action.")), plausible_day],
    )
    ended_on = DayField(_l("Fin"), validators=[plausible_day])

    def validate_kind(self, field: SelectField) -> None:
        if field.data not in {choice.value for choice in field.choices if choice.value}:
            raise ValidationError(_l("Choisissez le type d’action dans la liste."))


class ReviewForm(VersionedForm):
    """A review of the parcours by the EPS or the team."""

    held_on = DayField(
        _l("Date de la revue"),
        validators=[InputRequired(_l("Indiquez la date de la revue.")), not_in_future],
        default=today,
    )
    kind = SelectField(
        _l("Revue faite par"),
        id="review-kind",
        choices=options(REVIEW_KINDS.items(), placeholder=_l("Choisissez qui")),
        validate_choice=False,
        validators=[one_of(REVIEW_KINDS, _l("Choisissez qui a fait la revue."))],
    )
    summary = TextAreaField(
        _l("Ce qui a été dit"),
        filters=[multi_line],
        validators=[DataRequired(_l("Résumez la revue.")), text_max(4000)],
    )
    next_on = DayField(
        _l("Prochaine revue"),
        validators=[plausible_day],
        description=_l("Facultatif : la date à laquelle revoir le parcours."),
    )


class RemoveForm(VersionedForm):
    """A removal: nothing to say but the version it was decided on."""


class ExitForm(VersionedForm):
    """The end of a parcours: its day and reason (intake.rules.parcours.check_exit checks what
    each reason needs), confirmed in a second step."""

    ended_on = DayField(
        _l("Date de fin du parcours"),
        id="exit-ended_on",
        validators=[InputRequired(_l("Indiquez la date de fin du parcours.")), not_in_future],
        default=today,
    )
    exit_reason = SelectField(
        _l("Motif de sortie"),
        choices=options(EXIT_REASONS.items(), placeholder=_l("Choisissez un motif")),
        validate_choice=False,
        validators=[one_of(EXIT_REASONS, _l("Motif de sortie : choisissez-le dans la liste."))],
    )
    service = SelectField(
        _l("Service qui prend le relais"),
        choices=options(SERVICES.items(), placeholder=_l("Choisissez un service")),
        validate_choice=False,
        validators=[one_of({"", *SERVICES}, _l("Service : choisissez-le dans la liste."))],
        description=_l("Pour « Relais pris par un autre service »."),
    )
    comment = TextAreaField(
        _l("Commentaire"),
        id="exit-comment",
        filters=[multi_line],
        validators=[text_max(4000)],
        description=_l("Obligatoire pour « Autre motif », ou un service « autre »."),
    )
    confirm = BooleanField(_l("Je confirme"))
