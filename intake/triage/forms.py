"""Forms of the staff pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import FormField, HiddenField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms import BaseForm, multi_line
from ..models import Referral
from ..public.forms import ChildForm, ChildList, ReferralBase
from ..vocabulary import format_phone


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
