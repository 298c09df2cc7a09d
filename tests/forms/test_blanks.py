"""Blanks: every form's values are read without the whitespace and invisible characters around
them, so that a date, a time, a number or a choice of whitespace only is missing (and said so
on its field), never a value the field reads as None."""

from __future__ import annotations

import sys
from datetime import date, time

import pytest
from werkzeug.datastructures import MultiDict

from intake.auth.forms import LoginForm, NewPasswordForm
from intake.meetings.forms import AddItemForm, DecisionForm, EnrolForm, MeetingForm
from intake.public.forms import OrientationForm
from intake.rules.text import BLANKS, INVISIBLE, WHITESPACE, clean_text, trim
from intake.triage.account import AlertsForm
from intake.triage.forms import AgreementForm, NoteForm, StatusForm, WithdrawAgreementForm

# The Unicode whitespace family, and the byte order mark: what the issue names.
FAMILY = [
    "\t",
    "\n",
    "\r",
    " ",
    "\u00a0",
    "\u1680",
    *(chr(code) for code in range(0x2000, 0x200B)),
    "\u2028",
    "\u2029",
    "\u202f",
    "\u205f",
    "\u3000",
    "\ufeff",
]


def code(char: str) -> str:
    return f"U+{ord(char):04X}"


def test_the_blanks_are_every_whitespace_and_the_invisible_characters():
    spaces = {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}
    assert set(WHITESPACE) == spaces
    assert set(BLANKS) == spaces | INVISIBLE
    assert set(FAMILY) <= set(BLANKS)


@pytest.mark.parametrize("blank", FAMILY, ids=code)
def test_a_blank_alone_is_nothing_and_around_a_value_is_dropped(blank):
    assert trim(blank) == trim(blank * 3) == trim(f"{blank} {blank}\u200b") == ""
    assert trim(f"{blank}2026-01-05{blank}") == "2026-01-05"
    assert trim(f"{blank}\u00a0{blank}14:30 ") == "14:30"
    # Inside a value a blank stays: it is part of what was typed.
    assert trim(f"12{blank}rue") == f"12{blank}rue"
    # The public forms' cleaning trims with the same set.
    assert clean_text(f"{blank}Léa{blank}") == "Léa"


# Every date, time, number and choice of the staff forms, the text they require besides, a
# value it takes, what the field reads of it, and the message naming it when it is missing.
STAFF_FIELDS = [
    (MeetingForm, "day", "2027-06-15", date(2027, 6, 15), "Indiquez la date de la réunion."),
    (MeetingForm, "start", "14h30", time(14, 30), "Indiquez l’heure de début de la réunion."),
    (AgreementForm, "given_on", "05/01/2026", date(2026, 1, 5), "Indiquez la date de l’accord."),
    (AgreementForm, "method", "phone", "phone", "Indiquez comment l’accord a été donné."),
    (
        WithdrawAgreementForm,
        "withdrawn_on",
        "2026-02-01",
        date(2026, 2, 1),
        "Indiquez la date du retrait.",
    ),
    (StatusForm, "status", "in_review", "in_review", "Choisissez un statut."),
    (DecisionForm, "status", "postponed", "postponed", "Choisissez un statut."),
    (EnrolForm, "meeting", "12", "12", "Choisissez une réunion."),
    (AlertsForm, "alerts", "daily", "daily", "Choisissez comment être prévenu·e."),
    (AddItemForm, "reference", "PRE-2026-00042", "PRE-2026-00042", "Indiquez la référence"),
    (NoteForm, "text", "Appel.", "Appel.", "Écrivez la note."),
    (LoginForm, "email", "a@b.example", "a@b.example", "Indiquez votre adresse e-mail."),
]


@pytest.mark.parametrize(
    ("form_class", "name", "value", "read", "message"),
    STAFF_FIELDS,
    ids=[f"{form_class.__name__}.{name}" for form_class, name, *_ in STAFF_FIELDS],
)
def test_a_staff_field_of_blanks_only_is_missing_and_blanks_around_a_value_are_dropped(
    app, form_class, name, value, read, message
):
    with app.test_request_context(method="POST"):
        for blank in FAMILY:
            form = form_class(formdata=MultiDict({name: blank * 2}))
            assert not form.validate(), code(blank)
            assert any(message in str(error) for error in form.errors[name]), code(blank)
            assert getattr(form, name).data in (None, ""), code(blank)
            form = form_class(formdata=MultiDict({name: f"{blank}{value}{blank}"}))
            form.validate()
            assert name not in form.errors, (code(blank), form.errors.get(name))
            assert getattr(form, name).data == read, code(blank)


def test_a_password_and_the_honeypot_are_read_as_sent(app):
    with app.test_request_context(method="POST"):
        form = LoginForm(formdata=MultiDict({"email": " a@b.example ", "password": " pass\u3000"}))
        assert (form.email.data, form.password.data) == ("a@b.example", " pass\u3000")
        typed = {"password": "\u00a0" * 12, "confirm": "\u00a0" * 12}
        assert NewPasswordForm(formdata=MultiDict(typed)).password.data == "\u00a0" * 12
        assert OrientationForm(formdata=MultiDict({"website": "\u3000"})).is_spam
