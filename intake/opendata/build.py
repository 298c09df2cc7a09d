"""`territory build`: the territory's communes, QPV streets and schools from the official files.

What the two importers do, in one pass over one document, from files that `obtain` downloads
(or that the coordinator gives): for each commune asked for, its [[communes]] table (added from
the BAN's names and postcodes when the file does not declare it), a [[qpv]] table for each
neighbourhood whose contour holds some of its addresses (added when missing), their streets,
and its open écoles and collèges; then a [sources] table saying when and from which files. The
schools and neighbourhoods of the file's other communes are left as they are. Nothing here
writes the territory file: the command shows the change and writes it with --write.
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO

import numpy as np
import tomlkit
from tomlkit.toml_document import TOMLDocument

from intake.opendata.addresses_command import (
    AddressImport,
    AddressImportError,
    QpvImport,
    set_streets,
)
from intake.opendata.ban import BanAddress, BanExtract, read_addresses
from intake.opendata.contours import Contours, inside, read_contours
from intake.opendata.download import DownloadError, Fetched, fetch
from intake.opendata.schools import (
    DirectoryReading,
    insee_code,
    is_insee_code,
    open_directory,
    replace_schools,
    territory_schools,
)
from intake.opendata.territory_file import check_text, read_document, unified_diff
from intake.territory.model import School, SourceFile, Territory
from intake.territory.reader import TerritoryError

# Which option replaces a download, for the message that says how to do without the network.
OPTIONS = {"ban": "--ban", "qpv": "--contours", "schools": "--schools"}


class BuildError(Exception):
    """The build cannot go on; one line saying why (the territory file is left as it is)."""


def departement(insee: str) -> str:
    """The département of an INSEE commune code: 62 for 62516, 2A for 2A004, 974 for 97411."""
    return insee[:3] if insee.startswith("97") else insee[:2]


@dataclass(frozen=True)
class Obtained:
    """One source file on disk, and what the territory's [sources] table says of it."""

    kind: str
    path: Path
    record: SourceFile


def given_file(kind: str, path: Path) -> Obtained:
    """A file the coordinator downloaded: hashed, dated by its modification time."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as data:
            while chunk := data.read(1 << 20):
                digest.update(chunk)
        modified = datetime.fromtimestamp(path.stat().st_mtime, UTC).date()
    except OSError as exc:
        raise BuildError(f"{path}: cannot read the file: {exc.strerror or exc}") from None
    record = SourceFile(kind, path.name, "", modified, digest.hexdigest())
    return Obtained(kind, path, record)


def downloaded(kind: str, fetched: Fetched, name: str) -> Obtained:
    return Obtained(
        kind, fetched.path, SourceFile(kind, name, fetched.url, fetched.date, fetched.sha256)
    )


@dataclass
class Downloader:
    """Fetches the official files into the cache, or says in one line how to do without."""

    cache: Path
    urls: dict[str, str]  # kind → URL template
    progress: TextIO | None = None
    timeout: float = 30.0
    attempts: int = 4
    backoff: float = 1.0

    def get(self, kind: str, name: str, label: str, **fields: str) -> Obtained:
        url = self.urls[kind].format(**fields)
        try:
            fetched = fetch(
                url,
                self.cache,
                name,
                label=label,
                progress=self.progress,
                timeout=self.timeout,
                attempts=self.attempts,
                backoff=self.backoff,
            )
        except DownloadError as exc:
            raise BuildError(
                f"{exc} — nothing written; without this download, fetch the file another "
                f"way and give it with {OPTIONS[kind]} FILE"
            ) from None
        return downloaded(kind, fetched, name)


@dataclass(frozen=True)
class Given:
    """The files given on the command line instead of downloads (None: download it)."""

    ban: Path | None = None
    contours: Path | None = None
    schools: Path | None = None


def obtain(
    codes: Sequence[str], given: Given, downloader: Downloader
) -> tuple[list[Obtained], Obtained, list[Obtained]]:
    """The BAN files (one a département), the contours and the school directories (one a
    commune) of `codes`: the given files, else downloads."""
    if given.ban is not None:
        ban = [given_file("ban", given.ban)]
    else:
        ban = [
            downloader.get("ban", f"adresses-{d}.csv.gz", f"BAN {d}", departement=d)
            for d in dict.fromkeys(departement(code) for code in codes)
        ]
    if given.contours is not None:
        contours = given_file("qpv", given.contours)
    else:
        contours = downloader.get("qpv", "qpv-2024.geojson", "QPV contours")
    if given.schools is not None:
        schools = [given_file("schools", given.schools)]
    else:
        schools = [
            downloader.get("schools", f"annuaire-education-{c}.csv", f"schools {c}", insee=c)
            for c in codes
        ]
    return ban, contours, schools


# --- Building the document ----------------------------------------------------------------


@dataclass
class Build:
    """The territory file before and after, and what the summary shows."""

    path: Path
    before: str
    after: str = ""
    added_communes: list[str] = field(default_factory=list)
    added_qpvs: list[str] = field(default_factory=list)
    shared_qpvs: list[str] = field(default_factory=list)  # also over another commune
    qpvs: tuple[QpvImport, ...] = ()
    schools: list[School] = field(default_factory=list)
    reading: DirectoryReading | None = None
    extract: BanExtract = field(default_factory=BanExtract)
    ban_names: tuple[str, ...] = ()
    territory: Territory | None = None  # as written, once built

    @property
    def diff(self) -> str:
        return unified_diff(self.path, self.before, self.after)

    def streets(self) -> AddressImport:
        """The streets' part, as `territory import-addresses` reports it."""
        return AddressImport(
            path=self.path,
            before=self.before,
            after=self.after,
            qpvs=self.qpvs,
            rows=self.extract.rows,
            kept=len(self.extract.addresses),
            unplaced=self.extract.unplaced,
        )


