"""Benchmarks P2 and P5 of "fast at 100,000 referrals": staff pages and the outbox drain.

Run with `make bench` (or `BENCH_QUICK=1 .venv/bin/python bench/bench_pages.py` for a smoke
run). Each figure is measured in this one run, on SQLite and on PostgreSQL:

- P2: every staff page on a database of 1,000 referrals and on one of 100,000, both seeded by
  `flask dev seed`; the goal is a ratio (100k / 1k ≤ 1.3), so the machine's speed cancels out.
  The CSV export is measured by its time to first byte (same goal) and its rows per second.
- P5: 1,000 e-mails queued as the app queues them, delivered by `deliver_due` to a local SMTP
  server; messages per second.

Prints a table as it goes and writes bench/out/bench_pages.json (one object per figure).
No unit test depends on these timings.
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from markupsafe import escape  # noqa: E402
from sqlalchemy import create_engine, delete, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from intake import create_app  # noqa: E402
from intake.auth.operations import create_user  # noqa: E402
from intake.extensions import db  # noqa: E402
from intake.models import Child, OutboxMessage, Referral  # noqa: E402
from intake.rules.clock import today  # noqa: E402
from intake.rules.search import normalise  # noqa: E402
from intake.rules.statistics import current_school_year  # noqa: E402

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
SMALL, LARGE = (200, 2_000) if QUICK else (1_000, 100_000)
PAGE_ROUNDS = 3 if QUICK else 7
EXPORT_ROUNDS = 2 if QUICK else 3
OUTBOX_MESSAGES = 100 if QUICK else 1_000
SEED = 2026
POSTGRES_URL = os.environ.get(
    "BENCH_DATABASE_URL",
    os.environ.get("TEST_DATABASE_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/test",
)
TERRITORY = ROOT / "tests" / "territory.toml"
OUT = ROOT / "bench" / "out" / "bench_pages.json"
PASSWORD = "bench password, long enough"  # noqa: S105 - a throwaway account on a scratch database
COORDINATOR = "bench-coordinator@testville.example"
# A second référent, so that "assigned to me" selects about half of the cases looked at.
COLLEAGUE = "bench-colleague@testville.example"

RATIO_GOAL = 1.3
# The statistics page and the ANCT workbook (issue 26): under a second in-process at 100k.
FIGURES = ("statistics page", "ANCT workbook")
FIGURES_GOAL_MS = 1000
EXPORT_RATE_GOAL = 20_000
OUTBOX_RATE_GOAL = 100

BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "bench",
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    # One INFO line per request or delivery would bury the figures.
    "INTAKE_LOG_LEVEL": "WARNING",
    "INTAKE_TERRITORY": str(TERRITORY),
    "INTAKE_BASE_URL": "https://pre.testville.example",
    "INTAKE_NOTIFY": "",
    # A cheap hash: the bench logs in once per database, and measures pages, not hashing.
    "INTAKE_PASSWORD_METHOD": "pbkdf2:sha256:1000",
    "MAIL_DEFAULT_SENDER": "pre@testville.example",
    # Nothing is sent unless P5 points the app at its own SMTP server.
    "MAIL_SERVER": "127.0.0.1",
    "MAIL_PORT": 9,
    "MAIL_SUPPRESS_SEND": False,
}


# --- Results ----------------------------------------------------------------------------------


@dataclass
class Results:
    """Every figure of the run, printed as it comes and written to bench/out at the end."""

    records: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(
        self,
        goal_id: str,
        database: str,
        measure: str,
        value: float | None,
        unit: str,
        goal: str = "",
        met: bool | None = None,
    ) -> None:
        self.records.append(
            {
                "id": goal_id,
                "database": database,
                "measure": measure,
                "value": None if value is None else round(value, 3),
                "unit": unit,
                "goal": goal,
                "met": met,
            }
        )
        shown = "FAILED" if value is None else f"{value:12.2f} {unit}"
        verdict = {True: "met", False: "NOT MET", None: ""}[met]
        print(f"  {goal_id} {database:<10} {measure:<62} {shown:<20} {goal:<12} {verdict}")

    def note(self, text_: str) -> None:
        """Something the reader must know about this run (a fallback, a skipped figure)."""
        self.notes.append(text_)
        print(f"  NOTE: {text_}")

    def failure(self, goal_id: str, database: str, measure: str, why: str) -> None:
        """A figure that could not be measured (a non-200, a wrong count): loud, not timed."""
        print(f"\n  !!! FAILURE {goal_id} {database}: {measure}: {why}\n", file=sys.stderr)
        self.note(f"{goal_id} {database}: {measure}: {why}")
        self.add(goal_id, database, measure, None, "", "", False)

    def write(self) -> None:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(self.records, indent=2, ensure_ascii=False) + "\n")
        notes = OUT.with_name("bench_pages.notes.txt")
        notes.write_text("".join(f"{line}\n" for line in self.notes))
        print(f"\nwritten: {OUT.relative_to(ROOT)}")


def ratio_met(ratio: float) -> bool:
    return ratio <= RATIO_GOAL


def size_label(count: int) -> str:
    return f"{count // 1000}k" if count >= 1000 and count % 1000 == 0 else str(count)


# --- Databases --------------------------------------------------------------------------------


@contextmanager
def sqlite_database(folder: Path, name: str) -> Iterator[str]:
    path = folder / f"{name}.sqlite3"
    try:
        yield f"sqlite:///{path}"
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextmanager
def postgresql_database() -> Iterator[str]:
    """A scratch database of its own on the PostgreSQL server, dropped at the end."""
    name = f"bench_{secrets.token_hex(6)}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def load() -> str:
    """The 1-minute load average against the CPU count, as in "3.2 on 2 CPUs"."""
    return f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"


def make_app(url: str, **overrides):
    return create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url, **overrides})


def dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def migrate(url: str) -> None:
    app = make_app(url)
    with app.app_context():
        upgrade()
    dispose(app)


def cli_env(url: str) -> dict[str, str]:
    """The environment for `flask --app wsgi …` on this database (config from FLASK_*)."""
    return {
        **os.environ,
        "FLASK_SQLALCHEMY_DATABASE_URI": url,
        "FLASK_SECRET_KEY": "bench",
        "FLASK_INTAKE_TERRITORY": str(TERRITORY),
        "FLASK_INTAKE_LOG_LEVEL": "WARNING",
    }


def flask_command(url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=cli_env(url),
        capture_output=True,
        text=True,
        check=check,
    )


def seed(url: str, count: int) -> float:
    """Fill the migrated database at `url` with `count` referrals by `flask dev seed`;
    returns the seconds taken."""
    start = time.perf_counter()
    done = flask_command(
        url, "dev", "seed", "--count", str(count), "--seed", str(SEED), check=False
    )
    if done.returncode != 0:
        # The traceback's last line says why; the whole of it stays on stderr for a reader.
        print(done.stderr, file=sys.stderr)
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"flask dev seed --count {count} failed: {last[:300]}")
    return time.perf_counter() - start


def add_coordinator(app) -> None:
    with app.app_context():
        create_user(COORDINATOR, PASSWORD, "coordinator")
        create_user(COLLEAGUE, PASSWORD, "coordinator")
        db.session.commit()


# --- P2: pages --------------------------------------------------------------------------------


def cursor_of(referral: Referral) -> str:
    """The queue's keyset cursor of a row: received_at in integer µs since the epoch, and id."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return f"{(referral.received_at - epoch) // timedelta(microseconds=1)}.{referral.id}"


