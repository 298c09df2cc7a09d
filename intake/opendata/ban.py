"""Read the Base Adresse Nationale's per-département CSV, keeping the territory's communes only.

The file is the one adresse.data.gouv.fr publishes (`adresses-62.csv`, or `.csv.gz` read as
it is): `;`-separated UTF-8 with a header row. Columns are found by name, so a column added
or dropped by a later release does not matter unless it is one this reader needs. Rows are
streamed and filtered on the INSEE code before anything else is parsed: a whole
département (over half a million rows) is read in bounded memory.
"""

from __future__ import annotations

import csv
import gzip
import math
import os
import zlib
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, TextIO

REQUIRED_COLUMNS = ("numero", "nom_voie", "code_insee", "lon", "lat")
# The BAN gives lieux-dits and streets without numbering a point numbered 0 or 99999.
NO_NUMBER = frozenset({0, 99999})


class BanError(ValueError):
    """A BAN file that cannot be read; the message names the file and the problem."""


class BanAddress(NamedTuple):
    """One address point: commune, street as the BAN spells it, number (None if it has none)."""

    insee: str
    street: str
    number: int | None
    suffix: str
    lon: float
    lat: float


@dataclass
class BanExtract:
    """The territory's address points, and what was read to find them."""

    addresses: list[BanAddress] = field(default_factory=list)
    rows: int = 0  # every data row of the file
    unplaced: int = 0  # rows of the territory's communes without a usable lon/lat
    # Each kept commune's name and postcodes as the BAN gives them (`nom_commune`,
    # `code_postal`), for a [[communes]] table that `territory build` adds.
    names: dict[str, str] = field(default_factory=dict)
    postcodes: dict[str, set[str]] = field(default_factory=dict)


def read_house_number(text: str) -> int | None:
    """The house number of a `numero` field; None when the BAN means "no number"."""
    try:
        number = int(text)
    except ValueError:
        return None
    return None if number in NO_NUMBER or number < 0 else number


@contextmanager
def _open_text(path: Path) -> Iterator[TextIO]:
    """The file as text, gunzipped on the fly when it is gzip (whatever its name says)."""
    with open(path, "rb") as raw:
        compressed = raw.read(2) == b"\x1f\x8b"
    # utf-8-sig: a byte-order mark must not become part of the first column's name.
    if compressed:
        with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as text:
            yield text
    else:
        with open(path, encoding="utf-8-sig", newline="") as text:
            yield text


def _columns(header: list[str], source: str) -> dict[str, int]:
    """Where each required column is, or a BanError naming those missing."""
    positions = {name.strip(): index for index, name in enumerate(header)}
    missing = [name for name in REQUIRED_COLUMNS if name not in positions]
    if missing:
        hint = ""
        if len(header) == 1 and "," in header[0]:
            hint = " (the BAN file is `;`-separated; this one looks `,`-separated)"
        if len(missing) == len(REQUIRED_COLUMNS):
            raise BanError(
                f"{source}: not a BAN CSV file: its first line names none of the columns "
                f"{', '.join(missing)}{hint}"
            )
        plural = "s" if len(missing) > 1 else ""
        raise BanError(
            f"{source}: missing column{plural} {', '.join(missing)} in the header row{hint}"
        )
    return positions


def read_addresses(path: str | os.PathLike[str], insee_codes: Collection[str]) -> BanExtract:
    """The address points of these communes in a BAN CSV (plain or gzip), in file order."""
    source = os.fspath(path)
    codes = frozenset(insee_codes)
    extract = BanExtract()
    try:
        with _open_text(Path(path)) as text:
            reader = csv.reader(text, delimiter=";")
            header = next(reader, None)
            if header is None:
                raise BanError(f"{source}: the file is empty (expected the BAN CSV header)")
            columns = _columns(header, source)
            i_number, i_street, i_insee, i_lon, i_lat = (columns[c] for c in REQUIRED_COLUMNS)
            i_suffix = columns.get("rep")
            i_name, i_postcode = columns.get("nom_commune"), columns.get("code_postal")
            width = max(i_number, i_street, i_insee, i_lon, i_lat, i_suffix or 0) + 1
            for row in reader:
                if not row:
                    continue
                extract.rows += 1
                if len(row) < width:
                    raise BanError(
                        f"{source}: line {reader.line_num}: {len(row)} fields, "
                        f"the header has {len(header)}"
                    )
                # The filter comes first: most rows of a département are other communes'.
                insee = row[i_insee]
                if insee not in codes:
                    continue
                if i_name is not None and insee not in extract.names and len(row) > i_name:
                    extract.names[insee] = row[i_name].strip()
                if i_postcode is not None and len(row) > i_postcode and row[i_postcode].strip():
                    extract.postcodes.setdefault(insee, set()).add(row[i_postcode].strip())
                try:
                    lon, lat = float(row[i_lon]), float(row[i_lat])
                except ValueError:
                    extract.unplaced += 1
                    continue
                if not (math.isfinite(lon) and math.isfinite(lat)):
                    extract.unplaced += 1
                    continue
                extract.addresses.append(
                    BanAddress(
                        insee=insee,
                        street=row[i_street].strip(),
                        number=read_house_number(row[i_number]),
                        suffix=row[i_suffix].strip() if i_suffix is not None else "",
                        lon=lon,
                        lat=lat,
                    )
                )
    except UnicodeDecodeError as exc:
        raise BanError(
            f"{source}: not UTF-8 text ({exc.reason}): is it the BAN CSV (adresses-NN.csv)?"
        ) from None
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise BanError(f"{source}: damaged gzip file ({exc or 'truncated'})") from None
    except csv.Error as exc:
        raise BanError(f"{source}: not a readable CSV file: {exc}") from None
    except OSError as exc:
        raise BanError(f"{source}: cannot read the file: {exc.strerror or exc}") from None
    return extract


__all__ = ["BanAddress", "BanError", "BanExtract", "read_addresses", "read_house_number"]
