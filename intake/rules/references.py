"""A referral's reference as people say and type it. Pure, no Flask.

A reference is written `PRE-2026-00042` (intake.public.operations.next_reference), but at an
EPS meeting people say "la 42" or "2026-42": the prefix, the year and the leading zeros are
what everyone leaves out first.
"""

from __future__ import annotations

import re

# Optional "PRE" and optional four-digit year, then the number; each part set apart by a dash
# (any of the dashes a word processor or a phone puts in), a slash, a dot or spaces. Digits
# are ASCII only: a "٢" is not what anyone means by 2.
# The hyphen goes last in the class, where it stands for itself.
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2212-"
SEPARATOR = rf"[\s/.{DASHES}]+"
TYPED = re.compile(
    rf"(?:PRE(?:{SEPARATOR})?)?(?:(?P<year>[0-9]{{4}}){SEPARATOR})?(?P<number>[0-9]{{1,9}})",
    re.IGNORECASE,
)


def reference_of(typed: str, this_year: int) -> str | None:
    """The reference `typed` means, written as references are (`PRE-2026-00002`), or None
    when it does not read as one.

    `PRE-2026-00002`, `pre-2026-00002`, `2026-00002` and `2026-2` name it whole; `00002` and
    `2` name the number in `this_year` (the caller's Paris year: intake.rules.clock). Spaces
    around it, or around its dashes, are what people type too. Number 0 is nobody's."""
    found = TYPED.fullmatch(typed.strip())
    if found is None:
        return None
    number = int(found["number"])
    if number == 0:
        return None
    year = int(found["year"]) if found["year"] else this_year
    return f"PRE-{year}-{number:05d}"