def check_codes(codes: Sequence[str]) -> list[str]:
    """The INSEE codes as the files write them, each once; BuildError on one that is not."""
    wanted = list(dict.fromkeys(insee_code(code) for code in codes))
    for code in wanted:
        if not is_insee_code(code):
            raise BuildError(f"--commune {code}: not an INSEE commune code (5 characters: 62516)")
    return wanted


def read_ban(files: Sequence[Obtained], codes: Sequence[str]) -> BanExtract:
    """The address points of `codes` in the BAN files, as one extract."""
    extract = BanExtract()
    for file in files:
        part = read_addresses(file.path, codes)
        extract.addresses += part.addresses
        extract.rows += part.rows
        extract.unplaced += part.unplaced
        for code, name in part.names.items():
            extract.names.setdefault(code, name)
        for code, postcodes in part.postcodes.items():
            extract.postcodes.setdefault(code, set()).update(postcodes)
    return extract


def read_schools(files: Sequence[Obtained], codes: set[str]) -> DirectoryReading:
    """The open écoles and collèges of `codes` in the directory files, as one reading."""
    reading = DirectoryReading()
    for file in files:
        part = open_directory(file.path, codes)
        reading.rows += part.rows
        reading.other_communes += part.other_communes
        reading.other_types.update(part.other_types)
        reading.not_open.update(part.not_open)
        reading.merged += part.merged
        reading.conflicts += part.conflicts
        for uai, school in part.schools.items():
            reading.schools.setdefault(uai, school)
        for code, names in part.communes.items():
            reading.communes.setdefault(code, names)
    return reading


def _commune_table(name: str, code: str, postcodes: set[str]) -> tomlkit.items.Table:
    table = tomlkit.table()
    table.add("name", name)
    table.add("insee", code)
    table.add("postcodes", sorted(postcodes))
    return table


def _qpv_table(code: str, name: str, commune: str) -> tomlkit.items.Table:
    table = tomlkit.table()
    table.add("code", code)
    table.add("name", name or code)
    table.add("commune", commune)
    table.add("streets", tomlkit.array())
    return table


def _append(document: TOMLDocument, key: str, table: tomlkit.items.Table) -> None:
    if key in document:
        document[key].append(table)
    else:
        document.add(tomlkit.nl())
        document.append(key, tomlkit.aot())
        document[key].append(table)


def _territory(build: Build, document: TOMLDocument) -> Territory:
    try:
        return check_text(build.path, tomlkit.dumps(document))
    except TerritoryError as exc:
        raise BuildError(f"{exc} — nothing written") from None


def add_communes(
    document: TOMLDocument, territory: Territory, codes: Sequence[str], extract: BanExtract
) -> list[str]:
    """Add a [[communes]] table for each code the file does not declare; their names."""
    declared = {c.insee for c in territory.communes}
    added = []
    for code in codes:
        if code in declared:
            continue
        name = extract.names.get(code)
        if not name or not extract.postcodes.get(code):
            raise BuildError(
                f"commune {code}: no address of it in the BAN file: is it the file of its "
                f"département ({departement(code)})? Nothing written."
            )
        _append(document, "communes", _commune_table(name, code, extract.postcodes[code]))
        added.append(f"{name} ({code})")
    return added


