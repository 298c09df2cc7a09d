"""Benchmark of the duplicate warning (issue 9): what the check costs a submission, at 1,000 and
at 100,000 stored referrals, on SQLite and on PostgreSQL.

Run with `make bench` (`BENCH_QUICK=1` for a smoke run; `BENCH_DUPLICATES_SIZES=1000,20000`
to choose the two sizes). Both databases are seeded by `flask dev seed`, whose children have
realistic birth dates (ages 2 to 16, a few outside), so the check's one query finds as many
children born the same day as a territory of that size would.

Submissions go through POST /demande, in rounds that alternate between the small and the
large database so both meet the same load on a shared machine. Two kinds:

- a new child (names and birth date drawn as the seed draws them): the usual case, where the
  check reads a few dozen children at most and writes nothing;
- a stored child again, written in capitals: the check writes a pair and flags two referrals.

Timed for each: the check itself (measured inside the
submission) and the whole request. Reported: the check's median time at each size, the ratio
large / small, and the check's share of a submission. The goals: the check stays a small part
of a submission (≤ 10 %) and grows little with the table (ratio ≤ 1.5), so it never becomes
"noticeable" however many referrals are stored.

Writes bench/out/bench_duplicates.json. No unit test depends on these timings.
"""

from __future__ import annotations

import json
import os
import random
import signal
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from bench_pages import OUT as PAGES_OUT  # noqa: E402
from bench_pages import (  # noqa: E402
    QUICK,
    Results,
    dispose,
    load,
    make_app,
    migrate,
    on_both_databases,
    seed,
    size_label,
)
from sqlalchemy import func, select  # noqa: E402

from intake.dev.words import FIRST_NAMES, LAST_NAMES  # noqa: E402
from intake.extensions import db  # noqa: E402
from intake.models import Child, DuplicatePair, Referral  # noqa: E402
from intake.public import operations  # noqa: E402
from intake.rules.retention import months_before  # noqa: E402
from intake.rules.workflow import FINAL  # noqa: E402
from tests.support.builders import child_fields, request_form  # noqa: E402

OUT = PAGES_OUT.with_name("bench_duplicates.json")
GOAL_ID = "DUP"


def sizes() -> tuple[int, int]:
    chosen = os.environ.get("BENCH_DUPLICATES_SIZES", "")
    if chosen:
        small, large = (int(part) for part in chosen.split(","))
        return small, large
    return (200, 2_000) if QUICK else (1_000, 100_000)


SMALL, LARGE = sizes()
ROUNDS = 12 if QUICK else 40
SHARE_GOAL = 0.10
RATIO_GOAL = 1.5
RNG = random.Random(2026)  # noqa: S311 - fictional data, reproducible on purpose


class DuplicateResults(Results):
    """bench_pages' results, written to a file of their own."""

    def write(self) -> None:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(self.records, indent=2, ensure_ascii=False) + "\n")
        OUT.with_name("bench_duplicates.notes.txt").write_text(
            "".join(f"{line}\n" for line in self.notes)
        )
        print(f"\nwritten: {OUT.relative_to(ROOT)}")


@dataclass
class Sized:
    """One database of the comparison and what was timed on it."""

    app: object
    count: int
    client: object = None
    again: list[dict[str, str]] = field(default_factory=list)
    check: dict[str, list[float]] = field(default_factory=lambda: {"new": [], "again": []})
    request: dict[str, list[float]] = field(default_factory=lambda: {"new": [], "again": []})


def new_child() -> dict[str, str]:
    """A child as the seed draws them: a first and a family name of its lists, an age of the
    programme's, so its birth date falls among the stored children's."""
    born = date.today() - timedelta(days=int(RNG.uniform(2, 16.99) * 365.25))
    return {
        "first_name": RNG.choice(FIRST_NAMES),
        "last_name": RNG.choice(LAST_NAMES),
        "birth_date": born.isoformat(),
    }


def stored_children(app, wanted: int) -> list[dict[str, str]]:
    """Children of open referrals of the last 24 months, as a second sender would write them
    (capitals): each submission of one finds it and stores a pair."""
    with app.app_context():
        rows = db.session.execute(
            select(Child.first_name, Child.last_name, Child.birth_date)
            .join(Referral, Child.referral_id == Referral.id)
            .where(Referral.status.not_in([s.value for s in FINAL]))
            .where(Referral.received_at >= months_before(datetime.now(UTC), 24))
            .order_by(Child.id)
        ).all()
    chosen = RNG.sample(rows, min(wanted, len(rows)))
    return [
        {"first_name": first.upper(), "last_name": last.upper(), "birth_date": born.isoformat()}
        for first, last, born in chosen
    ]


@contextmanager
def timed_check(spent: list[float]) -> Iterator[None]:
    """Time every duplicate check a submission runs, into `spent`."""
    real = operations.check_referral

    def timing(referral, now=None):
        start = time.perf_counter()
        try:
            return real(referral, now)
        finally:
            spent.append(time.perf_counter() - start)

    operations.check_referral = timing
    try:
        yield
    finally:
        operations.check_referral = real


