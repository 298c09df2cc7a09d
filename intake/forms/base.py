"""What every form of the service shares: posted fields only, and typed text cleaned."""

from __future__ import annotations

import io
from functools import cache
from urllib.parse import parse_qsl

import flask
from babel import support
from flask import request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.formparser import FormDataParser
from wtforms import PasswordField
from wtforms.i18n import messages_path

from intake.rules.text import clean_text, trim

# What Werkzeug puts in place of bytes that are not UTF-8 (a client that is not a browser, or
# one sending another charset): the field says it could not be read rather than store "�".
REPLACEMENT_CHARACTER = "\ufffd"

_FROM_REQUEST = object()


@cache
def wtforms_catalogue(locale: str) -> support.Translations:
    """WTForms' own messages ("Not a valid choice") in `locale`, read from disk once."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class Translations:
    """WTForms' messages in the request's language.

    Flask-WTF's own object reads the catalogue file again on every request that builds a
    form: a third of a millisecond of a submission, for a file that never changes.
    """

    def gettext(self, string: str) -> str:
        locale = get_locale()
        return string if locale is None else wtforms_catalogue(str(locale)).ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        locale = get_locale()
        if locale is None:
            return singular if n == 1 else plural
        return wtforms_catalogue(str(locale)).ungettext(singular, plural, n)


translations = Translations()


class BaseForm(FlaskForm):
    """A Flask-WTF form that reads `request.form` only, every value trimmed.

    Flask-WTF also reads `request.files` and a JSON body: no form here takes a file, and a file
    part named like a text field (`curl -F situation=@file`) would reach its validators as a
    FileStorage, a JSON list as pairs. Neither is something a person typed into our pages.

    Every value is trimmed (`intake.rules.text.trim`) before any field reads it, its raw data
    included: a date, a time, a number or a choice made of whitespace only is then empty, which
    InputRequired and DataRequired answer with their message, instead of a value that passes
    InputRequired and that the field reads as None. Passwords and the fields named in
    `AS_SENT` are read as sent.
    """

    # Fields read as sent, blanks around them included (a password is, whatever its name).
    AS_SENT: frozenset[str] = frozenset()

    class Meta:
        def get_translations(self, form):
            return translations

        def wrap_formdata(self, form, formdata):
            formdata = super().wrap_formdata(form, formdata)
            return None if formdata is None else trimmed(formdata, form)

    def __init__(self, formdata=_FROM_REQUEST, **kwargs) -> None:
        if formdata is _FROM_REQUEST:
            formdata = request.form if self.is_submitted() and request.form else None
        super().__init__(formdata=formdata, **kwargs)


def trimmed(formdata, form: BaseForm) -> MultiDict:
    """`formdata` with its text values trimmed, but those of `form`'s passwords (a space may
    be part of one, and DataRequired refuses one of spaces only) and of its AS_SENT fields."""
    kept = {
        field.name
        for field in form
        if isinstance(field, PasswordField) or field.short_name in form.AS_SENT
    }
    return MultiDict(
        (key, trim(value) if isinstance(value, str) and key not in kept else value)
        for key in formdata
        for value in formdata.getlist(key)
    )


def cleaned(value, multiline: bool):
    """`value` through clean_text, or a ValueError when some of its bytes could not be read."""
    if not isinstance(value, str):
        return value
    if REPLACEMENT_CHARACTER in value:
        # WTForms adds a filter's ValueError to the field's errors and keeps the value shown.
        raise ValueError(
            _l("Ce champ contient des caractères illisibles (�) : retapez-les ou retirez-les.")
        )
    return clean_text(value, multiline=multiline)


def single_line(value):
    """The filter of one-line text fields: names, addresses, e-mails, phones."""
    return cleaned(value, multiline=False)


def multi_line(value):
    """The filter of text areas: line breaks kept, as "\\n"."""
    return cleaned(value, multiline=True)


class StrictFormDataParser(FormDataParser):
    r"""Werkzeug's form parser, strict where it would misread a body.

    - A urlencoded body that is not UTF-8 answers 400. Werkzeug reads raw bytes that are not
      UTF-8 as an empty form (the form would answer for fields that were sent) and keeps
      percent-encoded ones as "%FF" text (stored though nobody typed it). Our pages are UTF-8:
      only a client that is not a browser sends this. (A multipart part's undecodable bytes
      become "�", which `cleaned` reports on its field.)
    - A body Werkzeug cannot parse (a multipart body without boundary, a part without
      Content-Disposition…) answers 400 too, rather than reading as an empty form.
    - A multipart part without a readable name (`name="a\rb"`, or none) is dropped: Werkzeug
      files it under the key None, on which every `key.startswith(…)` fails.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **{**kwargs, "silent": False})

    def parse(self, stream, mimetype, content_length, options=None):
        try:
            if mimetype == "application/x-www-form-urlencoded":
                body = stream.read()  # already limited to MAX_CONTENT_LENGTH by Werkzeug
                parse_qsl(body.decode(), keep_blank_values=True, errors="strict")
                stream = io.BytesIO(body)
            stream, form, files = super().parse(stream, mimetype, content_length, options)
        except ValueError:  # UnicodeDecodeError included
            raise BadRequest() from None
        return stream, self.named(form), self.named(files)

    def named(self, fields):
        """`fields` without the entries whose name is not a string (their files closed)."""
        if all(isinstance(key, str) for key in fields):
            return fields
        kept = []
        for key, value in fields.items(multi=True):
            if isinstance(key, str):
                kept.append((key, value))
            elif hasattr(value, "close"):
                value.close()  # the request closes the files it keeps, not those left out
        return self.cls(kept)


class Request(flask.Request):
    """The application's request class: forms parsed by StrictFormDataParser."""

    form_data_parser_class = StrictFormDataParser
