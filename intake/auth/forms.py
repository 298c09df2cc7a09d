"""The login form."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from ..forms import BaseForm, single_line


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
