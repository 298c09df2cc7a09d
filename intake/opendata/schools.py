"""The Éducation nationale's school directory → the territory file's [[schools]] tables.

The directory is the "Annuaire de l'éducation" of data.education.gouv.fr (data set
`fr-en-annuaire-education`), exported as a `;`-separated CSV, one row per establishment. Its
headers come as published (`Identifiant_de_l_etablissement`, `Appartenance_Education_Prioritaire`)
or lower-cased as the site's API names them (`identifiant_de_l_etablissement`): they are matched
without regard to case.

What is kept: the écoles and collèges (the programme's 2–16 year olds) that are open today, of
the communes asked for, public and private alike: the programme serves the pupils of both, even
though only public schools belong to priority education (REP, REP+). Pure functions, no Flask.
"""

from __future__ import annotations

import csv
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import tomlkit
from tomlkit.items import AoT, Comment, Whitespace
from tomlkit.toml_document import TOMLDocument

from intake.territory.model import School, Territory
from intake.territory.reader import TerritoryError

# Our name for each column → its lower-cased header in the export.
COLUMNS = {
    "uai": "identifiant_de_l_etablissement",
    "name": "nom_etablissement",
    "type": "type_etablissement",
    "status": "statut_public_prive",
    "insee": "code_commune",
    "commune": "nom_commune",
    "postcode": "code_postal",
    "state": "etat",
    "priority": "appartenance_education_prioritaire",
}
REQUIRED = ("uai", "name", "type", "insee", "state", "priority")

# Type_etablissement, without accents or case ("Ecole", "Collège"), → what the summary says.
KINDS = {"ecole": "école", "college": "collège"}
# `etat`: OUVERT, or A FERMER (open until its closing date, so its pupils are there today).
# FERME is closed, A OUVRIR not open yet.
OPEN_STATES = frozenset({"OUVERT", "A FERMER"})
PRIORITY_ORDER = {"": 0, "REP": 1, "REP+": 2}

_UAI = re.compile(r"^[0-9]{7}[A-Z]$")
_INSEE = re.compile(r"^(?:[0-9]{5}|2[AB][0-9]{3})$")


class DirectoryError(Exception):
    """A directory file that cannot be read; the message names the file and the problem."""


@dataclass(frozen=True)
class DirectorySchool:
    """One school as the directory describes it."""

    uai: str
    name: str
    kind: str
    insee: str
    commune: str
    postcode: str
    public: bool
    priority: str


@dataclass
class DirectoryReading:
    """The schools kept from a directory file, and what was left out and why."""

    schools: dict[str, DirectorySchool] = field(default_factory=dict)  # by UAI, in file order
    rows: int = 0
    other_communes: int = 0
    other_types: Counter[str] = field(default_factory=Counter)
    not_open: Counter[str] = field(default_factory=Counter)
    merged: list[str] = field(default_factory=list)  # one UAI per row merged into an earlier one
    conflicts: list[str] = field(default_factory=list)
    # Every commune of the directory by INSEE code: (its name, a postcode), for the messages.
    communes: dict[str, tuple[str, str]] = field(default_factory=dict)


def _plain(text: str) -> str:
    """Text without accents, case or repeated spaces, to compare the directory's labels."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def insee_code(text: str) -> str:
    """An INSEE code as the territory file writes it; a spreadsheet drops leading zeros."""
    code = text.strip().upper()
    return code.zfill(5) if code.isdigit() and len(code) < 5 else code


def is_insee_code(text: str) -> bool:
    """Whether text is an INSEE commune code (5 digits, or 2A/2B and 3 digits for Corsica)."""
    return bool(_INSEE.match(text))


def _priority(text: str) -> str | None:
    """REP, REP+ or "" from the directory's spelling, None if it is something else."""
    value = "".join(text.split()).upper()
    return value if value in PRIORITY_ORDER else None