def communes_of_qpvs(
    contours: Contours, by_commune: dict[str, list[BanAddress]], codes: Sequence[str]
) -> dict[str, list[str]]:
    """For each QPV code, the communes of `codes` that have address points inside it."""
    found: dict[str, list[str]] = defaultdict(list)
    for code in codes:
        points = by_commune[code]
        if not points:
            continue
        lons = np.fromiter((a.lon for a in points), dtype=float, count=len(points))
        lats = np.fromiter((a.lat for a in points), dtype=float, count=len(points))
        west, south, east, north = lons.min(), lats.min(), lons.max(), lats.max()
        for qpv, geometry in contours.geometries.items():
            minx, miny, maxx, maxy = geometry.bounds
            if minx > east or maxx < west or miny > north or maxy < south:
                continue  # far away: most of a national file
            if inside(geometry, lons, lats).any():
                found[qpv].append(code)
    return found


def build_territory(
    path: Path,
    codes: Sequence[str],
    ban: Sequence[Obtained],
    contours_file: Obtained,
    schools_files: Sequence[Obtained],
    today: date,
) -> Build:
    """Compute the new territory text; nothing is written here."""
    try:
        before = path.read_text(encoding="utf-8-sig")
        document = read_document(path)
    except (OSError, ValueError) as exc:
        raise BuildError(f"{path}: cannot read the territory file: {exc}") from None
    build = Build(path=path, before=before)
    if tomlkit.dumps(document) != before:
        raise BuildError(
            f"{path}: cannot be rewritten without changing more than the tables it builds "
            "(are [[schools]] or [[qpv]] tables split around other tables? put them together) "
            "— nothing written"
        )
    territory = _territory(build, document)

    build.extract = extract = read_ban(ban, codes)
    build.ban_names = tuple(file.record.name for file in ban)
    by_commune: dict[str, list[BanAddress]] = defaultdict(list)
    for address in extract.addresses:
        by_commune[address.insee].append(address)
    build.added_communes = add_communes(document, territory, codes, extract)
    territory = _territory(build, document)
    names = {c.insee: c.name for c in territory.communes}

    contours = read_contours(contours_file.path, None)
    owners = communes_of_qpvs(contours, by_commune, codes)
    declared = {q.code for q in territory.qpvs}
    for qpv, communes in sorted(owners.items()):
        if len(communes) > 1:
            build.shared_qpvs.append(f"{qpv} ({', '.join(names[c] for c in communes)})")
        if qpv not in declared:
            _append(
                document, "qpv", _qpv_table(qpv, contours.names.get(qpv, ""), names[communes[0]])
            )
            build.added_qpvs.append(f"{qpv} {contours.names.get(qpv) or ''}".strip())
    territory = _territory(build, document)
    insee_of = {c.name: c.insee for c in territory.communes}
    ours = [q for q in territory.qpvs if insee_of.get(q.commune) in codes]
    missing = [q.code for q in ours if q.code not in contours.geometries]
    if missing:
        raise BuildError(
            f"{contours_file.path}: no contour for QPV {', '.join(missing)} declared in "
            f"{path}: is it the QPV 2024 file? Nothing written."
        )
    if "qpv" in document:
        try:
            build.qpvs = set_streets(document, ours, territory, by_commune, contours)
        except AddressImportError as exc:
            raise BuildError(f"{exc} — nothing written") from None

    build.reading = read_schools(schools_files, set(codes))
    fresh = territory_schools(build.reading, territory)
    kept = [s for s in territory.schools if insee_of.get(s.commune) not in codes]
    order = {c.name: index for index, c in enumerate(territory.communes)}
    # Stable: each commune's schools in the order territory_schools gives, communes in the
    # file's order, so that building again from the same files changes nothing.
    build.schools = sorted(kept + fresh, key=lambda s: order[s.commune])
    if build.schools or "schools" in document:
        try:
            replace_schools(document, build.schools, os.fspath(path))
        except TerritoryError as exc:
            raise BuildError(f"{exc} — nothing written") from None

    set_sources(document, today, [*ban, contours_file, *schools_files])
    build.after = tomlkit.dumps(document)
    build.territory = _territory(build, document)
    return build


def set_sources(document: TOMLDocument, today: date, files: Sequence[Obtained]) -> None:
    """Replace the [sources] table: the build date and each file's name, URL, date, checksum."""
    sources = tomlkit.table()
    sources.add(tomlkit.comment("Written by `flask --app wsgi territory build`: do not edit."))
    sources.add("built_on", today)
    records = tomlkit.aot()
    for file in files:
        record = tomlkit.table()
        record.add("kind", file.record.kind)
        record.add("name", file.record.name)
        record.add("url", file.record.url)
        record.add("date", file.record.date)
        record.add("sha256", file.record.sha256)
        records.append(record)
    sources.add("files", records)
    if "sources" in document:
        document["sources"] = sources
    else:
        document.add(tomlkit.nl())
        document.add("sources", sources)
