"""Benchmarks: what a submission costs, and how screening scales with the territory.

Run with `make bench`. Reports ratios measured in one run on this machine, so they compare
like with like whatever the machine's speed; no unit test depends on timings.
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from flask_migrate import upgrade  # noqa: E402

from intake import create_app  # noqa: E402
from intake.rules.screening import screen  # noqa: E402
from intake.territory.model import Street  # noqa: E402
from intake.territory.reader import load_territory  # noqa: E402
from tests.support.builders import request_form  # noqa: E402

TERRITORY = load_territory(ROOT / "tests" / "territory.toml")


def best_of(func, repeat: int = 5, number: int = 200) -> float:
    """The best mean time of one call, in seconds, over `repeat` rounds of `number` calls."""
    rounds = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            func()
        rounds.append((time.perf_counter() - start) / number)
    return min(rounds)


def with_streets(count: int):
    """The test territory with its QPV holding `count` streets."""
    qpv = TERRITORY.qpvs[0]
    streets = tuple(Street(name=f"rue numéro {n}") for n in range(count))
    return dataclasses.replace(TERRITORY, qpvs=(dataclasses.replace(qpv, streets=streets),))


def screening_time(territory) -> float:
    """Seconds to screen one child living outside the QPV (the whole street list is read)."""
    return best_of(
        lambda: screen(
            birth_date=date(2016, 5, 4),
            school="0629003C",
            address="5 rue du Moulin",
            postcode="62999",
            territory=territory,
            today=date(2026, 11, 27),
        )
    )


def submission_times() -> tuple[float, float]:
    """Seconds for GET /demande and for a stored POST /demande, on SQLite."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "bench",
                "WTF_CSRF_ENABLED": False,
                "RATELIMIT_ENABLED": False,
                "INTAKE_TERRITORY": str(ROOT / "tests" / "territory.toml"),
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3",
                # One INFO line per stored referral would bury the figures.
                "INTAKE_LOG_LEVEL": "WARNING",
            }
        )
        with app.app_context():
            upgrade()
        client = app.test_client()
        counter = iter(range(10**9))
        get = best_of(lambda: client.get("/demande"), repeat=3, number=50)
        post = best_of(
            lambda: client.post("/demande", data=request_form(situation=f"n° {next(counter)}")),
            repeat=3,
            number=50,
        )
    return get, post


def main() -> None:
    """Print the measurements and their ratios."""
    small, large = screening_time(with_streets(10)), screening_time(with_streets(1000))
    get, post = submission_times()
    print(f"screening, 10 QPV streets:     {small * 1e6:8.1f} µs")
    print(f"screening, 1000 QPV streets:   {large * 1e6:8.1f} µs   ratio {large / small:5.1f}×")
    print(f"GET /demande:                  {get * 1e3:8.2f} ms")
    print(f"POST /demande (stored):        {post * 1e3:8.2f} ms   ratio to GET {post / get:5.1f}×")
    print(f"screening share of a POST:     {small / post:8.2%}")


if __name__ == "__main__":
    main()