def read_directory(lines: Iterable[str], codes: set[str], source: str) -> DirectoryReading:
    """Read the directory's rows and keep the open écoles and collèges of the given communes."""
    reader = csv.reader(lines, delimiter=";")
    header = next(reader, None)
    if header is None:
        raise DirectoryError(f"{source}: the file is empty")
    position = {name.strip().casefold(): index for index, name in enumerate(header)}
    missing = [COLUMNS[key] for key in REQUIRED if COLUMNS[key] not in position]
    if missing:
        raise DirectoryError(
            f"{source}: not the school directory export (fr-en-annuaire-education, "
            f"';'-separated): no column {', '.join(missing)}"
        )
    columns = {key: position.get(header_name) for key, header_name in COLUMNS.items()}
    reading = DirectoryReading()
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        reading.rows += 1
        # A short row (cut by hand, or an old export without a column) reads as empty cells.
        cell = {
            key: row[index].strip() if index is not None and index < len(row) else ""
            for key, index in columns.items()
        }
        insee = insee_code(cell["insee"])
        reading.communes.setdefault(insee, (cell["commune"], cell["postcode"]))
        if insee not in codes:
            reading.other_communes += 1
            continue
        kind = KINDS.get(_plain(cell["type"]))
        if kind is None:
            reading.other_types[cell["type"] or "(empty)"] += 1
            continue
        state = _plain(cell["state"]).upper()
        if state not in OPEN_STATES:
            reading.not_open[cell["state"] or "(empty)"] += 1
            continue
        where = f"{source}: line {reader.line_num}"
        uai = cell["uai"].upper()
        if not _UAI.match(uai):
            raise DirectoryError(f"{where}: {uai!r} is not a UAI code (7 digits and a letter)")
        name = " ".join(cell["name"].split())
        if not name:
            raise DirectoryError(f"{where}: school {uai} has no name")
        priority = _priority(cell["priority"])
        if priority is None:
            raise DirectoryError(
                f"{where}: school {uai}: priority education {cell['priority']!r} "
                f'is none of "REP", "REP+" or empty'
            )
        school = DirectorySchool(
            uai=uai,
            name=name,
            kind=kind,
            insee=insee,
            commune=cell["commune"],
            postcode=cell["postcode"],
            public=_plain(cell["status"]) != "prive",
            priority=priority,
        )
        _add(reading, school)
    return reading


def _add(reading: DirectoryReading, school: DirectorySchool) -> None:
    """Keep a school, merging it into an earlier row of the same UAI."""
    earlier = reading.schools.get(school.uai)
    if earlier is None:
        reading.schools[school.uai] = school
        return
    reading.merged.append(school.uai)
    # The first row's name and commune stand; priority education is never lost to a row that
    # lacks it, so the strongest network wins, and a disagreement is reported.
    if school.priority != earlier.priority:
        strongest = max(earlier.priority, school.priority, key=PRIORITY_ORDER.__getitem__)
        reading.conflicts.append(
            f"{school.uai} is {_network(earlier.priority)} on one row and "
            f"{_network(school.priority)} on another: kept {_network(strongest)}"
        )
        reading.schools[school.uai] = replace(earlier, priority=strongest)
    if school.insee != earlier.insee:
        reading.conflicts.append(
            f"{school.uai} is in commune {earlier.insee} on one row and {school.insee} on "
            f"another: kept {earlier.insee}"
        )


def _network(priority: str) -> str:
    return priority or "not in priority education"


def open_directory(path: str | os.PathLike[str], codes: set[str]) -> DirectoryReading:
    """Read the directory file at path (UTF-8, with or without a byte order mark)."""
    source = os.fspath(path)
    try:
        # newline="": the csv module reads the line endings itself (quoted fields may hold some).
        with Path(path).open(encoding="utf-8-sig", newline="") as lines:
            return read_directory(lines, codes, source)
    except UnicodeDecodeError as exc:
        raise DirectoryError(
            f"{source}: not valid UTF-8 ({exc.reason} at byte {exc.start}); download the export "
            "again rather than saving it from a spreadsheet"
        ) from None
    except csv.Error as exc:
        raise DirectoryError(f"{source}: not a readable CSV file: {exc}") from None
    except OSError as exc:
        raise DirectoryError(f"{source}: cannot read the file: {exc.strerror or exc}") from None


# --- The territory's side -------------------------------------------------------------------


def undeclared(codes: Iterable[str], territory: Territory) -> list[str]:
    """The INSEE codes among codes that no [[communes]] table of the territory declares."""
    declared = {c.insee for c in territory.communes if c.insee}
    return sorted(set(codes) - declared)


def commune_table(code: str, reading: DirectoryReading) -> str:
    """A [[communes]] table to paste into the territory file, named as the directory names it."""
    name, postcode = reading.communes.get(code, ("", ""))
    return (
        "[[communes]]\n"
        f"name = {tomlkit.string(name or '…').as_string()}\n"
        f'insee = "{code}"\n'
        f"postcodes = [{tomlkit.string(postcode or '…').as_string()}]"
    )


