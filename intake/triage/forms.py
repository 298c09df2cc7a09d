"""Forms of the staff pages."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms import BaseForm, multi_line


class StatusForm(BaseForm):
    """Move a referral to another status, saying why."""

    status = SelectField(
        _l("Nouveau statut"),
        choices=[],
        validate_choice=False,
        validators=[DataRequired(_l("Choisissez un statut."))],
    )
    comment = TextAreaField(
        _l("Commentaire"),
        filters=[multi_line],
        validators=[
            Length(max=4000, message=_l("Le commentaire doit tenir en %(max)d caractères au plus."))
        ],
        description=_l("Obligatoire pour une réorientation, un refus ou un retrait."),
    )


class NoteForm(BaseForm):
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