def submit(sized: Sized, kind: str, child: dict[str, str], number: int) -> None:
    """POST /demande for `child`; its check and request times go to `sized`."""
    spent: list[float] = []
    data = request_form(**child_fields(0, **child), situation=f"Bench n° {number}")
    with timed_check(spent):
        start = time.perf_counter()
        response = sized.client.post("/demande", data=data)
        elapsed = time.perf_counter() - start
    if response.status_code != 303 or len(spent) != 1:
        raise RuntimeError(f"POST /demande answered {response.status_code}, {len(spent)} checks")
    sized.check[kind].append(spent[0])
    sized.request[kind].append(elapsed)


def measure(small: Sized, large: Sized) -> None:
    """Rounds alternating between the databases: a new child, then a stored child again, on
    each. The first round warms up and is dropped."""
    for sized in (small, large):
        sized.client = sized.app.test_client()
        sized.again = stored_children(sized.app, ROUNDS + 1)
    number = 0
    for round_ in range(ROUNDS + 1):
        child = new_child()
        for sized in (small, large):
            number += 1
            submit(sized, "new", child, number)
            if round_ < len(sized.again):
                number += 1
                submit(sized, "again", sized.again[round_], number)
    for sized in (small, large):
        for times in (*sized.check.values(), *sized.request.values()):
            del times[:1]


def pairs_stored(sized: Sized) -> int:
    with sized.app.app_context():
        return db.session.scalar(select(func.count()).select_from(DuplicatePair))


def median(times: list[float]) -> float | None:
    return statistics.median(times) if times else None


def report(small: Sized, large: Sized, results: DuplicateResults, database: str) -> None:
    ms = 1e3
    labels = {"new": "a new child", "again": "a stored child again (a pair written)"}
    for kind, label in labels.items():
        checks = [median(sized.check[kind]) for sized in (small, large)]
        for sized, value in zip((small, large), checks, strict=True):
            results.add(
                GOAL_ID,
                database,
                f"check, {label}, {size_label(sized.count)} referrals (median)",
                None if value is None else value * ms,
                "ms",
            )
        if None not in checks:
            ratio = checks[1] / checks[0]
            results.add(
                GOAL_ID,
                database,
                f"check, {label}: {size_label(large.count)} / {size_label(small.count)}",
                ratio,
                "ratio",
                f"≤ {RATIO_GOAL}" if kind == "new" else "",
                ratio <= RATIO_GOAL if kind == "new" else None,
            )
    for sized in (small, large):
        requests = sized.request["new"]
        if not requests:
            continue
        request = statistics.median(requests)
        results.add(
            GOAL_ID,
            database,
            f"POST /demande, a new child, {size_label(sized.count)} referrals (median)",
            request * ms,
            "ms",
        )
        share = statistics.median(sized.check["new"]) / request
        results.add(
            GOAL_ID,
            database,
            f"check's share of a submission, {size_label(sized.count)} referrals",
            share * 100,
            "%",
            f"≤ {SHARE_GOAL:.0%}",
            share <= SHARE_GOAL,
        )


def prepared(url: str, count: int, results: DuplicateResults, database: str):
    migrate(url)
    seconds = seed(url, count)
    print(f"  seeded {count:,} referrals on {database} in {seconds:.1f} s")
    results.note(f"{database} {size_label(count)}: load average {load()} before timing")
    app = make_app(url)
    with app.app_context():
        stored = db.session.scalar(select(func.count()).select_from(Referral))
        children = db.session.scalar(select(func.count()).select_from(Child))
    results.note(f"{database} {size_label(count)}: {stored:,} referrals, {children:,} children")
    return Sized(app, stored)


def run_database(database: str, new_database, results: DuplicateResults) -> None:
    print(f"\n== {database}: {SMALL:,} and {LARGE:,} referrals ==")
    with new_database("small") as small_url, new_database("large") as large_url:
        small = prepared(small_url, SMALL, results, database)
        large = prepared(large_url, LARGE, results, database)
        try:
            measure(small, large)
            for sized in (small, large):
                found = pairs_stored(sized)
                # Every stored child sent again must have been found: else the figures time
                # a check that does not work.
                if found < len(sized.check["again"]):
                    raise RuntimeError(
                        f"{found} pairs stored for {len(sized.check['again'])} children sent again"
                    )
        finally:
            report(small, large, results, database)
            dispose(small.app)
            dispose(large.app)


def main() -> None:
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    results = DuplicateResults()
    if QUICK:
        results.note(f"BENCH_QUICK: {SMALL} and {LARGE} referrals, {ROUNDS} rounds")
    elif (SMALL, LARGE) != (1_000, 100_000):
        results.note(f"BENCH_DUPLICATES_SIZES: {SMALL} and {LARGE} referrals, {ROUNDS} rounds")
    on_both_databases("bench_duplicates_", GOAL_ID, run_database, results)


if __name__ == "__main__":
    main()
