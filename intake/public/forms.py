"""The two public forms: a professional's referral and a parent's request."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    Form,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import Email, Length, StopValidation

from intake.forms import multi_line, single_line
from intake.forms.fields import LOCAL_PART_NOT_ASCII, AsciiLocalPart, Phone, options, required
from intake.forms.referral import SITUATION_MAX, ReferralBase, language_field
from intake.i18n import N_
from intake.rules.vocabulary import REFERRER_ROLES


class Checked:
    """A checkbox that must be ticked, with a message saying what it agrees to."""

    def __init__(self, message: str) -> None:
        self.message = message
        self.field_flags = {"required": True}

    def __call__(self, form: Form, field: BooleanField) -> None:
        if not field.data:
            raise StopValidation(self.message)


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

    contact_language = language_field(
        _l("Langue pour vous écrire"), _l("Pour nos e-mails et votre page de suivi.")
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
