"""What a territory file holds and how it places an address, as facts to put in words.

`flask territory check` says them in English on a terminal, the coordinator's page
(/triage/territoire) in French: both count, group and place through these functions, so that
they cannot tell two stories. An address is placed by `screening.decide`, the very decision
screening makes. Pure functions, no Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from intake.rules.screening import Residence, ResidenceDecision, decide
from intake.territory.addresses import ParsedAddress, parse_address, postcode_in
from intake.territory.model import Qpv, School, Street, Territory

# The networks schools are listed by, strongest first; "" is outside priority education.
NETWORKS = ("REP+", "REP", "")
# Open data change: streets are renumbered, schools open, close or change network. A territory
# built longer ago than this is worth building again.
STALE_AFTER_DAYS = 365


@dataclass(frozen=True)
class StreetCounts:
    """A neighbourhood's street entries, counted by what they hold of their street."""

    streets: int  # different streets (a street split into several entries counts once)
    entries: int
    whole: int
    ranges: int  # limited to a range of numbers (with or without a side)
    sides: int  # limited to one side only


def street_counts(qpv: Qpv) -> StreetCounts:
    """How many streets a neighbourhood lists, and how many are whole or limited to a part."""
    whole = sum(1 for street in qpv.streets if not street.is_limited)
    ranges = sum(1 for street in qpv.streets if street.from_ is not None or street.to is not None)
    return StreetCounts(
        streets=len({street.key for street in qpv.streets}),
        entries=len(qpv.streets),
        whole=whole,
        ranges=ranges,
        sides=len(qpv.streets) - whole - ranges,
    )


def schools_by_network(schools: tuple[School, ...]) -> list[tuple[str, list[School]]]:
    """The schools grouped by network (REP+, REP, then none), in the file's order within
    each; networks without a school are left out."""
    groups = [(network, [s for s in schools if s.priority == network]) for network in NETWORKS]
    return [(network, found) for network, found in groups if found]


@dataclass(frozen=True)
class Placement:
    """How screening reads and places an address typed as on a form ("12 rue Neuve, 62190")."""

    text: str
    postcode: str  # '' when the text holds none
    parsed: ParsedAddress | None  # None when no street can be read from the text
    decision: ResidenceDecision
    # Not what decided but why nothing did: the entries of the same street, in the
    # neighbourhoods of the postcode's communes, that hold other numbers than this one.
    other_numbers: tuple[tuple[Qpv, Street], ...] = ()


def place(text: str, territory: Territory) -> Placement:
    """Read and place an address written in one line, its postcode included."""
    postcode = postcode_in(text)
    parsed = parse_address(text)
    decision = decide(text, postcode, territory)
    other_numbers: tuple[tuple[Qpv, Street], ...] = ()
    if decision.residence is Residence.OUTSIDE_QPV and parsed is not None:
        communes = {commune.name for commune in territory.communes_for_postcode(postcode)}
        other_numbers = tuple(
            (qpv, street)
            for qpv in territory.qpvs
            if qpv.commune in communes
            for street in qpv.streets
            if street.key == parsed.street_key
        )
    return Placement(text, postcode, parsed, decision, other_numbers)


@dataclass(frozen=True)
class Gap:
    """Something the territory file lacks that changes what screening can say.

    `code` is one of: "never_built" (no [sources]: streets and schools typed or imported, with
    no date), "stale" (built more than STALE_AFTER_DAYS ago), "qpv_without_streets",
    "commune_without_school", "no_school".
    """

    code: str
    qpv: Qpv | None = None
    commune: str = ""
    days: int = 0  # for "stale": how many days ago the file was built


def gaps(territory: Territory, today: date) -> list[Gap]:
    """What the territory file lacks, most general first."""
    found = []
    if territory.sources is None:
        found.append(Gap("never_built"))
    elif (age := (today - territory.sources.built_on).days) > STALE_AFTER_DAYS:
        found.append(Gap("stale", days=age))
    found.extend(Gap("qpv_without_streets", qpv=qpv) for qpv in territory.qpvs if not qpv.streets)
    if not territory.schools:
        found.append(Gap("no_school"))
        return found
    with_schools = {school.commune for school in territory.schools}
    found.extend(
        Gap("commune_without_school", commune=commune.name)
        for commune in territory.communes
        if commune.name not in with_schools
    )
    return found


def build_command(territory: Territory, flask: str = "flask") -> str:
    """The command that builds the territory's streets and schools again, for its communes
    (a placeholder when none has its INSEE code, so the command is never printed without
    the `--commune` it requires)."""
    communes = " ".join(f"--commune {c.insee}" for c in territory.communes if c.insee)
    return f"{flask} --app wsgi territory build {communes or '--commune INSEE'} --write"
