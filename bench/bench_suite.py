"""How long `make test` takes on a fresh clone, this commit against an older one, in one run.

Each commit is cloned into a temporary folder and its `make test` is run from nothing (the
virtualenv included), one after the other on the same machine, so the ratio says what the
change bought whatever the machine's speed. The machine's load is read before each run: a
figure taken on a busy machine says so.

    python bench/bench_suite.py [--base COMMIT] [--head COMMIT]

Writes bench/out/suite.json; `make bench-suite` runs it against the commit before issue 22.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "suite.json"
# The last commit before the suite was split by package and run on every CPU (issue 22).
BEFORE_ISSUE_22 = "44237a2"
SUMMARY = re.compile(r"(\d+) passed(?:, (\d+) skipped)?")


def run_suite(commit: str, directory: Path) -> dict:
    """Clone `commit` into `directory`, run its `make test`, and say how long it took."""
    # Our own git and make, with our own arguments.
    git = ["git", "-C", str(directory)]
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(directory)], check=True)  # noqa: S603, S607
    subprocess.run([*git, "checkout", "--quiet", commit], check=True)  # noqa: S603
    load = os.getloadavg()[0]
    started = time.monotonic()
    result = subprocess.run(  # noqa: S603
        ["make", "test", "PYTEST_ARGS=-q"],  # noqa: S607
        cwd=directory,
        capture_output=True,
        text=True,
        env={**os.environ, "TEST_DATABASE_URL": ""},
    )
    seconds = time.monotonic() - started
    found = SUMMARY.findall(result.stdout)
    passed, skipped = (int(found[-1][0]), int(found[-1][1] or 0)) if found else (0, 0)
    return {
        "commit": commit,
        "seconds": round(seconds, 1),
        "passed": passed,
        "skipped": skipped,
        "exit_code": result.returncode,
        "load_before": round(load, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default=BEFORE_ISSUE_22)
    parser.add_argument("--head", default="HEAD")
    args = parser.parse_args()
    head = subprocess.run(  # noqa: S603
        ["git", "-C", str(ROOT), "rev-parse", "--short", args.head],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    runs = {}
    with tempfile.TemporaryDirectory() as work:
        for name, commit in (("before", args.base), ("after", head)):
            runs[name] = run_suite(commit, Path(work) / name)
            print(f"{name} ({commit}): {runs[name]}", flush=True)
    runs["ratio"] = round(runs["after"]["seconds"] / runs["before"]["seconds"], 2)
    runs["cpus"] = os.cpu_count()
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(runs, indent=2) + "\n")
    print(f"make test on a fresh clone: after/before = {runs['ratio']}×")
    if any(runs[name]["exit_code"] for name in ("before", "after")):
        sys.exit("a suite failed: see the exit codes above")


if __name__ == "__main__":
    main()
