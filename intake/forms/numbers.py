"""Ids and numbers as forms and addresses send them: ASCII digits, nothing else.

str.isdigit(), int() and Werkzeug's `<int:…>` (a `\\d+` pattern) also read other scripts'
digits: "١" (Arabic-Indic) and "１" (fullwidth) are taken for 1, and "²" passes isdigit()
then makes int() fail. Ids here are read by `read_id`, and every `<int:…>` of the URL map is
`AsciiIntegerConverter`.
"""

from __future__ import annotations

import re

from werkzeug.datastructures import ImmutableDict
from werkzeug.routing import IntegerConverter, Map, ValidationError

DIGITS = re.compile(r"[0-9]{1,10}")
# A number past the database's integers would be an error there, not a missing row.
MAX_ID = 2**31 - 1


def read_id(text: str | None) -> int | None:
    """The id `text` writes in ASCII digits, or None (other digits, signs, blanks, too large)."""
    if text is None or not DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if number <= MAX_ID else None


class AsciiIntegerConverter(IntegerConverter):
    """`<int:…>` in ASCII digits and within the database's integers; else the address is no
    route's (404)."""

    regex = r"[0-9]+"

    def to_python(self, value: str) -> int:
        number = read_id(value)
        if number is None:
            raise ValidationError()
        return number


class AsciiMap(Map):
    """The application's URL map: Werkzeug's, its `int` converter reading ASCII digits only."""

    default_converters = ImmutableDict({**Map.default_converters, "int": AsciiIntegerConverter})
