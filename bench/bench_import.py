"""Benchmark: `territory import-addresses` and `territory build` on a whole département.

Run with `make bench`. Writes a 600,000-row file in the BAN's format, gzipped as downloaded
(most rows in other communes, some thousands in Lillers around the real QPV contour), then
imports it in a fresh process and reports its time and peak memory (the process's maximum
resident set), next to a bare `csv.reader` pass over the same file measured in the same run.
Then `territory build` in a fresh process: the same file, the contours and a school directory
downloaded from a loopback HTTP server (run by this script, outside the measured process),
cached, then imported. Goals on the reference machine: the import under 20 s and 200 MB; the
build within 1.5× of the import alone and under 200 MB.
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
OUT = ROOT / "bench" / "out"
DATA = ROOT / "tests" / "data"
ROWS = 600_000
LILLERS_STREETS, NUMBERS_PER_STREET = 160, 50  # 8,000 addresses in Lillers
GOAL_SECONDS, GOAL_MB = 20, 200
GOAL_BUILD_RATIO = 1.5
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


def build(territory: str, base_url: str) -> dict:
    """`territory build --commune 62516 --write`, its files downloaded from `base_url`."""
    from intake.opendata.build import Downloader, Given, build_territory, obtain
    from intake.opendata.territory_file import write_text
    from intake.rules.clock import today

    cache = Path(territory).parent / "cache"
    downloader = Downloader(
        cache=cache,
        urls={
            "ban": base_url + "/adresses-{departement}.csv.gz",
            "qpv": base_url + "/qpv.geojson",
            "schools": base_url + "/annuaire-{insee}.csv",
        },
    )
    files = obtain(["62516"], Given(), downloader)
    result = build_territory(Path(territory), ["62516"], *files, today=today())
    write_text(territory, result.after)
    return {
        "kept": len(result.extract.addresses),
        "rows": result.extract.rows,
        "streets": sum(len(q.streets.streets) for q in result.qpvs),
        "schools": len(result.schools),
    }


def measure(territory: str, ban: str, contours: str, mode: str) -> None:
    """In a fresh process: run one thing, print its time and peak memory as JSON."""
    sys.path.insert(0, str(ROOT))
    from intake.opendata.addresses_command import import_addresses
    from intake.opendata.territory_file import write_text

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    if mode == "build":
        detail = build(territory, ban)  # `ban` is the server's address here
    elif mode == "import":
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
        built = measure_build(folder, ban)
    assert done["rows"] == bare["rows"] == ROWS and done["kept"] == lillers
    assert built["rows"] == ROWS and built["kept"] == lillers
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
    ratio = built["seconds"] / done["seconds"]
    built_mib = built["peak_kib"] / 1024
    print(
        f"territory build --write:       {built['seconds']:6.2f} s   "
        f"ratio to the import {ratio:4.2f}×   peak {built_mib:.0f} MB   "
        f"({built['streets']} streets, {built['schools']} schools; downloads from loopback)"
    )
    met = ratio <= GOAL_BUILD_RATIO and built_mib < GOAL_MB
    print(f"goal (≤ {GOAL_BUILD_RATIO}× the import, < {GOAL_MB} MB): {'met' if met else 'MISSED'}")
    OUT.mkdir(exist_ok=True)
    figures = [
        (
            "import-addresses --write, 600,000-row BAN file: ratio to a bare csv.reader pass",
            done["seconds"] / bare["seconds"],
            "ratio",
            "",
            None,
        ),
        (
            "import-addresses --write: seconds",
            done["seconds"],
            "s",
            f"< {GOAL_SECONDS} s",
            done["seconds"] < GOAL_SECONDS,
        ),
        ("import-addresses --write: peak memory", mib, "MB", f"< {GOAL_MB} MB", mib < GOAL_MB),
        (
            "territory build --write (downloads from loopback): ratio to the import alone",
            ratio,
            "ratio",
            f"≤ {GOAL_BUILD_RATIO}×",
            ratio <= GOAL_BUILD_RATIO,
        ),
        (
            "territory build --write: peak memory",
            built_mib,
            "MB",
            f"< {GOAL_MB} MB",
            built_mib < GOAL_MB,
        ),
    ]
    records = [
        {
            "id": "TERRITORY",
            "database": "",
            "measure": measure,
            "value": value,
            "unit": unit,
            "goal": goal,
            "met": met,
        }
        for measure, value, unit, goal, met in figures
    ]
    (OUT / "import.json").write_text(json.dumps(records, indent=1))


def measure_build(folder: Path, ban: Path) -> dict:
    """Serve the files from a loopback HTTP server in this process; build in a fresh one."""
    sys.path.insert(0, str(ROOT))
    from tests.support.opendata_server import serving_files

    schools = (DATA / "fr-en-annuaire-education.csv").read_bytes()
    files = {
        "/adresses-62.csv.gz": ban.read_bytes(),
        "/qpv.geojson": (DATA / "qpv-2024-lillers-bethune.geojson").read_bytes(),
        "/annuaire-62516.csv": schools,
    }
    (folder / "build").mkdir()
    territory = territory_copy(folder / "build")
    with serving_files(files) as server:
        base = server.url("")
        command = [sys.executable, __file__, "--measure", str(territory), base, "-", "build"]
        done = subprocess.run(  # noqa: S603
            command, capture_output=True, text=True, check=True
        )
    return json.loads(done.stdout)


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--measure":
        measure(*sys.argv[2:])
    else:
        main()
