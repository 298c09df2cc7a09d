"""Forms of the EPS meetings: a new meeting, its agenda, and the decisions taken there."""

from __future__ import annotations

import re
from datetime import datetime, time

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from intake.forms import BaseForm, multi_line, single_line
from intake.meetings.operations import MAX_ATTENDEES, AttendeeError, parse_attendees
from intake.rules.clock import moment_at, today
from intake.rules.references import reference_of
from intake.triage.forms import DayField, StatusForm

# "14:30", "14h30", "14 h 30", "9h", "09.15": how people write a time of day in France.
TIME = re.compile(r"(?P<hour>[0-9]{1,2})\s*(?:[:h.]\s*(?P<minute>[0-9]{2})?)?", re.IGNORECASE)


class MeetingVersionedForm(BaseForm):
    """A form that changes a meeting: it carries the meeting's version it was read at, so a
    change made meanwhile by another coordinator is refused (409) rather than overwritten."""

    # No id: several of these forms share the meeting page, and ids must be unique there.
    version = HiddenField(render_kw={"id": False})


class TimeField(StringField):
    """A time of day, as an <input type="time"> sends it or as people type it (14h30)."""

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        self.data = None
        text = str(self.raw).strip()
        if not text:
            return  # InputRequired says what is missing
        match = TIME.fullmatch(text)
        hour = int(match["hour"]) if match else 99
        minute = int(match["minute"] or 0) if match else 99
        if hour > 23 or minute > 59:
            raise ValueError(_l("Cette heure n’est pas valide : écrivez-la comme 14:30."))
        self.data = time(hour, minute)

    def _value(self) -> str:
        # What was typed stays as typed when it is refused.
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%H:%M") if self.data else ""


def plausible_year(form, field) -> None:
    """A meeting of this century and of the next few years, not a typing slip."""
    if field.data is None:
        return
    this_year = today().year
    if not (2000 <= field.data.year <= this_year + 5):
        raise ValidationError(_l("Vérifiez l’année."))


def readable_attendees(form, field) -> None:
    """Each line names a person and their organisation."""
    try:
        parse_attendees(field.data or "")
    except AttendeeError as error:
        raise ValidationError(str(error)) from None


class MeetingForm(BaseForm):
    """A new meeting: when (Paris time), where, and who attends."""

    day = DayField(
        _l("Date de la réunion"),
        validators=[InputRequired(_l("Indiquez la date de la réunion.")), plausible_year],
        description=_l("Par exemple 12/01/2027."),
        render_kw={"class": "input-date"},
    )
    start = TimeField(
        _l("Heure de début"),
        validators=[InputRequired(_l("Indiquez l’heure de début de la réunion."))],
        description=_l("Heure de Paris, par exemple 14:30."),
        render_kw={"class": "input-short"},
    )
    place = StringField(
        _l("Lieu"),
        filters=[single_line],
        validators=[
            DataRequired(_l("Indiquez le lieu de la réunion.")),
            Length(max=200, message=_l("Le lieu doit tenir en %(max)d caractères au plus.")),
        ],
    )
    attendees = TextAreaField(
        _l("Participants"),
        filters=[multi_line],
        validators=[
            DataRequired(_l("Indiquez au moins un participant.")),
            Length(
                max=MAX_ATTENDEES * 200,
                message=_l("La liste des participants est trop longue."),
            ),
            readable_attendees,
        ],
        description=_l(
            "Un participant par ligne : « Nom — Organisation » ou « Nom, Organisation »."
        ),
    )

    def starts_at(self) -> datetime:
        """The meeting's start as an aware datetime in Paris (stored in UTC by the model)."""
        return moment_at(self.day.data, self.start.data)


def readable_reference(form, field) -> None:
    """What was typed reads as a reference (intake.rules.references), however short. Said
    once: not again after the length's own message."""
    if field.data and not field.errors and form.wanted_reference() is None:
        raise ValidationError(
            _l("Une référence s’écrit PRE-2026-00042, ou 2026-42, ou 42 pour cette année.")
        )


class AddItemForm(MeetingVersionedForm):
    """Put a referral on the agenda, by its reference as people say it: `PRE-2026-00042`,
    `2026-42`, or `42` for this year."""

    reference = StringField(
        _l("Référence du dossier"),
        filters=[single_line],
        validators=[
            DataRequired(_l("Indiquez la référence du dossier, par exemple PRE-2026-00042.")),
            Length(max=40, message=_l("Une référence s’écrit PRE-2026-00042.")),
            readable_reference,
        ],
        description=_l(
            "Par exemple PRE-2026-00042, 2026-42, ou 42 pour cette année. Le dossier doit "
            "être « en cours d’examen » ou déjà à l’ordre du jour."
        ),
        render_kw={"autocomplete": "off"},
    )

    def wanted_reference(self) -> str | None:
        """The reference typed, written in full; a number alone is one of this year's, in
        Paris (on 1 January at 00:30 in Paris, "42" is already next year's)."""
        return reference_of(self.reference.data or "", today().year)


class EnrolForm(BaseForm):
    """From a referral's page: put it on one of the coming meetings. It carries the referral's
    version, as every change form of that page does."""

    meeting = SelectField(
        _l("Réunion EPS"),
        choices=[],
        validate_choice=False,
        validators=[DataRequired(_l("Choisissez une réunion."))],
        # Not "meeting": the page has other forms, and this id must say which field it is.
        id="enrol-meeting",
    )
    version = HiddenField(render_kw={"id": False})


POSTPONED_LABEL = _l("Reporté à une prochaine réunion")


class DecisionForm(StatusForm):
    """What the EPS decided for one referral: the status form's decision fields, validated by
    the same workflow, plus the meeting's minute. No confirmation step: the team decided in
    session, and the coordinator only records it."""

    confirm = None
    comment = None
    version = HiddenField(render_kw={"id": False})
    minute = TextAreaField(
        _l("Compte rendu"),
        filters=[multi_line],
        validators=[
            Length(
                max=2000, message=_l("Le compte rendu doit tenir en %(max)d caractères au plus.")
            )
        ],
        description=_l(
            "Ce que l’équipe a retenu, en quelques lignes. Il est aussi repris dans "
            "l’historique du dossier ; obligatoire quand le motif ou le service est « autre »."
        ),
    )
