"""Benchmark: `territory import-addresses` on a whole département's BAN file.

Run with `make bench`. Writes a 600,000-row file in the BAN's format, gzipped as downloaded
(most rows in other communes, some thousands in Lillers around the real QPV contour), then
imports it in a fresh process and reports its time and peak memory (the process's maximum
resident set), next to a bare `csv.reader` pass over the same file measured in the same run.
Goal on the reference machine: under 20 s and under 200 MB.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
ROWS = 600_000
LILLERS_STREETS, NUMBERS_PER_STREET = 160, 50  # 8,000 addresses in Lillers
GOAL_SECONDS, GOAL_MB = 20, 200
sys.path.insert(0, str(DATA))

from make_ban_fixture import HEADER  # noqa: E402 - the official header, kept in one place


def row(insee: str, street: str, fantoir: str, numero: int, lon: float, lat: float) -> list:
    """One BAN row; x and y (Lambert-93) are not read by the import, so left empty."""
    return [
        f"{insee}_{fantoir}_{numero:05d}",
        f"{insee}_{fantoir}",
        numero,
        "bis" if numero % 17 == 0 else "",
        street,
        "62190" if insee == "62516" else "62000",
        insee,
        "Lillers" if insee == "62516" else f"Commune {insee}",
        "",
        "",
        "",
        "",
        f"{lon:.6f}",
        f"{lat:.6f}",
        "entrée",
        "",
        "",
        "LILLERS" if insee == "62516" else f"COMMUNE {insee}",
        street.upper(),
        "commune",
        "commune",
        "1",
        f"{insee}000AB{numero:04d}",
    ]


def write_departement(path: Path) -> int:
    """The département file; returns how many of its rows are in Lillers."""
    generator = random.Random(62)  # noqa: S311 - made-up data, not a secret
    lillers: list[list] = []
    # Lillers: streets as short segments across the contour's surroundings, numbered along them.
    for index in range(LILLERS_STREETS):
        lon = generator.uniform(2.462, 2.496)
        lat = generator.uniform(50.553, 50.576)
        angle = generator.uniform(0, math.pi)
        for numero in range(1, NUMBERS_PER_STREET + 1):
            # Odd numbers on one side, even on the other, 12 m apart along the street.
            along = (numero // 2) * 0.00012
            side = 0.00008 if numero % 2 else -0.00008
            lillers.append(
                row(
                    "62516",
                    f"Rue numéro {index}",
                    f"{index:04d}",
                    numero,
                    lon + along * math.cos(angle) - side * math.sin(angle),
                    lat + along * math.sin(angle) + side * math.cos(angle),
                )
            )
    others = ROWS - len(lillers)
    with gzip.open(path, "wt", encoding="utf-8", newline="", compresslevel=1) as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\n")
        writer.writerow(HEADER)
        communes = [f"62{n:03d}" for n in range(1, 900) if n != 516]
        written_lillers = 0
        for index in range(others):
            # Lillers' rows sit among the others, as the real file sorts by commune code.
            if index == others // 2:
                writer.writerows(lillers)
                written_lillers = len(lillers)
            insee = communes[index // 700 % len(communes)]
            writer.writerow(
                row(insee, f"Rue {index % 97}", f"{index % 97:04d}", index % 700 + 1, 2.3, 50.4)
            )
    return written_lillers


def territory_copy(folder: Path) -> Path:
    path = folder / "territory.toml"
    path.write_bytes((DATA / "lillers.toml").read_bytes())
    return path


def measure(territory: str, ban: str, contours: str, mode: str) -> None:
    """In a fresh process: run one thing, print its time and peak memory as JSON."""
    sys.path.insert(0, str(ROOT))
    from intake.opendata.addresses_command import import_addresses
    from intake.opendata.territory_file import write_text

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    if mode == "import":
        result = import_addresses(territory, ban, contours)
        write_text(territory, result.after)
        detail = {
            "kept": result.kept,
            "rows": result.rows,
            "streets": sum(len(q.streets.streets) for q in result.qpvs),
        }
    else:
        with gzip.open(ban, "rt", encoding="utf-8", newline="") as text:
            detail = {"rows": sum(1 for _ in csv.reader(text, delimiter=";")) - 1}
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"seconds": seconds, "peak_kib": peak, "baseline_kib": baseline, **detail}))


def run_measure(territory: Path, ban: Path, mode: str) -> dict:
    contours = DATA / "qpv-2024-lillers-bethune.geojson"
    command = [sys.executable, __file__, "--measure", str(territory), str(ban), str(contours)]
    # This very script, in a fresh process, so that its peak memory is the import's alone.
    done = subprocess.run(  # noqa: S603
        [*command, mode], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def main() -> None:
    """Write the file, measure the bare pass and the import, print them and their ratio."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        ban = folder / "adresses-62.csv.gz"
        lillers = write_departement(ban)
        size = ban.stat().st_size / 2**20
        bare = run_measure(territory_copy(folder), ban, "bare")
        done = run_measure(territory_copy(folder), ban, "import")
    assert done["rows"] == bare["rows"] == ROWS and done["kept"] == lillers
    mib = done["peak_kib"] / 1024
    print(f"BAN file: {ROWS:,} rows ({lillers:,} in Lillers), gzip {size:.1f} MB")
    print(f"bare csv.reader pass:          {bare['seconds']:6.2f} s")
    print(
        f"import-addresses --write:      {done['seconds']:6.2f} s   "
        f"ratio to the bare pass {done['seconds'] / bare['seconds']:4.1f}×   "
        f"{done['streets']} streets written"
    )
    print(
        f"peak memory of the import:     {mib:6.0f} MB   "
        f"(process after imports {done['baseline_kib'] / 1024:.0f} MB)"
    )
    within = done["seconds"] < GOAL_SECONDS and mib < GOAL_MB
    print(f"goal (< {GOAL_SECONDS} s, < {GOAL_MB} MB): {'met' if within else 'MISSED'}")


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--measure":
        measure(*sys.argv[2:])
    else:
        main()
