"""Ids in ASCII digits only, from a form field (`read_id`) or an address (`<int:…>`): other
scripts' digits are no number, and never another one."""

from __future__ import annotations

import re

import pytest
from werkzeug.exceptions import NotFound

from intake.forms.numbers import MAX_ID, read_id

# 12 in digits str.isdigit() takes besides the ASCII ones: "²" and "⁰" then make int() fail,
# "١٢" and "１２" are read by int() as 12.
OTHER_DIGITS = ["١٢", "۱۲", "１２", "¹²", "²", "⁰", "१२", "𝟏𝟐", "1２", "٣"]
NOT_IDS = ["", " 12", "12 ", "+12", "-12", "1_2", "12.0", "0x12", "1e3", str(MAX_ID + 1)]
ID_ARGUMENT = re.compile(r"<int:(\w+)>")


@pytest.mark.parametrize(
    ("text", "number"), [("0", 0), ("12", 12), ("007", 7), (str(MAX_ID), 2**31 - 1)]
)
def test_an_id_is_read_from_ascii_digits(text, number):
    assert read_id(text) == number


@pytest.mark.parametrize("text", [None, *OTHER_DIGITS, *NOT_IDS, "9" * 5000], ids=repr)
def test_anything_else_is_no_id(text):
    assert read_id(text) is None


def test_every_id_of_an_address_is_in_ascii_digits_or_the_address_is_no_route(app):
    adapter = app.url_map.bind("localhost")
    walked = set()
    for rule in app.url_map.iter_rules():
        ids = ID_ARGUMENT.findall(rule.rule)
        if not ids:
            continue
        method = "POST" if "POST" in rule.methods else "GET"
        values = {name: 12 if name in ids else "PRE-2026-00001" for name in rule.arguments}
        assert adapter.match(rule.build(values)[1], method) == (rule.endpoint, values)
        for name in ids:
            # Each id in turn, the others left as they were: 987654 marks where it goes.
            path = rule.build({**values, name: 987654})[1]
            for digits in [*OTHER_DIGITS, str(MAX_ID + 1), "9" * 5000]:
                with pytest.raises(NotFound):
                    adapter.match(path.replace("987654", digits), method)
        walked.add(rule.endpoint)
    assert {
        "meetings.show",
        "meetings.decide",
        "triage.withdraw",
        "triage.dismiss_duplicate",
    } <= walked
