"""The login form."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from intake.auth.operations import MIN_PASSWORD_LENGTH
from intake.forms import BaseForm, single_line


class LoginForm(BaseForm):
    """E-mail and password of a staff account."""

    email = EmailField(
        _l("Adresse e-mail"),
        filters=[single_line],
        validators=[DataRequired(_l("Indiquez votre adresse e-mail.")), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Mot de passe"),
        validators=[DataRequired(_l("Indiquez votre mot de passe.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


class NewPasswordForm(BaseForm):
    """A new password, typed twice, chosen through a reset link."""

    password = PasswordField(
        _l("Nouveau mot de passe"),
        description=_l("Au moins %(num)d caractères.", num=MIN_PASSWORD_LENGTH),
        validators=[
            DataRequired(_l("Choisissez un mot de passe.")),
            Length(
                min=10, max=200, message=_l("Le mot de passe doit compter de 10 à 200 caractères.")
            ),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Le même mot de passe, encore une fois"),
        validators=[
            DataRequired(_l("Tapez le mot de passe une seconde fois.")),
            EqualTo("password", _l("Les deux mots de passe sont différents.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