def row_at(offset: int, with_phone: bool = False) -> Referral:
    query = select(Referral).order_by(Referral.received_at.desc(), Referral.id.desc())
    if with_phone:
        query = query.where(Referral.guardian_phone.is_not(None))
    return db.session.scalars(query.offset(offset).limit(1)).one()


@dataclass
class Probe:
    """One page to time: its name in the table, its URL, and what its body must contain."""

    measure: str
    url: str
    expect: str | None = None


def search_terms(app) -> tuple[str, str, str]:
    """A family name present in the seed, and an accented first name (as stored, and as
    typed without accents): the most frequent ones, so both databases have them."""
    with app.app_context():
        query = select(Child.last_name, func.count()).group_by(Child.last_name)
        ranked = query.order_by(func.count().desc(), Child.last_name)
        family = db.session.execute(ranked.limit(1)).one()[0]
        firsts = db.session.execute(
            select(Child.first_name, func.count()).group_by(Child.first_name)
        )
        accented = sorted(
            ((n, name) for name, n in firsts if not name.isascii() and normalise(name).isascii()),
            reverse=True,
        )
    first = accented[0][1] if accented else "Inès"
    return family, first, normalise(first)


def probes(app, count: int, family: str, first: str, typed: str) -> tuple[list[Probe], str]:
    """The pages of P2 on this database; also says how the deep page is reached."""
    client = app.test_client()
    keyset = False
    with app.app_context():
        page_size = app.config["INTAKE_PAGE_SIZE"]
        deep_offset = int(count * 0.9)
        middle = row_at(count // 2, with_phone=True)
        if login(client).status_code == 303:
            keyset = "older=" in client.get("/triage/").get_data(as_text=True)
        if keyset:
            cursor_row, first_row = row_at(deep_offset), row_at(deep_offset + 1)
            deep = Probe(
                "queue, deep page (~90 %, older= cursor)",
                f"/triage/?older={cursor_of(cursor_row)}",
                first_row.reference,
            )
            how = "older= cursor"
        else:
            page = deep_offset // page_size + 1
            first_row = row_at((page - 1) * page_size)
            deep = Probe(
                "queue, deep page (~90 %, page=N: no keyset yet)",
                f"/triage/?page={page}",
                first_row.reference,
            )
            how = f"page={page} (the queue shows no older= link yet)"
        pages = [
            Probe("queue, page 1", "/triage/", row_at(0).reference),
            Probe("queue, status=new", "/triage/?status=new"),
            Probe("queue, status=in_review", "/triage/?status=in_review"),
            Probe("queue, eligibility=eligible", "/triage/?eligibility=eligible"),
            Probe("queue, agreement=missing", "/triage/?agreement=missing"),
            Probe("queue, agreement=received", "/triage/?agreement=received"),
            # These find one referral (or a handful) at any size, so they show the search
            # itself; the two below find a share of the table, whose cost grows with it.
            Probe(
                "queue, search a phone number as typed (one referral)",
                f"/triage/?{urllib.parse.urlencode({'q': spaced_phone(middle.guardian_phone)})}",
                middle.reference,
            ),
            Probe(
                "queue, search a child's full name without accents",
                f"/triage/?{urllib.parse.urlencode({'q': plain_name(middle.children[0])})}",
                middle.reference,
            ),
            Probe(
                "queue, search the commonest family name",
                f"/triage/?{urllib.parse.urlencode({'q': family})}",
                family,
            ),
            Probe(
                "queue, search the commonest accented first name typed plain",
                f"/triage/?{urllib.parse.urlencode({'q': typed})}",
                first,
            ),
            # The workspace's filters and sorts (issue 9), each read from its own index.
            Probe("queue, source=parent", "/triage/?source=parent"),
            Probe("queue, urgent=1", "/triage/?urgent=1"),
            Probe("queue, assigned=me", "/triage/?assigned=me"),
            Probe("queue, assigned=nobody", "/triage/?assigned=nobody"),
            Probe("queue, duplicate=1", "/triage/?duplicate=1"),
            Probe("queue, school= the commonest school", f"/triage/?school={commonest_school()}"),
            # Issue 27's filters: two index-backed flags, and a language spoken at home (its
            # speakers listed by ix_referral_language_code): Tamil by about one family in 65
            # of the seed's, Wolof by none.
            Probe("queue, interpreter=1", "/triage/?interpreter=1"),
            Probe("queue, uncertain=1", "/triage/?uncertain=1"),
            Probe("queue, language=ta (about 1.5 %)", "/triage/?language=ta"),
            Probe("queue, language=wo (spoken by none)", "/triage/?language=wo"),
            Probe("queue, sort=urgency", "/triage/?sort=urgency"),
            Probe("queue, sort=waiting", "/triage/?sort=waiting"),
            deep,
            Probe("referral detail page", f"/triage/{middle.reference}", middle.reference),
            # The programme's figures (issue 26) for the last whole school year, as a
            # coordinator reads them again (the figures kept while the data are unchanged);
            # counted afresh below.
            Probe("statistics page, last school year", statistics_url()),
            Probe("ANCT workbook, last school year", anct_url()),
        ]
    return pages, how


def last_school_year() -> int:
    """The school year before the current one: the last whole year of the seed's three."""
    return current_school_year(today()).start.year - 1


def statistics_url() -> str:
    return f"/triage/statistiques?annee={last_school_year()}"


def anct_url() -> str:
    return f"/triage/statistiques/anct.xlsx?annee={last_school_year()}"


def afresh(sized: Sized, url: str) -> None:
    """GET `url` with no figures kept: what the first coordinator to look after a change
    waits for."""
    sized.app.extensions.pop("statistics_counts", None)
    get_ok(sized.client, url)


def commonest_school() -> str:
    """The territory school most children of the seed attend."""
    query = select(Child.school).where(Child.school != "other").group_by(Child.school)
    return db.session.scalar(query.order_by(func.count().desc(), Child.school).limit(1)) or ""


def spaced_phone(e164: str | None) -> str:
    """A stored +33 number as people type it: "06 12 34 56 78"."""
    digits = "0" + (e164 or "+33000000000")[3:]
    return " ".join(digits[i : i + 2] for i in range(0, 10, 2))


def plain_name(child) -> str:
    """A child's first and last name, lower case, without accents."""
    return normalise(f"{child.first_name} {child.last_name}")


def login(client):
    return client.post("/connexion", data={"email": COORDINATOR, "password": PASSWORD})


class BadResponse(Exception):
    pass


def get_ok(client, url: str) -> str:
    """GET `url`; anything but a 200 is a failure."""
    response = client.get(url)
    if response.status_code != 200:
        raise BadResponse(f"GET {url} answered {response.status_code}")
    # A workbook is bytes, not text: read as far as a page is.
    return response.get_data().decode("utf-8", "replace")


def shows(page: str, expect: str) -> bool:
    """Whether the page's results (past the filter form, which echoes the search) show
    `expect`."""
    results = page[page.find("<tbody") :] if "<tbody" in page else page
    return str(escape(expect)) in results


def rows_listed(page: str) -> int:
    """How many referrals a queue page lists (its table's body rows)."""
    return page[page.find("<tbody") :].count("<tr") if "<tbody" in page else 0


def first_byte(client) -> None:
    response = client.get("/triage/export.csv", buffered=False)
    try:
        if response.status_code != 200:
            raise BadResponse(f"GET /triage/export.csv answered {response.status_code}")
        next(iter(response.response))
    finally:
        response.close()


def export_rows(client) -> int:
    response = client.get("/triage/export.csv")
    if response.status_code != 200:
        raise BadResponse(f"GET /triage/export.csv answered {response.status_code}")
    return sum(1 for _ in csv.reader(io.StringIO(response.get_data(as_text=True)))) - 1


def interleaved(funcs: list[Callable[[], None]], rounds: int, budget: float = 10.0) -> list[float]:
    """The best time of each function, in seconds, measured in alternation: a round calls each
    once, so the small and the large database meet the same load on a shared machine. The
    first round warms up; timing stops after `rounds` more, or once a function has used
    `budget` seconds (one far slower than the budget is measured once, cold)."""
    times: list[list[float]] = [[] for _ in funcs]
    while len(times[0]) <= rounds and max(sum(t) for t in times) < budget:
        for call, spent in zip(funcs, times, strict=True):
            start = time.perf_counter()
            call()
            spent.append(time.perf_counter() - start)
    return [min(t[1:]) if len(t) > 1 else t[0] for t in times]


@dataclass
class Sized:
    """One database of the comparison: its app, its size, a logged-in client, its pages."""

    app: object
    count: int
    client: object = None
    pages: list[Probe] = field(default_factory=list)
    times: dict[str, float | None] = field(default_factory=dict)
    # How many referrals each page listed: a search shows more rows on the larger database,
    # and rendering them is part of what its ratio measures.
    rows: dict[str, int] = field(default_factory=dict)


def measure_pages(
    sizes: list[Sized], family: str, first: str, typed: str, results: Results, database: str
) -> None:
    """Time every P2 page on each database, alternating between them; fills `times` with
    seconds by measure (None: failed, said loudly)."""
    for sized in sizes:
        sized.pages, how = probes(sized.app, sized.count, family, first, typed)
        results.note(
            f"P2 {database} {size_label(sized.count)}: deep page by {how}; "
            f"searched {family!r} and {typed!r} (for {first!r})"
        )
        sized.client = sized.app.test_client()
        if login(sized.client).status_code != 303:
            raise RuntimeError("the bench coordinator could not log in")

    def checked(sized: Sized, probe: Probe) -> Callable[[], None] | None:
        """The timed call of a page, after one checked call; None when the page fails."""
        label = size_label(sized.count)
        try:
            page = get_ok(sized.client, probe.url)
        except BadResponse as error:
            results.failure("P2", database, f"{probe.measure} at {label}", str(error))
            return None
        if probe.expect is not None and not shows(page, probe.expect):
            # A 200 that misses what it should show: timed, but said loudly.
            why = f"GET {probe.url}: the page does not show {probe.expect!r}"
            print(f"\n  !!! WRONG {database} {label}: {why}\n", file=sys.stderr)
            results.note(f"P2 {database} {label}: {why}")
        sized.rows[probe.measure] = rows_listed(page)
        return lambda: get_ok(sized.client, probe.url)

    def export_all(sized: Sized) -> None:
        rows = export_rows(sized.client)
        if rows != sized.count:
            raise BadResponse(f"{rows} rows exported, {sized.count} expected")

    measures: list[tuple[str, int, list[Callable[[], None] | None]]] = [
        (probe.measure, PAGE_ROUNDS, [checked(s, s.pages[index]) for s in sizes])
        for index, probe in enumerate(sizes[0].pages)
    ]
    measures.append(
        (
            "CSV export, time to first byte",
            PAGE_ROUNDS,
            [partial(first_byte, s.client) for s in sizes],
        )
    )
    measures.append(
        ("CSV export, all rows", EXPORT_ROUNDS, [partial(export_all, s) for s in sizes])
    )
    for label, url in (("statistics page", statistics_url()), ("ANCT workbook", anct_url())):
        measures.append(
            (
                f"{label}, last school year, counted afresh",
                PAGE_ROUNDS,
                [partial(afresh, s, url) for s in sizes],
            )
        )
    for probe in sizes[0].pages:
        listed = [s.rows.get(probe.measure) for s in sizes]
        if len(set(listed)) > 1:
            counted = zip(sizes, listed, strict=True)
            where = ", ".join(f"{n} rows at {size_label(s.count)}" for s, n in counted)
            results.note(f"P2 {database}: {probe.measure} lists {where}")
    for measure, rounds, funcs in measures:
        working = [(sized, call) for sized, call in zip(sizes, funcs, strict=True) if call]
        for sized in sizes:
            sized.times[measure] = None
        if not working:
            continue
        try:
            best = interleaved([call for _, call in working], rounds)
        except BadResponse as error:
            for sized, _ in working:
                results.failure(
                    "P2", database, f"{measure} at {size_label(sized.count)}", str(error)
                )
            continue
        for (sized, _), seconds in zip(working, best, strict=True):
            sized.times[measure] = seconds
        shown = ", ".join(
            f"{size_label(s.count)} {s.times[measure] * 1e3:.2f} ms" for s, _ in working
        )
        print(f"    {measure}: {shown}")


def report_pages(small: dict, large: dict, results: Results, database: str) -> None:
    low, high = size_label(SMALL), size_label(LARGE)
    for measure, small_time in small.items():
        large_time = large.get(measure)
        if measure == "CSV export, all rows":
            for size, seconds in ((SMALL, small_time), (LARGE, large_time)):
                if seconds is not None:
                    rate = size / seconds
                    goal, met = (
                        ("", None)
                        if size == SMALL
                        else (f"≥ {EXPORT_RATE_GOAL:,}", rate >= EXPORT_RATE_GOAL)
                    )
                    results.add(
                        "P2",
                        database,
                        f"{measure}, at {size_label(size)}",
                        rate,
                        "rows/s",
                        goal,
                        met,
                    )
            continue
        for size, seconds in ((low, small_time), (high, large_time)):
            if seconds is not None:
                # The figures must come within a second at any size, even counted afresh.
                absolute = size == high and measure.startswith(FIGURES)
                goal, met = (
                    (f"< {FIGURES_GOAL_MS} ms", seconds * 1e3 < FIGURES_GOAL_MS)
                    if absolute
                    else ("", None)
                )
                results.add("P2", database, f"{measure}, at {size}", seconds * 1e3, "ms", goal, met)
        if small_time is not None and large_time is not None:
            ratio = large_time / small_time
            results.add(
                "P2",
                database,
                f"{measure}, {high}/{low}",
                ratio,
                "ratio",
                f"≤ {RATIO_GOAL}",
                ratio_met(ratio),
            )


def prepared(url: str, count: int, results: Results, database: str):
    """Migrate, add the coordinator and seed; returns the app on this database."""
    migrate(url)
    app = make_app(url)
    # Before the seed, which signs its fictional history with the coordinators it finds.
    add_coordinator(app)
    seconds = seed(url, count)
    print(f"  seeded {count:,} referrals on {database} in {seconds:.1f} s")
    # A ratio of two timings taken minutes apart is only as good as the machine was quiet.
    results.note(f"{database} {size_label(count)}: load average {load()} before timing")
    with app.app_context():
        stored = db.session.scalar(select(func.count()).select_from(Referral))
    if stored != count:
        results.note(f"P2 {database}: the seed stored {stored} referrals, {count} asked")
    return app, stored


# --- P5: outbox -------------------------------------------------------------------------------


# The SMTP server runs in a process of its own, as a mail server does: in a thread of the
# benchmark's process it would share the worker's interpreter lock and slow both down.
SINK_SCRIPT = """
import pathlib, signal, sys
from aiosmtpd.controller import Controller
count = pathlib.Path(sys.argv[2])
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
class Handler:
    received = 0
    async def handle_DATA(self, server, session, envelope):
        Handler.received += 1
        count.write_text(str(Handler.received))
        return "250 Message accepted"
controller = Controller(Handler(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
signal.sigwait({signal.SIGTERM})
controller.stop()
"""


class SmtpSink:
    """A real SMTP server on a free loopback port, in its own process, counting what it
    receives."""

    def __init__(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.folder = Path(tempfile.mkdtemp(prefix="bench-smtp-"))
        self.count = self.folder / "received"

    @property
    def received(self) -> int:
        return int(self.count.read_text() or 0) if self.count.exists() else 0

    def __enter__(self) -> SmtpSink:
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", SINK_SCRIPT, str(self.port), str(self.count)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "ready"
        return self

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)


def queue_messages(app, wanted: int) -> int:
    """Queue `wanted` e-mails as a submission does (the acknowledgements and the coordinators'
    alert of seeded referrals), after clearing what the seed left in the outbox."""
    from intake.notifications.outbox import referral_emails

    territory = app.extensions["territory"]
    with app.test_request_context():
        db.session.execute(delete(OutboxMessage))
        db.session.commit()
        queued = 0
        for referral in db.session.scalars(select(Referral).order_by(Referral.id)):
            messages = referral_emails(referral, territory, app.config)
            for message in messages:
                message.referral = referral
            db.session.add_all(messages)
            queued += len(messages)
            if queued >= wanted:
                break
        db.session.commit()
        surplus = select(OutboxMessage.id).order_by(OutboxMessage.id).offset(wanted)
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(surplus)))
        db.session.commit()
        return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def measure_outbox(url: str, results: Results, database: str) -> None:
    from intake.notifications.worker import deliver_due, pending_count

    with SmtpSink() as sink:
        app = make_app(url, MAIL_PORT=sink.port, INTAKE_NOTIFY="coordination@testville.example")
        try:
            queued = queue_messages(app, OUTBOX_MESSAGES)
            if queued != OUTBOX_MESSAGES:
                results.failure(
                    "P5", database, "messages queued", f"{queued}, not {OUTBOX_MESSAGES}"
                )
                return
            sent = 0
            with app.app_context():
                start = time.perf_counter()
                while sent < queued:
                    report = deliver_due(limit=queued)
                    if not report.sent:
                        break
                    sent += report.sent
                elapsed = time.perf_counter() - start
                left = pending_count()
        finally:
            dispose(app)
        if sent != queued or sink.received != queued or left:
            results.failure(
                "P5",
                database,
                "outbox drain",
                f"sent {sent}, SMTP server received {sink.received}, {left} pending, of {queued}",
            )
            return
        results.add("P5", database, f"outbox drain, {queued:,} messages", elapsed * 1e3, "ms")
        rate = queued / elapsed
        results.add(
            "P5",
            database,
            "outbox drain rate",
            rate,
            "msg/s",
            f"≥ {OUTBOX_RATE_GOAL}",
            rate >= OUTBOX_RATE_GOAL,
        )


