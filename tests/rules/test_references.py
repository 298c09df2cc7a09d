"""A reference as people say and type it: the prefix, the year and the zeros left out."""

from __future__ import annotations

import pytest

from intake.rules.references import reference_of


@pytest.mark.parametrize(
    ("typed", "this_year", "reference"),
    [
        # Written in full, in any case, with the spaces a paste brings.
        ("PRE-2026-00002", 2026, "PRE-2026-00002"),
        ("pre-2026-00002", 2026, "PRE-2026-00002"),
        ("Pre-2026-00002", 2026, "PRE-2026-00002"),
        ("  PRE-2026-00002  ", 2026, "PRE-2026-00002"),
        ("\tPRE-2026-00002\u00a0", 2026, "PRE-2026-00002"),
        # Without the prefix, with or without the zeros: the year said is the year meant.
        ("2026-00002", 2026, "PRE-2026-00002"),
        ("2026-2", 2026, "PRE-2026-00002"),
        ("2025-2", 2026, "PRE-2025-00002"),
        (" 2026-2 ", 2026, "PRE-2026-00002"),
        # The number alone: this year's.
        ("00002", 2026, "PRE-2026-00002"),
        ("2", 2026, "PRE-2026-00002"),
        (" 2 ", 2026, "PRE-2026-00002"),
        ("2", 2027, "PRE-2027-00002"),
        ("42", 2026, "PRE-2026-00042"),
        ("12345", 2026, "PRE-2026-12345"),
        # Past 99,999 the counter writes six digits (next_reference's {:05d}).
        ("123456", 2026, "PRE-2026-123456"),
        # Other ways to set the parts apart: spaces, a dash from a word processor, a slash,
        # a dot, no dash after PRE.
        ("PRE 2026 00002", 2026, "PRE-2026-00002"),
        ("PRE - 2026 - 2", 2026, "PRE-2026-00002"),
        ("PRE–2026–00002", 2026, "PRE-2026-00002"),
        ("2026/2", 2026, "PRE-2026-00002"),
        ("2026.2", 2026, "PRE-2026-00002"),
        ("PRE2026-00002", 2026, "PRE-2026-00002"),
        ("PRE-42", 2026, "PRE-2026-00042"),
    ],
)
def test_a_reference_as_people_say_it(typed, this_year, reference):
    assert reference_of(typed, this_year) == reference


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "PRE",
        "PRE-2026-",
        "PRE-2026-0",
        "0",
        "00000",
        # Two-digit years: "26-2" might be anything.
        "26-2",
        "2026-2-3",
        "Martin",
        "PRE-2026-00002x",
        "PRX-2026-00002",
        "1234567890",
        "-2",
        # Digits of another script are not what anyone means.
        "\u0662",
    ],
)
def test_what_does_not_read_as_a_reference(typed):
    assert reference_of(typed, 2026) is None
