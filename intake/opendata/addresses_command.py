"""`flask territory import-addresses`: each QPV's streets from the BAN and the QPV contours.

`import_addresses` does the work without Flask (the benchmark calls it directly); the command
finds the territory file in the app's configuration, prints and writes.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np
import tomlkit
from flask import current_app
from flask.cli import with_appcontext
from tomlkit.items import Array
from tomlkit.toml_document import TOMLDocument

from intake.opendata.ban import BanAddress, BanError, read_addresses
from intake.opendata.contours import Contours, ContoursError, inside, read_contours
from intake.opendata.qpv_streets import PlacedPoint, QpvStreets, StreetEntries, qpv_streets
from intake.opendata.territory_file import read_document, unified_diff, write_text
from intake.territory.model import Qpv, Territory
from intake.territory.reader import TerritoryError, load_territory


class AddressImportError(ValueError):
    """A territory the import cannot work with; the message says what to change."""


@dataclass(frozen=True)
class QpvImport:
    """One [[qpv]] table's new streets and where they come from."""

    qpv: Qpv
    insee: str
    streets: QpvStreets
    repaired: str  # why its contour had to be repaired, or ""


@dataclass(frozen=True)
class AddressImport:
    """The territory file before and after the import, and what the summary shows."""

    path: Path
    before: str
    after: str
    qpvs: tuple[QpvImport, ...]
    rows: int  # data rows of the BAN file
    kept: int  # rows of the territory's communes with a position
    unplaced: int  # rows of those communes without a usable position

    @property
    def diff(self) -> str:
        return unified_diff(self.path, self.before, self.after)


def streets_array(streets: tuple[StreetEntries, ...]) -> Array:
    """The `streets` array of a [[qpv]] table: one entry a line, as the sample file writes them."""
    lines = []
    for street in streets:
        for entry in street.entries:
            fields = {"name": street.name, "from": entry.from_, "to": entry.to, "side": entry.side}
            pairs = ", ".join(
                f"{key} = {tomlkit.item(value).as_string()}"
                for key, value in fields.items()
                if value is not None
            )
            lines.append(f"  {{ {pairs} }},\n")
    # Arrays built with tomlkit's API come out with a four-space indent and tight braces;
    # parsing this text keeps the file's own style, with tomlkit quoting each value.
    text = "streets = [\n" + "".join(lines) + "]\n" if lines else "streets = []\n"
    return tomlkit.parse(text)["streets"]


def set_streets(
    document: TOMLDocument,
    qpvs: Sequence[Qpv],
    territory: Territory,
    by_commune: Mapping[str, Sequence[BanAddress]],
    contours: Contours,
) -> tuple[QpvImport, ...]:
    """Write the streets of each of `qpvs` into its [[qpv]] table of `document`, from its
    commune's address points (by INSEE code) placed against its contour."""
    insee = {commune.name: commune.insee for commune in territory.communes}
    # Codes are unique once validated, and validation reads them stripped and upper-cased.
    tables = {str(table["code"]).strip().upper(): table for table in document["qpv"]}
    results = []
    for qpv in qpvs:
        addresses = by_commune[insee[qpv.commune]]
        lons = np.fromiter((a.lon for a in addresses), dtype=float, count=len(addresses))
        lats = np.fromiter((a.lat for a in addresses), dtype=float, count=len(addresses))
        placed = inside(contours.geometries[qpv.code], lons, lats)
        streets = qpv_streets(
            PlacedPoint(a.street, a.number, bool(is_in))
            for a, is_in in zip(addresses, placed, strict=True)
        )
        tables[qpv.code]["streets"] = streets_array(streets.streets)
        results.append(
            QpvImport(
                qpv=qpv,
                insee=insee[qpv.commune],
                streets=streets,
                repaired=contours.repaired.get(qpv.code, ""),
            )
        )
    return tuple(results)


