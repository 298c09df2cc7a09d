"""The seeder's single draws: an address, a mobile number, a text, moments."""

from __future__ import annotations

import functools
import random
from datetime import datetime, timedelta

import phonenumbers

from intake.dev.words import OUTSIDE, STREETS
from intake.rules.search import normalise
from intake.territory.model import Street, Territory


class Places:
    """What addresses and schools are drawn from, read once from the territory."""

    def __init__(self, territory: Territory) -> None:
        self.qpv_streets: list[tuple[Street, str, str]] = []
        for qpv in territory.qpvs:
            commune = next(c for c in territory.communes if c.name == qpv.commune)
            for street in qpv.streets:
                self.qpv_streets.append((street, commune.postcodes[0], commune.name))
        self.communes = [(c.postcodes[0], c.name) for c in territory.communes]
        self.primary = [s.uai for s in territory.schools if not _is_secondary(s.name)]
        self.secondary = [s.uai for s in territory.schools if _is_secondary(s.name)]
        self.schools = [s.uai for s in territory.schools]
        self.school_names = [s.name for s in territory.schools] or ["École élémentaire"]


def _is_secondary(name: str) -> bool:
    return normalise(name).startswith(("college", "lycee"))


def _street_number(rng: random.Random, street: Street) -> int:
    """A house number inside the part of `street` that belongs to the neighbourhood."""
    low = street.from_ or 1
    high = street.to or low + 80
    number = rng.randint(low, high)
    wanted = {"odd": 1, "even": 0}.get(street.side or "")
    if wanted is not None and number % 2 != wanted:
        number = number + 1 if number < high else number - 1
    return max(number, 1)


def draw_address(rng: random.Random, places: Places) -> tuple[str, str, str]:
    """An address, postcode and city: mostly in a priority neighbourhood, a few outside."""
    roll = rng.random()
    if roll < 0.06:
        postcode, city = rng.choice(OUTSIDE)
        return f"{rng.randint(1, 120)} {rng.choice(STREETS)}", postcode, city
    if places.qpv_streets and roll < 0.66:
        street, postcode, city = rng.choice(places.qpv_streets)
        address = f"{_street_number(rng, street)} {street.name}"
    else:
        postcode, city = rng.choice(places.communes)
        address = f"{rng.randint(1, 150)} {rng.choice(STREETS)}"
    if rng.random() < 0.1:
        address += f", bât. {rng.choice('ABCDE')}, appt {rng.randint(1, 60)}"
    return address, postcode, city


@functools.cache
def mobile_prefixes() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The 06 blocks and all the 06 and 07 blocks that phonenumbers holds valid (not all of
    063x, 069x and 07 are)."""
    found = []
    for block in range(600, 800):
        number = phonenumbers.parse(f"+33{block}123456")
        if phonenumbers.is_valid_number(number):
            found.append(str(block))
    return tuple(b for b in found if b.startswith("6")), tuple(found)


def draw_mobile(rng: random.Random) -> str:
    """A French mobile number in a block that phonenumbers holds valid."""
    # Mostly 06, as most mobiles still are; stored in E.164, as the forms store them.
    sixes, every = mobile_prefixes()
    block = rng.choice(sixes if rng.random() < 0.8 else every)
    return f"+33{block}{rng.randrange(10**6):06d}"


def draw_text(
    rng: random.Random, fragments: list[str], orders: list[list[int]], low: int, high: int, **names
) -> str:
    """Sentences drawn from `fragments` until the text is between `low` and `high` long, in
    one of the shuffled `orders` (shuffling for each text would cost more than the rest)."""
    target = rng.randint(low, high)
    order = rng.choice(orders)
    out: list[str] = []
    length = 0
    index = 0
    while length < target:
        sentence = fragments[order[index % len(order)]]
        if "{" in sentence:
            sentence = sentence.format(**names)
        index += 1
        if length + len(sentence) + 1 > high:
            if length >= low:
                break
            sentence = sentence[: high - length - 1]
        out.append(sentence)
        length += len(sentence) + 1
    return " ".join(out)


def draw_times(
    rng: random.Random, start: datetime, end: datetime, count: int, gap_days: float
) -> list[datetime]:
    """`count` increasing moments after `start`, about `gap_days` apart, none after `end`."""
    gaps = [rng.uniform(0.2, 2 * gap_days) for _ in range(count)]
    available = (end - start).total_seconds() / 86400 * 0.95
    total = sum(gaps)
    if total > available:
        gaps = [gap * available / total for gap in gaps]
    moments, moment = [], start
    for gap in gaps:
        moment = moment + timedelta(days=gap)
        moments.append(moment)
    return moments
