"""The queue's search key: what staff may search a referral by, in one normalised string.

The key is stored on the referral whenever it or one of its children is written, so a search
reads one indexed column (a pg_trgm GIN index on PostgreSQL, an FTS5 trigram table on SQLite)
instead of lower-casing names across two tables on every page. The searched text goes through
the same `normalise()`, so the match ignores case, accents and punctuation on both databases:
"ines" finds "Inès", "06 12 34" finds "+33 6 12 34 56 78", "2026-00012" finds its reference.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

import phonenumbers

# Searched text this short matches too much to be worth an index (a trigram needs three).
MIN_INDEXED = 3

# Between two fields of the key: never produced by `normalise()`, so a search cannot match
# across the end of one field and the start of the next.
SEPARATOR = "|"

FRENCH_E164 = re.compile(r"\+33[1-9][0-9]{8}")
# Letters NFKD does not decompose into a base letter and an accent.
LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ı": "i"})
NOT_WORD = re.compile(r"[^0-9a-z]+")
# "06 12 34 56 78", "2026-00012": digits grouped by the writer are one number to a search.
DIGIT_GAP = re.compile(r"(?<=\d) (?=\d)")


# Names, schools and organisations repeat from one referral to the next (and thousands of
# times over in `dev seed`): each is normalised once.
@functools.lru_cache(maxsize=65_536)
def normalise(text: str) -> str:
    """Lower case, no accents, punctuation to single spaces, digit groups joined."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(LIGATURES))
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = NOT_WORD.sub(" ", letters).strip()
    return DIGIT_GAP.sub("", words)


def phone_forms(value: str | None) -> list[str]:
    """A stored E.164 number as the French write it ("06 12 34 56 78") and as stored, so
    that either way of typing it finds it."""
    if not value:
        return []
    if FRENCH_E164.fullmatch(value):
        # What phonenumbers would write, without parsing: 0 and the nine digits.
        return ["0" + value[3:], value]
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        return [value]
    return [phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL), value]


def key_of(fields: Iterable[Any]) -> str:
    """The search key of these field values, each normalised, blanks dropped."""
    parts = (normalise(str(value)) for value in fields if value)
    return SEPARATOR.join(part for part in parts if part)


def referral_key(referral: Any) -> str:
    """The search key of a referral (a model or any object with its attributes): reference,
    family, phone, referrer, and each child's names and school."""
    fields: list[Any] = [
        referral.reference,
        referral.guardian_name,
        *phone_forms(referral.guardian_phone),
        referral.referrer_name,
        referral.referrer_organisation,
        *phone_forms(referral.referrer_phone),
    ]
    for child in referral.children:
        for last_name in spellings(child.last_name):
            fields += [f"{child.first_name} {last_name}", f"{last_name} {child.first_name}"]
        fields += [child.school, child.school_other]
    return key_of(fields)


def spellings(name: str) -> list[str]:
    """A name as written, and for a name of several words also as one ("Ben Ali" and
    "benali"), since people type it either way."""
    words = normalise(name).split()
    return [name, "".join(words)] if len(words) > 1 else [name]


# What the migration builds to index the key, outside the models (a pg_trgm index, an FTS5
# table and its shadow tables): autogenerate must not take them for strays to drop.
INDEX_TABLES = "referral_search"
INDEX_NAMES = frozenset({"ix_referral_search_key"})


def not_search_index(object: Any, name: str | None, type_: str, reflected: bool, compare_to: Any):
    """Alembic's `include_object` hook: leave the search index's own objects out."""
    if type_ == "table" and name and name.startswith(INDEX_TABLES):
        return False
    return not (type_ == "index" and name in INDEX_NAMES)


def needle(query: str) -> str:
    """What to look for in the keys, for a search typed as `query` ("" matches everything)."""
    return normalise(query)


def phrase(wanted: str) -> str:
    """An FTS5 query for the needle `wanted` as one string of characters (a phrase)."""
    return '"' + wanted.replace('"', '""') + '"'


# SQLite's FTS5 index numbers each referral's entry by its place in the queue's default order,
# newest first (revision 0008): the seconds from its reception to the year 2106, times
# ORDER_STEP, plus what its id lacks to LAST_ID. The queue then reads a search's matches in
# the index's own order and stops after a page, and reads them upwards, which FTS5 does in
# half the time it takes to read downwards. Ids stay below ORDER_STEP
# (intake.triage.cursors.MAX_ID) and seconds below 2**32, so a number fits in 63 bits.
ORDER_STEP = 2**31
LAST_ID = ORDER_STEP - 1
LAST_SECOND = 2**32 - 1


def order_key(row: str) -> str:
    """The SQL of a referral row's entry number (`row`: the table's name or alias)."""
    second = f"CAST(strftime('%s', {row}.received_at) AS INTEGER)"
    return f"({LAST_SECOND} - {second}) * {ORDER_STEP} + ({LAST_ID} - {row}.id)"
