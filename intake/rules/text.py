"""Clean what people type: drop invisible control and direction characters, keep every script."""

from __future__ import annotations

import re
import unicodedata

# Embeddings, overrides and isolates, and the three direction marks. Invisible, they reorder
# what staff read ("‮Martin" shows as "nitraM") and make two identical-looking names differ.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # LRE, RLE, PDF, LRO, RLO
    "\u2066\u2067\u2068\u2069"  # LRI, RLI, FSI, PDI
    "\u200e\u200f\u061c"  # LRM, RLM, ALM
)
# Invisible characters with no job in a name or a note: a zero-width space, word joiner, byte
# order mark or soft hyphen pasted from a document makes "Léa" and "Lé​a" two names, so a search
# or a duplicate check misses what a person sees as the same.
INVISIBLE = frozenset("\u200b\u2060\ufeff\u00ad")
# What str.isspace() and str.strip() take, the Unicode White_Space characters: tab, line
# feed, vertical tab, form feed, carriage return, the file/group/record/unit separators,
# space, NEL, no-break space, Ogham space mark, the en quad to hair space (U+2000-U+200A), the
# line and paragraph separators, narrow no-break, medium mathematical and ideographic spaces.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
# What a value may be wrapped in, or made of, and still say nothing: whitespace, and the
# invisible characters (a byte order mark pasted before a date is not part of it).
BLANKS = WHITESPACE + "".join(sorted(INVISIBLE))
# What ends a line, besides "\n": carriage returns (alone, as old Macs send them), vertical
# tab, form feed, NEL and the Unicode line and paragraph separators.
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x85\u2028\u2029")


# Every character the loop below does not keep as it is: categories Cc (U+0000-U+001F and
# U+007F-U+009F, which hold "\t", "\r" and the line breaks but two) and Cs (surrogates), the
# other two line breaks, and the sets above. Text without any, nearly all that is typed, needs
# only NFC and trimming: the loop over each character was most of what a form's fields cost.
UNTOUCHED = re.compile(
    "[^\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff"
    + "".join(sorted(BIDI_CONTROLS | INVISIBLE))
    + "]*"
)


def trim(value: str) -> str:
    """`value` without the BLANKS around it: "" when it holds nothing else.

    Every form field's value goes through it (intake.forms.base.BaseForm), so that a date, a
    time or a choice of whitespace only is missing, not something to read.
    """
    return value.strip(BLANKS)


def clean_text(value: str, multiline: bool = False) -> str:
    """Return `value` as it should be stored: NFC, no control or direction characters, trimmed.

    Line breaks become "\\n" in multi-line text and spaces elsewhere; tabs become spaces. Other
    control characters (Unicode category Cc), lone surrogates, the bidirectional controls and
    zero-width spaces, word joiners, byte order marks and soft hyphens are dropped. Letters of
    every script, combining marks, ZWJ/ZWNJ (which some scripts and emoji need) and
    punctuation are kept.
    """
    if UNTOUCHED.fullmatch(value):
        return trim(unicodedata.normalize("NFC", value))
    line_break = "\n" if multiline else " "
    kept = []
    for char in value.replace("\r\n", "\n"):
        if char in LINE_BREAKS:
            kept.append(line_break)
        elif char == "\t":
            kept.append(" ")
        elif (
            char in BIDI_CONTROLS or char in INVISIBLE or unicodedata.category(char) in ("Cc", "Cs")
        ):
            continue
        else:
            kept.append(char)
    return trim(unicodedata.normalize("NFC", "".join(kept)))


# What separates the parts of a name, each part capitalised on its own: spaces, hyphens and
# apostrophes ("jean-paul", "le bihan", "n'diaye", "n’diaye").
NAME_PARTS = re.compile(r"([\s\-‐'’]+)")


def display_name(name: str | None) -> str:
    """A name as the staff pages show it: each part typed all in lower case gets a capital
    initial ("yanis boukhari" → "Yanis Boukhari", "n'diaye" → "N'Diaye"). A part with any
    capital is kept as typed ("McDonald", "DUPONT", "van DER"): its writer chose it. What was
    typed stays in the database; only what is shown changes."""
    if not name:
        return ""
    if name.isupper() or name == name.title():
        # Most names need nothing: spare them the split.
        return name
    return "".join(
        part[0].upper() + part[1:] if part.islower() and part[0].isalpha() else part
        for part in NAME_PARTS.split(name)
    )


def unaccented(text: str) -> str:
    """`text` in lower case without its accents ("Créole Haïtien" → "creole haitien"): to
    compare what people type, or to sort names ("École" among the E, not after Z)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))