# --- Run ----------------------------------------------------------------------------------------


def run_database(database: str, new_database, results: Results) -> None:
    """P2 (both sizes, timed in alternation) then P5 on one kind of database."""
    print(f"\n== {database}: {SMALL:,} and {LARGE:,} referrals ==")
    with new_database("small") as small_url, new_database("large") as large_url:
        small_app, small_count = prepared(small_url, SMALL, results, database)
        family, first, typed = search_terms(small_app)
        sizes = [Sized(small_app, small_count)]
        try:
            large_app, large_count = prepared(large_url, LARGE, results, database)
            sizes.append(Sized(large_app, large_count))
            measure_pages(sizes, family, first, typed, results, database)
        finally:
            for sized in sizes:
                dispose(sized.app)
            # The small database's figures are kept even when the large one failed.
            report_pages(
                sizes[0].times, sizes[1].times if len(sizes) > 1 else {}, results, database
            )
        try:
            measure_outbox(small_url, results, database)
        except Exception as error:  # noqa: BLE001 - reported loudly, then the run goes on
            results.failure("P5", database, "outbox drain", f"{type(error).__name__}: {error}")


def main() -> None:
    # SIGTERM (and SIGINT, which a background job ignores) must still run the `finally`
    # blocks that drop the scratch databases and the temporary files.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    results = Results()
    if QUICK:
        results.note(f"BENCH_QUICK: {SMALL} and {LARGE} referrals, {OUTBOX_MESSAGES} e-mails")
    on_both_databases("bench_pages_", "P2", run_database, results)


def on_both_databases(prefix: str, goal_id: str, run_database, results) -> None:
    """`run_database(name, new_database, results)` on SQLite (files in a scratch folder) and
    then PostgreSQL (scratch databases), one failing without stopping the other; then the
    figures are written and any goal missed is said."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:

        @contextmanager
        def sqlite(name: str) -> Iterator[str]:
            with sqlite_database(folder, name) as url:
                yield url

        @contextmanager
        def postgresql(name: str) -> Iterator[str]:
            with postgresql_database() as url:
                yield url

        for database, new_database in (("sqlite", sqlite), ("postgresql", postgresql)):
            try:
                run_database(database, new_database, results)
            except Exception as error:  # noqa: BLE001 - one database failing keeps the other
                results.failure(goal_id, database, "run", f"{type(error).__name__}: {error}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        results.write()
    if any(record["met"] is False for record in results.records):
        print("\nSome goals are not met (see above).")


if __name__ == "__main__":
    main()
