"""What a territory file will do, in words: its neighbourhoods, its schools, given addresses.

For `flask territory check`, which a coordinator runs before going live. Residence comes from
`screening.decide`, the very decision screening makes; the counts, groups and placing are
`intake.rules.territory_summary`'s, which the coordinator's page says in French. Pure
functions, no Flask.
"""

from __future__ import annotations

from datetime import date

from intake.rules.territory_summary import place, schools_by_network, street_counts
from intake.territory.model import Qpv, Sources, Street, Territory

NETWORK_LABELS = {"REP+": "REP+", "REP": "REP", "": "not in priority education"}


def describe_street(street: Street) -> str:
    """A street entry in words: "rue Neuve (whole street)", "… (numbers 1 to 59, odd side)"."""
    parts = []
    if street.from_ is not None and street.to is not None:
        parts.append(f"numbers {street.from_} to {street.to}")
    elif street.from_ is not None:
        parts.append(f"numbers from {street.from_}")
    elif street.to is not None:
        parts.append(f"numbers up to {street.to}")
    if street.side is not None:
        parts.append(f"{street.side} side")
    return f"{street.name} ({', '.join(parts) or 'whole street'})"


def _plural(number: int, word: str, words: str = "") -> str:
    return f"{number} {word}" if number == 1 else f"{number} {words or word + 's'}"


def describe_qpv(qpv: Qpv) -> str:
    """A neighbourhood's streets, counted: how many, and how many are limited to a part."""
    title = f"QPV {qpv.code} {qpv.name} ({qpv.commune})"
    if not qpv.streets:
        return (
            f"{title}: no street listed yet, so every address of {qpv.commune} is screened "
            '"to check" for residence'
        )
    counts = street_counts(qpv)
    entries = (
        ""
        if counts.streets == counts.entries
        else f" in {_plural(counts.entries, 'entry', 'entries')}"
    )
    return (
        f"{title}: {_plural(counts.streets, 'street')}{entries}: {counts.whole} whole, "
        f"{_plural(counts.ranges, 'range')} of numbers, {counts.sides} one side only"
    )


SOURCE_NAMES = {
    "ban": "Base Adresse Nationale",
    "qpv": "QPV 2024 contours (ANCT)",
    "schools": "school directory (Éducation nationale)",
}


def sources_report(sources: Sources | None, today: date) -> list[str]:
    """Where the streets and schools come from, and how old they are."""
    if sources is None:
        return ["Sources: none recorded (streets and schools written by hand or imported)."]
    age = (today - sources.built_on).days
    lines = [f"Built on {sources.built_on.isoformat()} ({age} days ago) from:"]
    for file in sources.files:
        where = file.url or "a file given on the command line"
        lines.append(
            f"  {SOURCE_NAMES[file.kind]}: {file.name}, dated {file.date.isoformat()}, "
            f"sha256 {file.sha256[:12]}…, {where}"
        )
    return lines


def territory_report(territory: Territory, today: date | None = None) -> list[str]:
    """The file's neighbourhoods and schools, as the coordinator checks them before going live."""
    programme = territory.programme
    lines = [
        f"{territory.source}: valid.",
        f"{programme.name}: ages {programme.min_age} to {programme.max_age}, "
        f"rule {programme.rule}.",
        "Communes: "
        + "; ".join(
            f"{c.name} (INSEE {c.insee or 'not given'}, postcodes {', '.join(c.postcodes)})"
            for c in territory.communes
        )
        + ".",
    ]
    if today is not None:
        lines.extend(sources_report(territory.sources, today))
    if not territory.qpvs:
        lines.append("No QPV: every address in the territory is screened outside the QPVs.")
    lines.extend(describe_qpv(qpv) for qpv in territory.qpvs)
    if not territory.schools:
        lines.append('Schools: none listed; the forms offer "other" only, screened "to check".')
        return lines
    lines.append(f"Schools: {len(territory.schools)}")
    for network, schools in schools_by_network(territory.schools):
        lines.append(f"  {NETWORK_LABELS[network]}: {len(schools)}")
        lines.extend(f"    {s.uai} {s.name} ({s.commune})" for s in schools)
    return lines


def address_report(text: str, territory: Territory) -> list[str]:
    """How screening places an address written as on a form ("12 rue Neuve, 62190")."""
    placement = place(text, territory)
    parsed, decision = placement.parsed, placement.decision
    if parsed is None:
        read = "no street"
    else:
        number = f"number {parsed.number}{parsed.suffix}" if parsed.number is not None else ""
        read = f'{number or "no number"}, street "{parsed.street_key}"'
    if decision.street is not None:
        entry = f"{decision.qpv.code} {decision.qpv.name}: {describe_street(decision.street)}"
    elif decision.qpv is not None:
        entry = f"{decision.qpv.code} {decision.qpv.name}, which lists no street yet"
    else:
        entry = "no street entry of the file"
        if placement.other_numbers:
            # Not a decision, an explanation: the same street is listed, for other numbers.
            others = "; ".join(describe_street(street) for _, street in placement.other_numbers)
            entry += f"; listed for other numbers only: {others}"
    return [
        f"{text}",
        f"  read as: {read}, postcode {placement.postcode or 'none'}",
        f"  residence: {decision.residence.value}",
        f"  decided by: {entry}",
        f"  reason: {decision.reason.text}",
    ]
