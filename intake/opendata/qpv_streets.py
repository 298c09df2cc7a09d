"""Turn address points placed inside or outside a QPV into the `streets` of its [[qpv]] table.

Pure functions, no Flask, no files. Streets are matched as screening matches them, on
`normalise_street`: "Rue Neuve" and "rue neuve" in the BAN are one street.

A house number is inside when every point of that number on the street is inside (a `rep`
suffix — bis, ter, A… — counts as its number). A number with points on both sides is
ambiguous: it is listed, and left out of the entries (screening then reads it as outside),
for a person to decide. A point without a house number (the BAN's 0 and 99999: lieux-dits,
streets without numbering) only takes part in the "whole street" decision: a family cannot
type it as a number, so it can neither need nor forbid a range.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from intake.opendata.ranges import Entry, fewest_entries
from intake.territory.addresses import normalise_street, parse_address


class PlacedPoint(NamedTuple):
    """An address point of the QPV's commune, and whether it lies in the QPV."""

    street: str  # as the BAN spells it
    number: int | None  # None: a point without a house number
    inside: bool


@dataclass(frozen=True)
class StreetEntries:
    """A street to write in the [[qpv]] table: its name and its entries."""

    name: str
    entries: tuple[Entry, ...]

    @property
    def whole(self) -> bool:
        """Whether the whole street is in the QPV (one entry without bounds or side)."""
        return len(self.entries) == 1 and self.entries[0].is_whole


@dataclass(frozen=True)
class QpvStreets:
    """What the BAN says of one QPV: its streets, and the counts the summary shows."""

    streets: tuple[StreetEntries, ...] = ()
    inside: int = 0  # address points inside the QPV
    outside: int = 0
    ambiguous: tuple[tuple[str, int], ...] = ()  # (street, number) with points on both sides
    # Names that `parse_address` does not read back as themselves: a family typing one of
    # them would not be matched, so the summary points them out.
    unreadable: tuple[str, ...] = ()

    @property
    def whole(self) -> tuple[StreetEntries, ...]:
        return tuple(s for s in self.streets if s.whole)

    @property
    def ranged(self) -> tuple[StreetEntries, ...]:
        return tuple(s for s in self.streets if not s.whole)


@dataclass
class _Street:
    spellings: Counter[str] = field(default_factory=Counter)
    numbers: dict[int, set[bool]] = field(default_factory=dict)
    all_inside: bool = True
    any_inside: bool = False


def street_entries(numbers: dict[int, set[bool]], *, all_inside: bool) -> tuple[Entry, ...]:
    """The entries of one street, from where each of its numbers' points lie."""
    if all_inside:
        return (Entry(),)
    # Ambiguous numbers count as outside: no entry may accept them.
    inside = {number: sides == {True} for number, sides in numbers.items()}
    entries = fewest_entries(inside)
    if entries == [Entry()]:
        # Every numbered point is inside but a point without a number is not: bound the
        # entry, so that an address given without a number on this street reads "to check".
        held = [number for number, is_in in inside.items() if is_in]
        entries = [Entry(from_=min(held), to=max(held))]
    return tuple(entries)


def is_readable(name: str) -> bool:
    """Whether a family typing a number and this street name is matched on this street."""
    parsed = parse_address(f"1 {name}")
    return parsed is not None and parsed.street_key == normalise_street(name)


def qpv_streets(points: Iterable[PlacedPoint]) -> QpvStreets:
    """The streets of a QPV from its commune's address points, placed inside or outside it."""
    streets: dict[str, _Street] = {}
    inside = outside = 0
    for point in points:
        key = normalise_street(point.street)
        if not key:
            continue  # no letters or digits: no street a family could type, nor the file hold
        street = streets.setdefault(key, _Street())
        street.spellings[point.street] += 1
        if point.inside:
            inside += 1
            street.any_inside = True
        else:
            outside += 1
            street.all_inside = False
        if point.number is not None:
            street.numbers.setdefault(point.number, set()).add(point.inside)

    written: list[StreetEntries] = []
    ambiguous: list[tuple[str, int]] = []
    for key in sorted(streets):
        street = streets[key]
        if not street.any_inside:
            continue
        # The most frequent spelling; Counter keeps the first seen among equals.
        name = street.spellings.most_common(1)[0][0]
        ambiguous += [(name, n) for n, sides in sorted(street.numbers.items()) if len(sides) > 1]
        entries = street_entries(street.numbers, all_inside=street.all_inside)
        if entries:
            written.append(StreetEntries(name=name, entries=entries))
    return QpvStreets(
        streets=tuple(written),
        inside=inside,
        outside=outside,
        ambiguous=tuple(ambiguous),
        unreadable=tuple(s.name for s in written if not is_readable(s.name)),
    )
