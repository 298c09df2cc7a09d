"""Addresses as people type them and as the open data spell them, reduced to one key.

Screening reads a family's free-text address with `parse_address`; the territory file and the
open-data importers name streets through `normalise_street`. One module for both, so that a
street imported from the Base Adresse Nationale always matches what a family types.
Pure functions, no Flask.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

# --- Street names ---------------------------------------------------------------------------

_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")

# Street types are only expanded in first position: elsewhere a lone "r" or "pl" is more often an
# initial ("avenue R. Schuman") and "lot" or "pass" a proper name ("rue du Lot").
_TYPE_ABBREVIATIONS = {
    "r": "rue",
    "av": "avenue",
    "ave": "avenue",
    "aven": "avenue",
    "bd": "boulevard",
    "bld": "boulevard",
    "blvd": "boulevard",
    "bvd": "boulevard",
    "boul": "boulevard",
    "pl": "place",
    "imp": "impasse",
    "all": "allee",
    "ch": "chemin",
    "chem": "chemin",
    "che": "chemin",
    "rte": "route",
    "sq": "square",
    "res": "residence",
    "resid": "residence",
    "fg": "faubourg",
    "fbg": "faubourg",
    "chs": "chaussee",
    "pass": "passage",
    "lot": "lotissement",
    "crs": "cours",
    "prom": "promenade",
    "esp": "esplanade",
    "rpt": "rond point",
    "ld": "lieu dit",
}

# Saints and titles stand before a name wherever they occur; a trailing "st" is left alone
# because nothing follows that it could qualify.
_NAME_ABBREVIATIONS = {
    "st": "saint",
    "ste": "sainte",
    "sts": "saints",
    "stes": "saintes",
    "gal": "general",
    "gen": "general",
    "mal": "marechal",
    "pdt": "president",
    "cdt": "commandant",
    "dr": "docteur",
}


def normalise_street(name: str) -> str:
    """Reduce a street name to the key addresses are matched on (case, accents, abbreviations)."""
    text = name.casefold().translate(_LIGATURES)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    tokens = _NOT_ALNUM.sub(" ", text).split()
    if tokens and tokens[0] in _TYPE_ABBREVIATIONS:
        tokens[0] = _TYPE_ABBREVIATIONS[tokens[0]]
    last = len(tokens) - 1
    tokens = [
        _NAME_ABBREVIATIONS[t] if t in _NAME_ABBREVIATIONS and i < last else t
        for i, t in enumerate(tokens)
    ]
    return " ".join(tokens)


# --- Addresses typed by people --------------------------------------------------------------


class ParsedAddress(NamedTuple):
    """The street part of an address: house number, its suffix ("bis", "b") and street key."""

    number: int | None
    suffix: str
    street_key: str


# Where the road itself is named; preferred over the building or estate when both are given.
_ROAD_TYPES = frozenset(
    {
        "rue",
        "avenue",
        "boulevard",
        "place",
        "chemin",
        "allee",
        "impasse",
        "route",
        "square",
        "quai",
        "cours",
        "passage",
        "voie",
        "chaussee",
        "esplanade",
        "parvis",
        "promenade",
        "faubourg",
        "ruelle",
        "sente",
        "sentier",
        "venelle",
        "mail",
        "traverse",
        "carrefour",
        "montee",
        "rampe",
        "galerie",
    }
)
_AREA_TYPES = frozenset(
    {
        "residence",
        "cite",
        "lotissement",
        "hameau",
        "quartier",
        "domaine",
        "clos",
        "villa",
        "lieudit",
    }
)
_MULTIWORD_TYPES = ("rond point", "lieu dit")

# Flat, building and floor details typed after the street; they are not part of its name.
_COMPLEMENTS = frozenset(
    {
        "appartement",
        "appart",
        "appt",
        "apt",
        "app",
        "batiment",
        "bat",
        "bt",
        "bloc",
        "escalier",
        "esc",
        "etage",
        "logement",
        "log",
        "lgt",
        "porte",
        "chambre",
    }
)
_ORDINAL = re.compile(r"^\d+(?:er|ere|e|eme|em)$")

_PARTS = re.compile(r"[\n\r,;]+")
# A number glued to letters is only a house number if they form a suffix: "12b", "12bis", but
# not "3ème" (étage) or "1er".
_NUMBER = re.compile(
    r"\s*(?:n°\s*)?(\d{1,4})(?=$|[^\w]|(?:bis|ter|quater|quinquies|[a-z])\b)", re.IGNORECASE
)
# A lone letter after a space is only read as a suffix from A to H, so "14 r. des Tilleuls"
# keeps its "r." (rue), and not when a number follows ("12 a 14" is a range).
_SUFFIX = re.compile(
    r"\s*(bis|ter|quater|quinquies)\b|([a-z])\b|\s+([a-h])\b(?!\s*\d)", re.IGNORECASE
)
_RANGE = re.compile(
    r"\s*(?:-|/|&|à|au|a|et)\s*\d{1,4}(?!\d)(?:\s*(?:bis|ter|quater|quinquies)\b|[a-z]\b)?",
    re.IGNORECASE,
)
# "62999 Testville" typed into the address: a postcode is never a house number.
_POSTCODE_AND_AFTER = re.compile(r"(?:^|\s)\d{5}\b.*$", re.DOTALL)


def _split_number(part: str) -> tuple[int | None, str, str]:
    """Split a leading house number (with suffix, or the first of a range) from the rest."""
    match = _NUMBER.match(part)
    if match is None:
        return None, "", part
    number, position = int(match.group(1)), match.end()
    suffix = ""
    if found := _SUFFIX.match(part, position):
        suffix = next(g for g in found.groups() if g).casefold()
        position = found.end()
    if found := _RANGE.match(part, position):
        position = found.end()
    return number, suffix, part[position:]


def _designates(word: str) -> bool:
    """Whether a word reads as a flat or building designation ("12", "B"), not a name."""
    # "d" and "l" are elisions ("porte d'Arras"), never designations.
    return any(c.isdigit() for c in word) or (len(word) == 1 and word not in "dl")


def _street_key(text: str) -> str:
    """The normalised street name, without a flat or floor complement around it."""
    tokens = normalise_street(text).split()
    if len(tokens) >= 2 and tokens[0] in _COMPLEMENTS and _designates(tokens[1]):
        while len(tokens) >= 2 and tokens[0] in _COMPLEMENTS and _designates(tokens[1]):
            tokens = tokens[2:]
        # Normalise again: the complement hid an abbreviated street type ("Apt 3 r. X").
        tokens = normalise_street(" ".join(tokens)).split()
    for index in range(1, len(tokens) - 1):
        token, following = tokens[index], tokens[index + 1]
        if token in _COMPLEMENTS and _designates(following):
            tokens = tokens[:index]
            break
        if _ORDINAL.match(token) and following == "etage":
            tokens = tokens[:index]
            break
    return " ".join(tokens)


def _street_types(key: str) -> tuple[bool, bool]:
    """(names a road, names any kind of street or estate) for a street key."""
    tokens = set(key.split())
    padded = f" {key} "
    road = bool(tokens & _ROAD_TYPES) or " rond point " in padded
    area = bool(tokens & _AREA_TYPES) or any(f" {t} " in padded for t in _MULTIWORD_TYPES)
    return road, road or area


def street_candidates(address: str) -> list[tuple[tuple[bool, bool, bool], ParsedAddress]]:
    """Every part of the address that reads as a street, with a score to pick the likeliest."""
    found = []
    pending: tuple[int, str] | None = None
    for raw in _PARTS.split(address):
        number, suffix, rest = _split_number(raw.strip())
        key = _street_key(_POSTCODE_AND_AFTER.sub("", rest))
        if not re.search(r"[a-z]", key):
            # "14," then "rue des Tilleuls": the number belongs to the next part.
            if number is not None:
                pending = (number, suffix)
            continue
        if number is None and pending is not None:
            number, suffix = pending
        pending = None
        if key.split()[0] in _COMPLEMENTS:
            # "3e étage", "2 logement B": a floor or a flat, not a street.
            continue
        road, typed = _street_types(key)
        if typed or number is not None:
            score = (number is not None, road, typed)
            found.append((score, ParsedAddress(number, suffix, key)))
    return found


def parse_address(address: str) -> ParsedAddress | None:
    """The street part of a free-text address, or None when no street can be read from it."""
    candidates = street_candidates(address or "")
    if not candidates:
        return None
    # max() keeps the first of equals: the earliest part wins a tie.
    return max(candidates, key=lambda c: c[0])[1]


# A postcode: five digits standing alone ("62190", never part of a longer number).
_POSTCODE = re.compile(r"(?<!\d)\d{5}(?!\d)")


def postcode_in(text: str) -> str:
    """The postcode written in an address ("12 rue Neuve, 62190 Lillers"), or ''."""
    found = _POSTCODE.findall(text)
    # The last one: a postcode ends a French address, after the street and its number.
    return found[-1] if found else ""