def territory_schools(reading: DirectoryReading, territory: Territory) -> list[School]:
    """The kept schools as the territory file lists them: commune by commune, then by name.

    A school's commune is the territory's name for its INSEE code; every code must be declared
    (see `undeclared`). The order is stable, so that a new import of the same data changes nothing.
    """
    communes = {c.insee: (index, c.name) for index, c in enumerate(territory.communes) if c.insee}
    schools = [(communes[s.insee], s) for s in reading.schools.values() if s.insee in communes]
    schools.sort(key=lambda pair: (pair[0][0], _plain(pair[1].name), pair[1].uai))
    return [
        School(uai=s.uai, name=s.name, commune=commune, priority=s.priority)
        for (_, commune), s in schools
    ]


def summary(
    reading: DirectoryReading, schools: Sequence[School], territory: Territory
) -> list[str]:
    """What the import keeps, merges and leaves out, for the coordinator to check."""
    lines = [f"Read {_rows(reading.rows)}; kept {len(schools)} open écoles and collèges:"]
    for commune in territory.communes:
        own = [s for s in schools if s.commune == commune.name]
        counts = Counter(s.priority for s in own)
        detail = ", ".join(
            f"{label} {counts[priority]}"
            for priority, label in (("REP+", "REP+"), ("REP", "REP"), ("", "none"))
            if counts[priority]
        )
        lines.append(
            f"  {commune.name} ({commune.insee}): {len(own)}" + (f" ({detail})" if detail else "")
        )
    private = sum(1 for s in reading.schools.values() if not s.public)
    if private:
        lines.append(
            f"Private schools kept: {private} (the programme serves their pupils too; "
            "priority education is public only)."
        )
    if reading.merged:
        repeated = ", ".join(sorted(set(reading.merged)))
        lines.append(f"Merged {_rows(len(reading.merged))} repeating a UAI: {repeated}.")
    if reading.not_open:
        lines.append(
            f"Skipped {_rows(_counted(reading.not_open))} not open: {_detail(reading.not_open)}."
        )
    if reading.other_types:
        lines.append(
            f"Skipped {_rows(_counted(reading.other_types))} of other types: "
            f"{_detail(reading.other_types)}."
        )
    if reading.other_communes:
        lines.append(f"Skipped {_rows(reading.other_communes)} of other communes.")
    return lines


def warnings(
    reading: DirectoryReading, schools: Sequence[School], territory: Territory
) -> list[str]:
    """What the coordinator should look at before writing."""
    found = {s.commune for s in schools}
    notes = [f"Warning: {conflict}." for conflict in reading.conflicts]
    for commune in territory.communes:
        if commune.name not in found:
            notes.append(
                f"Warning: no open école or collège of {commune.name} ({commune.insee}) in the "
                "file: was the export filtered on another commune?"
            )
    return notes


def _rows(number: int) -> str:
    return f"{number} row" if number == 1 else f"{number} rows"


def _counted(counts: Counter[str]) -> int:
    return sum(counts.values())


def _detail(counts: Counter[str]) -> str:
    return ", ".join(f"{label} {number}" for label, number in sorted(counts.items()))


# --- Rewriting the file ---------------------------------------------------------------------


def replace_schools(document: TOMLDocument, schools: Sequence[School], source: str) -> None:
    """Replace the document's [[schools]] tables, keeping everything around them as written.

    What lies inside the old tables goes with them, their comments too; the comments and blank
    lines after the last one (in tomlkit, part of its body) introduce what follows and are kept.
    """
    current = document.get("schools")
    if current is not None and not isinstance(current, AoT):
        raise TerritoryError(
            f"{source}: schools must be written as [[schools]] tables to be imported"
        )
    trailing: list[Comment | Whitespace] = []
    if current is not None and current.body:
        body = current.body[-1].value.body
        start = len(body)
        while (
            start
            and body[start - 1][0] is None
            and isinstance(body[start - 1][1], (Comment, Whitespace))
        ):
            start -= 1
        trailing = [item for _, item in body[start:]]
    tables = tomlkit.aot()
    for school in schools:
        table = tomlkit.table()
        table.add("uai", school.uai)
        table.add("name", school.name)
        table.add("commune", school.commune)
        table.add("priority", school.priority)
        tables.append(table)
    if trailing and schools:
        for item in trailing:
            tables[-1].add(item)
    if current is None:
        # After whatever ends the file, separated by a blank line like every other table.
        document.add(tomlkit.nl())
        document.append("schools", tables)
    else:
        document["schools"] = tables