def import_addresses(
    territory_path: str | os.PathLike[str],
    ban_path: str | os.PathLike[str],
    contours_path: str | os.PathLike[str],
) -> AddressImport:
    """Compute each QPV's streets and the new territory text; nothing is written here."""
    path = Path(territory_path)
    territory = load_territory(path)
    if not territory.qpvs:
        raise AddressImportError(f"{path}: no [[qpv]] table, so no streets to import")
    insee = {commune.name: commune.insee for commune in territory.communes}
    for qpv in territory.qpvs:
        if not insee[qpv.commune]:
            raise AddressImportError(
                f"{path}: commune {qpv.commune} (of QPV {qpv.code}) has no INSEE code: add "
                f'insee = "…" to its [[communes]] table, as the BAN file names the commune'
            )
    contours = read_contours(contours_path, [qpv.code for qpv in territory.qpvs])
    codes = {insee[qpv.commune] for qpv in territory.qpvs}
    extract = read_addresses(ban_path, codes)

    by_commune: dict[str, list[BanAddress]] = defaultdict(list)
    for address in extract.addresses:
        by_commune[address.insee].append(address)
    for qpv in territory.qpvs:
        if not by_commune[insee[qpv.commune]]:
            raise AddressImportError(
                f"{os.fspath(ban_path)}: no address of {qpv.commune} (INSEE "
                f"{insee[qpv.commune]}): is it the BAN file of the commune's département?"
            )

    document = read_document(path)
    before = tomlkit.dumps(document)
    results = set_streets(document, territory.qpvs, territory, by_commune, contours)
    return AddressImport(
        path=path,
        before=before,
        after=tomlkit.dumps(document),
        qpvs=results,
        rows=extract.rows,
        kept=len(extract.addresses),
        unplaced=extract.unplaced,
    )


def summary(result: AddressImport, ban_path: Path) -> list[str]:
    """The lines printed before the diff: what was read, and per QPV what was found."""
    communes = ", ".join(sorted({q.insee for q in result.qpvs}))
    lines = [
        f"{ban_path.name}: {result.rows:,} rows, {result.kept:,} in the territory's "
        f"communes (INSEE {communes})"
    ]
    if result.unplaced:
        lines.append(f"  left out: {result.unplaced:,} rows of those communes without lon/lat")
    for item in result.qpvs:
        found = item.streets
        ranged = found.ranged
        entries = sum(len(s.entries) for s in ranged)
        lines += [
            "",
            f"{item.qpv.code} {item.qpv.name} ({item.qpv.commune}, INSEE {item.insee})",
            f"  addresses: {found.inside:,} inside, {found.outside:,} outside",
            f"  streets whole: {len(found.whole)}",
            f"  streets in ranges: {len(ranged)} ({entries} entries)",
        ]
        if found.ambiguous:
            numbers = "; ".join(f"{street} {number}" for street, number in found.ambiguous)
            lines.append(
                f"  ambiguous numbers (points on both sides, left out of the ranges, to "
                f"decide by hand): {numbers}"
            )
        else:
            lines.append("  ambiguous numbers: none")
        if item.repaired:
            lines.append(f"  contour repaired before use: {item.repaired}")
        if found.unreadable:
            lines.append(
                "  names a family's spelling may not match (check them): "
                + "; ".join(found.unreadable)
            )
        if not found.inside:
            lines.append("  warning: no address inside this contour; its streets will be empty")
    return lines


@click.command("import-addresses")
@with_appcontext
@click.argument("ban_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--contours",
    "contours_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The QPV 2024 contours, GeoJSON in WGS84 (the ANCT's file or an extract).",
)
@click.option(
    "--write",
    is_flag=True,
    help="Rewrite the streets of the [[qpv]] tables; without it, only show the change.",
)
def import_addresses_command(ban_file: Path, contours_file: Path, write: bool) -> None:
    """Set each QPV's streets from the BAN addresses inside its contour.

    BAN_FILE is the Base Adresse Nationale's CSV of the département (adresses-62.csv, or
    adresses-62.csv.gz as downloaded). The territory file is the app's INTAKE_TERRITORY.
    """
    path = Path(current_app.config["INTAKE_TERRITORY"])
    try:
        result = import_addresses(path, ban_file, contours_file)
    except (TerritoryError, AddressImportError, BanError, ContoursError) as exc:
        raise click.ClickException(str(exc)) from None
    for line in summary(result, ban_file):
        click.echo(line)
    click.echo("")
    diff = result.diff
    click.echo(diff if diff else f"No change to {path}.", nl=not diff)
    codes = ", ".join(q.qpv.code for q in result.qpvs)
    if not write:
        click.echo(f"Nothing written: run again with --write to rewrite the streets of {codes}.")
        return
    if not diff:
        return
    try:
        write_text(path, result.after)
    except TerritoryError as exc:
        raise click.ClickException(f"nothing written: {exc}") from None
    click.echo(f"Wrote the streets of {codes} to {path}.")
