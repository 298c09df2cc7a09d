"""Benchmarks that need a real server: gunicorn with production's settings (gunicorn.conf.py).

P1  throughput of a complete POST /orientation, against a bare Flask + SQLAlchemy app
    (bench/bare_app.py) served the same way: runs alternate, the ratio full/bare is the goal.
    Two cut-down submissions (bench/p1_variants.py) run in turn with them, to show what a
    redesign would reach; each database starts with 1,000 seeded referrals.
P3  submission latency p95 while the outbox worker delivers to an SMTP server that takes
    2 s a message, against one that answers at once.
P4  worker memory after 100 and after 10,000 requests of a realistic mix; and around a CSV
    export of 100,000 seeded referrals: at rest, peak while streaming, after; the export's
    time to first byte and rows per second.
EXPORTS (issue 24) both exports through gunicorn exactly as gunicorn.conf.py runs it, on
    1,000 and on 100,000 seeded referrals: time to first byte (best of rounds, the two
    sizes alternated) and rows per second; then the queue's p95 for six staff clients
    (a queue page, then a pause of 0 to 0.6 s, as a person reads it) without exports and
    while two 100,000-row .xlsx exports run back to back, windows of each alternated.

Each measure runs on SQLite (a file in a temporary folder) and on PostgreSQL (a scratch
database created and dropped here). Goals are ratios measured in one run, so the figures
compare like with like whatever the machine. Results are printed as they come and written
to bench/out/bench_server.json.

Environment: BENCH_QUICK=1 shortens every run (a smoke run); BENCH_DATABASES=sqlite or
postgresql runs one of them; BENCH_POSTGRES_URL names the server's maintenance database
(default postgresql://postgres@127.0.0.1:5432/postgres); BENCH_ONLY=exports (names of
the measure functions, comma-separated) runs those alone, BENCH_OUT=path writes the results
there; BENCH_P4_REQUESTS and BENCH_SEED change P4's counts.
"""

from __future__ import annotations

import asyncio
import http.client
import itertools
import json
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path[:0] = [str(ROOT), str(BENCH)]

import bare_app  # noqa: E402
import psycopg  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from psycopg import sql  # noqa: E402

from intake.dev.words import FIRST_NAMES, LAST_NAMES  # noqa: E402
from tests.support.builders import child_fields, orientation  # noqa: E402
from tests.support.production import gunicorn_command, production_environment  # noqa: E402
from tests.support.smtp import free_port  # noqa: E402

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
DATABASES = [
    name.strip()
    for name in os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",")
    if name.strip()
]
POSTGRES_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
OUT = Path(os.environ.get("BENCH_OUT") or BENCH / "out" / "bench_server.json")

HOST = "127.0.0.1"
WORKERS = 2
CLIENTS = 4
P1_ROUNDS = 1 if QUICK else 3
P1_SECONDS = 2.0 if QUICK else 8.0
P1_WARMUP_SECONDS = 0.5 if QUICK else 2.0
P1_SEED = 200 if QUICK else 1_000
# What bench/p1_variants.py leaves of a submission, by its P1_VARIANT.
P1_VARIANTS = {
    "row": "only the referral's row written, form validated",
    "noform": "only the referral's row written, no WTForms",
}
P3_POSTS = 10 if QUICK else 100
P3_SLOW_SECONDS = 2.0
P3_PAUSE = 0.05  # seconds between two sends: one professional after another, not a flood
P4_FIRST = 100
P4_REQUESTS = int(os.environ.get("BENCH_P4_REQUESTS") or (500 if QUICK else 10_000))
P4_SEED = int(os.environ.get("BENCH_SEED") or (2_000 if QUICK else 100_000))
SAMPLE_EVERY = 0.05  # seconds between two looks at /proc while the export streams
EXPORT_SIZES = (200, 2_000) if QUICK else (1_000, 100_000)
FIRST_BYTE_ROUNDS = 3 if QUICK else 7
STAFF_CLIENTS = 6
EXPORTS_AT_ONCE = 2
# Windows of the queue's p95, alternated: without exports, with them; each this long.
QUEUE_ROUNDS = 2 if QUICK else 4
QUEUE_SECONDS = 5.0 if QUICK else 15.0
STAFF_PAUSE = 0.3  # mean seconds between a person's two pages (uniform from 0 to twice it)
STAFF_EMAIL = "a@b.fr"
STAFF_PASSWORD = "bench-password-" + secrets.token_hex(4)
# Without Flask-Limiter's throttling: 60 forms an hour from one address is the contract.
PRODUCTION_OVERRIDES = {"FLASK_RATELIMIT_ENABLED": "false"}

# Set when the run is interrupted: client threads stop at their next request.
STOP = threading.Event()
SEQUENCE = itertools.count(1)  # every POST of the run differs: no duplicate-submission answers
RUN = secrets.token_hex(3)


# --- results -------------------------------------------------------------------------------

RESULTS: list[dict] = []
ANOMALIES: list[str] = []
SKIPPED: list[str] = []


def goal_met(value: float, goal: str) -> bool | None:
    """Whether `value` meets a goal written "≥ 0.6" or "≤ 1.2"; None without a goal."""
    if not goal:
        return None
    sign, number = goal.split()
    return value >= float(number) if sign == "≥" else value <= float(number)


def record(
    measure_id: str, database: str, measure: str, value: float, unit: str, goal: str = ""
) -> None:
    """Keep one figure, print it as a table row, and rewrite the JSON file."""
    met = goal_met(value, goal)
    RESULTS.append(
        {
            "id": measure_id,
            "database": database,
            "measure": measure,
            "value": round(value, 3),
            "unit": unit,
            "goal": goal,
            "met": met,
        }
    )
    verdict = {True: "met", False: "NOT MET", None: ""}[met]
    print(
        f"{measure_id:<3} {database:<10} {measure:<52} {value:>11.3f} {unit:<7} "
        f"{goal:<7} {verdict}",
        flush=True,
    )
    write_results()


def write_results() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(RESULTS, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def note(line: str) -> None:
    print(f"    {line}", flush=True)


def anomaly(line: str) -> None:
    """Something the app did that a benchmark should not see (a 500, a POST without 303)."""
    if line not in ANOMALIES:
        ANOMALIES.append(line)
        print(f"    ! {line}", flush=True)


def skip(line: str) -> None:
    SKIPPED.append(line)
    print(f"    skipped: {line}", flush=True)


# --- databases and processes ---------------------------------------------------------------


@contextmanager
def scratch_database(kind: str, folder: Path, name: str) -> Iterator[str]:
    """A new, empty database: a SQLite file in `folder`, or a PostgreSQL database dropped
    at the end whatever happens."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / name}.sqlite3"
        return
    database = f"bench_{name}_{RUN}_{secrets.token_hex(3)}"
    admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True)
    try:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
        url = urllib.parse.urlsplit(POSTGRES_ADMIN_URL)
        yield f"postgresql+psycopg://{url.netloc}/{database}"
    finally:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
        )
        admin.close()


def flask_command(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("flask")), "--app", "wsgi", *args]


def app_environment(database_url: str, port: int, overrides: dict | None = None) -> dict:
    """Production's environment (tests/support/production.py), plain http, no throttling."""
    return production_environment(
        database_url, f"http://{HOST}:{port}", {**PRODUCTION_OVERRIDES, **(overrides or {})}
    )


def run_flask(env: dict, *args: str, stdin: str = "", timeout: float = 3600) -> str:
    """Run `flask --app wsgi ARGS` to its end; fail with its output if it fails."""
    done = subprocess.run(  # noqa: S603 - our own flask, fixed arguments
        flask_command(*args),
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def migrate(database_url: str) -> None:
    run_flask(app_environment(database_url, 0), "db", "upgrade")


class Process:
    """A child process in its own session, stopped with its whole group."""

    def __init__(self, name: str, command: list[str], env: dict, cwd: Path, log: Path):
        self.name, self.log_path = name, log
        with log.open("ab") as out:
            self.popen = subprocess.Popen(  # noqa: S603 - our own gunicorn and flask
                command,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM to the group (gunicorn stops its workers), SIGKILL if it lingers."""
        if self.popen.poll() is not None:
            return
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=timeout)
        except ProcessLookupError:
            self.popen.wait(timeout=timeout)


class Server(Process):
    """gunicorn with production's settings (gunicorn.conf.py, given to the bare app too,
    which runs from another folder), on a free loopback port; `workers` overrides their
    number, None keeps the file's."""

    def __init__(
        self,
        name: str,
        app: str,
        env: dict,
        cwd: Path,
        folder: Path,
        port: int,
        workers: int | None = WORKERS,
    ):
        command = [
            *gunicorn_command(),
            app,
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            *(["--workers", str(workers)] if workers is not None else []),
            "--bind",
            f"{HOST}:{port}",
        ]
        super().__init__(name, command, env, cwd, folder / f"{name}.log")
        self.port = port
        self.wait_until_healthy()

    def wait_until_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log()}")
            try:
                if Client(self.port).get("/healthz").status == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not answer in {timeout} s:\n{self.log()}")
            time.sleep(0.1)

    def workers(self) -> list[int]:
        """The worker processes: the children of the gunicorn master."""
        pid = self.popen.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            return sorted(int(child) for child in children)
        except OSError:
            return processes_where(lambda process: int(stat_fields(process)[1]) == pid)


def full_server(
    database_url: str,
    folder: Path,
    name: str,
    env_overrides=None,
    app: str = "wsgi:app",
    workers: int | None = WORKERS,
) -> Server:
    port = free_port()
    env = app_environment(database_url, port, env_overrides)
    return Server(name, app, env, ROOT, folder, port, workers)


def bare_server(database_url: str, folder: Path) -> Server:
    bare_app.create_schema(database_url)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    env.update({"BARE_DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"})
    return Server("bare", "bare_app:app", env, BENCH, folder, port)


def rss_kib(pid: int) -> int:
    """VmRSS of `pid` in KiB, 0 if it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def mib(kib: float) -> float:
    return kib / 1024


def stat_fields(process: Path) -> list[str]:
    """The fields of `/proc/PID/stat` after the command's name (which may hold spaces), for
    the folder `process` of /proc: [0] the state, [1] the parent, [11] and [12] the user and
    system CPU ticks. OSError when the process has gone."""
    return (process / "stat").read_text().rpartition(")")[2].split()


def processes_where(wanted: Callable[[Path], bool]) -> list[int]:
    """The ids of the processes whose /proc folder is `wanted`, in order; a process that goes
    while it is looked at is left out."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if wanted(entry):
                    found.append(int(entry.name))
            except OSError:
                continue
    return sorted(found)


def cpu_seconds(pids: list[int]) -> float:
    """The CPU time (user and system) the processes `pids` have used so far; one that has gone
    counts for nothing."""
    ticks = 0
    for pid in pids:
        try:
            fields = stat_fields(Path(f"/proc/{pid}"))
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_pids() -> list[int]:
    """The PostgreSQL server's processes on this machine (its backends among them)."""
    return processes_where(lambda process: (process / "comm").read_text().strip() == "postgres")


def database_pids(kind: str) -> list[int]:
    """The database server's processes: PostgreSQL's, none for SQLite (in the workers)."""
    return postgres_pids() if kind == "postgresql" else []


def cpu_by_part(pids: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds used so far by each group of `pids`, and by this process ("client": the
    clients' threads, while they post)."""
    times = os.times()
    return {
        **{part: cpu_seconds(found) for part, found in pids.items()},
        "client": times.user + times.system,
    }


# --- HTTP ----------------------------------------------------------------------------------

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]*)"')
REFERENCE = re.compile(r'href="/triage/(PRE-\d{4}-\d+)"')


@dataclass
class Answer:
    status: int
    location: str
    body: bytes


@dataclass
class Client:
    """One browser: its cookies (kept by hand: production's are Secure, this is plain
    http), a fresh connection a request as the sync worker closes each one."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    csrf_token: str = ""

    def request(self, method: str, path: str, form: dict | None = None) -> Answer:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=120)
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        self.keep_cookies(response.headers.get_all("Set-Cookie") or [])
        return Answer(response.status, response.headers.get("Location", ""), data)

    def keep_cookies(self, lines: list[str]) -> None:
        for line in lines:
            pair, _, attributes = line.partition(";")
            name, _, value = pair.partition("=")
            expired = "max-age=0" in attributes.lower().replace(" ", "")
            if expired or not value:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value.strip()

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def open_form(self, path: str = "/orientation") -> Answer:
        """GET a form and keep its CSRF token, as a browser does before posting."""
        answer = self.get(path)
        if answer.status != 200:
            anomaly(f"GET {path} answered {answer.status}")
        elif match := CSRF.search(answer.body.decode("utf-8", "replace")):
            self.csrf_token = match.group(1)
        return answer

    def send_referral(self) -> Answer:
        number = next(SEQUENCE)
        # A different child each time, as real referrals are: the same child sent thousands
        # of times would measure the duplicate check's worst case, not a submission.
        born = date(2012, 1, 1) + timedelta(days=number % 3000)
        first = FIRST_NAMES[number % len(FIRST_NAMES)]
        last = LAST_NAMES[number // len(FIRST_NAMES) % len(LAST_NAMES)]
        child = child_fields(0, first_name=first, last_name=last, birth_date=born.isoformat())
        form = orientation(
            situation=f"Léa a du mal à lire (bench {RUN}, envoi n° {number}).", **child
        )
        answer = self.request("POST", "/orientation", {**form, "csrf_token": self.csrf_token})
        if answer.status != 303:
            anomaly(f"POST /orientation answered {answer.status}, not 303")
        return answer

    def log_in(self, email: str, password: str) -> None:
        self.open_form("/connexion")
        answer = self.request(
            "POST",
            "/connexion",
            {"email": email, "password": password, "csrf_token": self.csrf_token},
        )
        if answer.status != 303:
            raise RuntimeError(f"login answered {answer.status}, not 303")


def run_clients(count: int, task: Callable[[int], None]) -> None:
    """Run `task(i)` in `count` threads and wait for them; re-raise the first failure."""
    errors: list[BaseException] = []

    def guarded(index: int) -> None:
        try:
            task(index)
        except BaseException as error:  # noqa: BLE001 - handed to the main thread
            errors.append(error)

    # Daemons, and joined with a timeout so Ctrl+C or SIGTERM reach the main thread, whose
    # `finally` blocks stop the servers and drop the databases.
    threads = [threading.Thread(target=guarded, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.5)
    finally:
        if any(thread.is_alive() for thread in threads):
            STOP.set()
    if errors:
        raise errors[0]


def post_for(port: int, seconds: float) -> tuple[int, float]:
    """CLIENTS threads POST /orientation for `seconds`: (303 answers, elapsed seconds)."""
    counts = [0] * CLIENTS
    start = time.perf_counter()
    stop_at = start + seconds

    def client(index: int) -> None:
        browser = Client(port)
        browser.open_form()
        while time.perf_counter() < stop_at and not STOP.is_set():
            if browser.send_referral().status == 303:
                counts[index] += 1

    run_clients(CLIENTS, client)
    return sum(counts), time.perf_counter() - start


# --- P1 ------------------------------------------------------------------------------------


def p1_throughput(kind: str, folder: Path) -> None:
    print(
        f"P1  {kind}: POST /orientation, {CLIENTS} clients, {P1_ROUNDS} rounds of "
        f"{P1_SECONDS:g} s each, the bare app, the service and its two cut-down variants "
        f"(bench/p1_variants.py) in turn, on databases holding {P1_SEED:,} referrals",
        flush=True,
    )
    with ExitStack() as stack:
        bare_url = stack.enter_context(scratch_database(kind, folder, "p1_bare"))
        bare = bare_server(bare_url, folder)
        stack.callback(bare.stop)
        servers = {"bare": bare}
        for name in ("full", *P1_VARIANTS):
            url = stack.enter_context(scratch_database(kind, folder, f"p1_{name}"))
            migrate(url)
            # A live database is not empty, and has its statistics. Started from empty
            # tables, PostgreSQL (autovacuum off, as on the machine of 2026-12-03) plans the
            # statements psycopg prepares after five runs for tables of no rows, and keeps
            # those plans, sequential scans, while the tables grow by thousands of rows
            # during the rounds: a complete POST went from 10 to 16 ms in-process over
            # 4,000 of them, and stayed flat after one ANALYZE. `dev seed` ends with
            # VACUUM ANALYZE.
            run_flask(app_environment(url, 0), *seed_command(P1_SEED))
            if name == "full":
                server = full_server(url, folder, "p1_full")
            else:
                server = variant_server(url, folder, name)
            stack.callback(server.stop)
            servers[name] = server
        for server in servers.values():
            post_for(server.port, P1_WARMUP_SECONDS)
        rates: dict[str, list[float]] = {name: [] for name in servers}
        # CPU seconds used during the rounds, and POSTs answered, by server and by process.
        used: dict[str, Counter] = {name: Counter() for name in servers}
        for round_number in range(1, P1_ROUNDS + 1):
            for name, server in servers.items():
                pids = {"workers": server.workers(), "database": database_pids(kind)}
                before = cpu_by_part(pids)
                done, elapsed = post_for(server.port, P1_SECONDS)
                spent = cpu_by_part(pids)
                used[name].update({part: spent[part] - before[part] for part in spent})
                used[name]["posts"] += done
                rates[name].append(done / elapsed)
                note(
                    f"round {round_number} {name}: {done} referrals in {elapsed:.1f} s, "
                    f"{done / elapsed:.1f}/s"
                )
    rate = {name: sum(values) / len(values) for name, values in rates.items()}
    record("P1", kind, "bare app POST throughput (mean of rounds)", rate["bare"], "req/s")
    record("P1", kind, "full app POST /orientation throughput", rate["full"], "req/s")
    record("P1", kind, "throughput full/bare", rate["full"] / rate["bare"], "ratio", "≥ 0.6")
    for name, label in P1_VARIANTS.items():
        record("P1", kind, f"bound, {label}: throughput /bare", rate[name] / rate["bare"], "ratio")
    # Where a POST's CPU goes, read from /proc: what the ratio could still be bought with.
    # The full app keeps both CPUs busy, so its throughput follows its CPU a POST; the bare
    # app's workers also wait (for each commit's fsync, for the clients), so its own does not.
    names = {"bare": "bare app", "full": "full app"}
    names.update({name: f"bound, {label}" for name, label in P1_VARIANTS.items()})
    parts = {"workers": "gunicorn workers", "client": "benchmark's clients"}
    if kind == "postgresql":
        parts["database"] = "PostgreSQL server"
    for part, label in parts.items():
        for name, shown in names.items():
            posts = used[name]["posts"]
            if posts:
                ms = 1000 * used[name][part] / posts
                record("P1", kind, f"CPU a POST, {label}, {shown}", ms, "ms")


def variant_server(database_url: str, folder: Path, variant: str) -> Server:
    """The service with its submission cut down (bench/p1_variants.py), served the same way."""
    path = os.pathsep.join(filter(None, [str(BENCH), os.environ.get("PYTHONPATH")]))
    overrides = {"P1_VARIANT": variant, "PYTHONPATH": path}
    return full_server(database_url, folder, f"p1_{variant}", overrides, app="p1_variants:app")


# --- P3 ------------------------------------------------------------------------------------


class SlowSmtp:
    """aiosmtpd handler: accepts every message, after `delay` seconds."""

    def __init__(self) -> None:
        self.delay = 0.0
        self.received = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook
        if self.delay:
            await asyncio.sleep(self.delay)
        self.received += 1
        return "250 Message accepted"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def sequential_latencies(port: int, count: int) -> list[float]:
    """Seconds each of `count` sequential referrals took to answer, from one browser."""
    browser = Client(port)
    browser.open_form()
    latencies = []
    for _ in range(count):
        start = time.perf_counter()
        browser.send_referral()
        latencies.append(time.perf_counter() - start)
        time.sleep(P3_PAUSE)
    return latencies


def wait_for_mail(handler: SlowSmtp, quiet: float = 1.5, timeout: float = 30.0) -> None:
    """Wait until the worker has sent nothing for `quiet` seconds: its queue is empty."""
    deadline = time.monotonic() + timeout
    last, since = handler.received, time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if handler.received != last:
            last, since = handler.received, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return


def p3_latency(kind: str, folder: Path) -> None:
    print(
        f"P3  {kind}: {P3_POSTS} sequential POST /orientation with the outbox worker "
        f"delivering to a fast SMTP server, then to one taking {P3_SLOW_SECONDS:g} s a "
        "message",
        flush=True,
    )
    handler = SlowSmtp()
    smtp_port = free_port()
    controller = Controller(handler, hostname=HOST, port=smtp_port)
    with ExitStack() as stack:
        url = stack.enter_context(scratch_database(kind, folder, "p3"))
        migrate(url)
        controller.start()
        stack.callback(controller.stop)
        mail = {"FLASK_MAIL_SERVER": HOST, "FLASK_MAIL_PORT": str(smtp_port)}
        server = full_server(url, folder, "p3_gunicorn", mail)
        stack.callback(server.stop)
        worker = Process(
            "outbox",
            flask_command("outbox", "work", "--poll", "1"),
            app_environment(url, server.port, mail),
            ROOT,
            folder / "p3_outbox.log",
        )
        stack.callback(worker.stop)
        sequential_latencies(server.port, max(4, P3_POSTS // 10))  # warm both workers
        wait_for_mail(handler)
        before = handler.received
        fast = sequential_latencies(server.port, P3_POSTS)
        note(f"fast SMTP: {handler.received - before} messages delivered during the run")
        wait_for_mail(handler)
        if handler.received == 0:
            anomaly("the outbox worker delivered nothing: P3 did not measure what it says")
        if worker.popen.poll() is not None:
            anomaly(f"outbox worker exited with {worker.popen.returncode}:\n{worker.log()}")
        handler.delay = P3_SLOW_SECONDS
        before = handler.received
        slow = sequential_latencies(server.port, P3_POSTS)
        note(
            f"slow SMTP: {handler.received - before} messages delivered during the run "
            "(the rest wait in the outbox)"
        )
    fast_p95, slow_p95 = p95(fast) * 1000, p95(slow) * 1000
    record("P3", kind, "submission p95, fast SMTP", fast_p95, "ms")
    record("P3", kind, f"submission p95, SMTP {P3_SLOW_SECONDS:g} s a message", slow_p95, "ms")
    record("P3", kind, "p95 slow/fast", slow_p95 / fast_p95, "ratio", "≤ 1.2")


# --- P4 ------------------------------------------------------------------------------------


def create_coordinator(env: dict) -> None:
    password = f"{STAFF_PASSWORD}\n{STAFF_PASSWORD}\n"
    run_flask(env, "users", "create", STAFF_EMAIL, "--role", "coordinator", stdin=password)


class Mix:
    """A realistic mix of requests, shared by the client threads up to a total count."""

    STEPS = (
        "/",
        "form",
        "post",
        "/triage/",
        "/triage/?page=2",
        "form",
        "post",
        "/triage/?status=new",
        "detail",
        "/triage/?q=martin",
    )

    def __init__(self, port: int, staff_cookies: dict[str, str]) -> None:
        self.port, self.staff_cookies = port, staff_cookies
        self.counter = itertools.count()
        self.references: list[str] = []
        self.statuses: dict[str, int] = {}

    def run(self, until: int) -> None:
        def client(index: int) -> None:
            browser = Client(self.port, dict(self.staff_cookies))
            while (n := next(self.counter)) < until and not STOP.is_set():
                self.step(browser, self.STEPS[n % len(self.STEPS)])

        run_clients(CLIENTS, client)
        # The counter went past `until` once a thread: start the next run exactly there.
        self.counter = itertools.count(until)

    def step(self, browser: Client, step: str) -> None:
        if step == "form":
            answer = browser.open_form()
        elif step == "post":
            if not browser.csrf_token:
                browser.open_form()
            answer = browser.send_referral()
        elif step == "detail":
            reference = self.references[-1] if self.references else None
            answer = browser.get(f"/triage/{reference}" if reference else "/")
        else:
            answer = browser.get(step)
            if step.startswith("/triage/") and answer.status == 200:
                found = REFERENCE.findall(answer.body.decode("utf-8", "replace"))
                if found:
                    self.references.append(found[0])
                    del self.references[:-50]
        if step != "post" and answer.status != 200:
            anomaly(f"{step} answered {answer.status}")


def p4_memory(kind: str, folder: Path) -> None:
    print(
        f"P4  {kind}: worker memory over {P4_REQUESTS:,} requests of a mix (public pages, "
        f"forms, POSTs, staff queue and detail pages), {CLIENTS} clients",
        flush=True,
    )
    with ExitStack() as stack:
        url = stack.enter_context(scratch_database(kind, folder, "p4"))
        migrate(url)
        create_coordinator(app_environment(url, 0))
        server = full_server(url, folder, "p4_gunicorn")
        stack.callback(server.stop)
        staff = Client(server.port)
        staff.log_in(STAFF_EMAIL, STAFF_PASSWORD)
        mix = Mix(server.port, staff.cookies)
        mix.run(P4_FIRST)
        workers = server.workers()
        first = [rss_kib(pid) for pid in workers]
        start = time.perf_counter()
        mix.run(P4_REQUESTS)
        elapsed = time.perf_counter() - start
        note(
            f"{P4_REQUESTS - P4_FIRST:,} requests in {elapsed:.0f} s, "
            f"{(P4_REQUESTS - P4_FIRST) / elapsed:.1f}/s"
        )
        if server.workers() != workers:
            anomaly(f"gunicorn replaced a worker during P4 ({workers} → {server.workers()})")
        last = [rss_kib(pid) for pid in server.workers()]
        note(
            f"per worker, MB: after {P4_FIRST}: {[round(mib(k), 1) for k in first]}; "
            f"after {P4_REQUESTS:,}: {[round(mib(k), 1) for k in last]}"
        )
    record("P4", kind, f"workers' RSS after {P4_FIRST} requests", mib(sum(first)), "MB")
    record("P4", kind, f"workers' RSS after {P4_REQUESTS:,} requests", mib(sum(last)), "MB")
    record(
        "P4",
        kind,
        f"RSS {P4_REQUESTS:,}/{P4_FIRST} requests",
        sum(last) / sum(first),
        "ratio",
        "≤ 1.2",
    )


def seed_command(count: int) -> list[str]:
    """`dev seed --count COUNT`, for a scratch database: the arguments of `flask`."""
    return ["dev", "seed", "--count", str(count), "--force"]


class Sampler(threading.Thread):
    """Reads the VmRSS of every process of gunicorn's process group (its workers, their
    export fork servers, and each export's own process while it lives) every SAMPLE_EVERY
    seconds, keeping each one's peak."""

    def __init__(self, group: int) -> None:
        super().__init__(daemon=True)
        self.group = group
        self.peaks: dict[int, int] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            for pid in in_group(self.group):
                self.peaks[pid] = max(self.peaks.get(pid, 0), rss_kib(pid))
            self.done.wait(SAMPLE_EVERY)

    def stop(self) -> dict[int, int]:
        self.done.set()
        self.join()
        return self.peaks


def in_group(group: int) -> list[int]:
    """The processes of the process group `group`."""
    return processes_where(lambda process: int(stat_fields(process)[2]) == group)


def fork_servers(pids: list[int]) -> list[int]:
    """Those of `pids` that are multiprocessing fork servers (apart.py's, one a worker)."""
    found = []
    for pid in pids:
        try:
            if b"multiprocessing.forkserver" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            continue
    return found


def stream_export(port: int, cookies: dict[str, str]) -> tuple[int, float, float, int]:
    """GET /triage/export.csv read in chunks: (status, first byte s, total s, rows)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=300)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    start = time.perf_counter()
    first_byte = None
    lines = status = 0
    try:
        connection.request("GET", "/triage/export.csv", headers=headers)
        response = connection.getresponse()
        status = response.status
        while chunk := response.read1(65536):
            if first_byte is None:
                first_byte = time.perf_counter() - start
            lines += chunk.count(b"\n")
    except (http.client.HTTPException, OSError) as error:
        # A worker killed by gunicorn's timeout closes the connection mid-answer.
        anomaly(f"the export broke off after {time.perf_counter() - start:.1f} s: {error!r}")
    finally:
        connection.close()
    total = time.perf_counter() - start
    return status, first_byte if first_byte is not None else total, total, max(lines - 1, 0)


def p4_export(kind: str, folder: Path) -> None:
    print(
        f"P4  {kind}: CSV export of {P4_SEED:,} seeded referrals, worker memory sampled "
        f"every {SAMPLE_EVERY * 1000:g} ms",
        flush=True,
    )
    with ExitStack() as stack:
        url = stack.enter_context(scratch_database(kind, folder, "p4_export"))
        migrate(url)
        env = app_environment(url, 0)
        start = time.perf_counter()
        run_flask(env, *seed_command(P4_SEED))
        note(f"seeded {P4_SEED:,} referrals in {time.perf_counter() - start:.0f} s")
        create_coordinator(env)
        server = full_server(url, folder, "p4_export_gunicorn")
        stack.callback(server.stop)
        staff = Client(server.port)
        staff.log_in(STAFF_EMAIL, STAFF_PASSWORD)
        # Each worker serves pages before the rest is measured: the first requests import
        # and cache what every later one uses.
        for _ in range(6):
            staff.get("/triage/")
            staff.get("/triage/export.csv?q=zzzz-nobody")
        time.sleep(1)
        workers = server.workers()
        before = in_group(server.popen.pid)
        rest = {pid: rss_kib(pid) for pid in before}
        servers = fork_servers(before)  # read while they live
        sampler = Sampler(server.popen.pid)
        sampler.start()
        status, first_byte, total, rows = stream_export(server.port, staff.cookies)
        peaks = sampler.stop()
        time.sleep(1)
        after = {pid: rss_kib(pid) for pid in workers}
        if server.workers() != workers:
            timeouts = [line for line in server.log().splitlines() if "TIMEOUT" in line]
            anomaly(f"gunicorn replaced a worker during the export: {timeouts[:2]}")
        if status != 200 or rows < P4_SEED:
            anomaly(f"export answered {status} with {rows:,} rows for {P4_SEED:,} referrals")
    # The worker that served the export (relaying it) is the one whose memory moved most.
    pid = max(workers, key=lambda p: peaks.get(p, 0) - rest[p])
    record("P4", kind, "export worker RSS at rest, before", mib(rest[pid]), "MB")
    record("P4", kind, "export worker RSS peak while streaming", mib(peaks[pid]), "MB")
    if after[pid]:
        record("P4", kind, "export worker RSS after", mib(after[pid]), "MB")
    else:
        skip(f"P4 export on {kind}: no RSS after, the worker that served it is gone")
    record("P4", kind, "export RSS peak/rest", peaks[pid] / rest[pid], "ratio", "≤ 1.2")
    # The export's own process (gunicorn.conf.py: forked from a fork server holding the app)
    # against that fork server: what writing 100,000 rows added to the app's memory.
    exporters = [each for each in peaks if each not in rest]
    if exporters and servers:
        image = max(rest[each] for each in servers)
        peak = max(peaks[each] for each in exporters)
        record("P4", kind, "export's own process RSS peak", mib(peak), "MB")
        record(
            "P4",
            kind,
            "export's process peak / its fork server's RSS",
            peak / image,
            "ratio",
            "≤ 1.2",
        )
    else:
        skip(f"P4 export on {kind}: no export process seen apart from the workers")
    if status != 200:
        skip(f"P4 export on {kind}: no time to first byte or rows/s, the export answered {status}")
        return
    record("P4", kind, f"export time to first byte ({rows:,} rows)", first_byte * 1000, "ms")
    record("P4", kind, "export rows per second", rows / total, "rows/s", "≥ 20000")


# --- EXPORTS -------------------------------------------------------------------------------


@dataclass
class Download:
    """One export read through: status, seconds to its first byte and in all, its body."""

    status: int
    first_byte: float
    total: float
    body: bytes = b""


def size_label(count: int) -> str:
    """1000 → "1k", 200 → "200": as the report names sizes."""
    return f"{count // 1000}k" if count >= 1000 and count % 1000 == 0 else str(count)


def download(port: int, cookies: dict[str, str], path: str, first_only: bool = False):
    """GET `path` as a signed-in browser, read in chunks (only the first with `first_only`,
    then the connection is closed, as a client that leaves)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=600)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    start = time.perf_counter()
    first_byte = None
    parts = []
    status = 0
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        status = response.status
        while chunk := response.read1(65536):
            if first_byte is None:
                first_byte = time.perf_counter() - start
                if first_only:
                    break
            parts.append(chunk)
    except (http.client.HTTPException, OSError) as error:
        anomaly(f"{path} broke off after {time.perf_counter() - start:.1f} s: {error!r}")
    finally:
        connection.close()
    total = time.perf_counter() - start
    return Download(status, first_byte or total, total, b"".join(parts))


def rows_in(path: str, body: bytes) -> int:
    """The data rows of an export's body: the CSV's lines, the sheet's <row> elements, less
    the header."""
    if path.endswith(".csv"):
        return max(body.count(b"\n") - 1, 0)
    import io
    import zipfile

    rows, tail = 0, b""
    with (
        zipfile.ZipFile(io.BytesIO(body)) as archive,
        archive.open("xl/worksheets/sheet1.xml") as sheet,
    ):
        while chunk := sheet.read(1 << 20):
            # "</row>" may straddle two reads: the last bytes of one go with the next.
            rows += (tail + chunk).count(b"</row>")
            tail = chunk[-5:]
    return max(rows - 1, 0)


def exports_ended(server: Server, timeout: float = 60.0) -> None:
    """Wait until no export's process is left in gunicorn's process group: only the master,
    its workers and each worker's fork server and resource tracker."""
    settled = 1 + 3 * len(server.workers())
    deadline = time.monotonic() + timeout
    while len(in_group(server.popen.pid)) > settled:
        if time.monotonic() > deadline:
            anomaly(f"an export's process outlived its client by {timeout:g} s")
            return
        time.sleep(0.05)


def staff_pages(port: int, cookies: dict[str, str], seconds: float) -> list[float]:
    """STAFF_CLIENTS people browsing the queue for `seconds`: each a queue page (four of
    the workspace's, in turn), then a pause; the seconds each page took."""
    latencies: list[float] = []
    pages = ("/triage/", "/triage/?status=new", "/triage/?sort=urgency", "/triage/?q=martin")
    stop_at = time.perf_counter() + seconds

    def person(index: int) -> None:
        browser = Client(port, dict(cookies))
        rng = random.Random(index)  # noqa: S311 - pauses, not secrets
        number = index
        while time.perf_counter() < stop_at and not STOP.is_set():
            start = time.perf_counter()
            answer = browser.get(pages[number % len(pages)])
            latencies.append(time.perf_counter() - start)
            if answer.status != 200:
                anomaly(f"{pages[number % len(pages)]} answered {answer.status}")
            number += 1
            time.sleep(rng.uniform(0, 2 * STAFF_PAUSE))

    run_clients(STAFF_CLIENTS, person)
    return latencies


def queue_under_exports(port: int, cookies: dict[str, str], large: int) -> tuple[list, list]:
    """The queue's page times without exports and while EXPORTS_AT_ONCE .xlsx exports of
    the whole database run back to back, in alternated windows: (without, with)."""
    without: list[float] = []
    with_exports: list[float] = []
    for _ in range(QUEUE_ROUNDS):
        without += staff_pages(port, cookies, QUEUE_SECONDS)
        exporting = threading.Event()
        exporting.set()
        done: list[Download] = []

        def exporter(exporting=exporting, done=done) -> None:
            while exporting.is_set() and not STOP.is_set():
                done.append(download(port, cookies, "/triage/export.xlsx"))

        threads = [threading.Thread(target=exporter, daemon=True) for _ in range(EXPORTS_AT_ONCE)]
        for thread in threads:
            thread.start()
        time.sleep(1.0)  # both exports under way
        with_exports += staff_pages(port, cookies, QUEUE_SECONDS)
        exporting.clear()
        for thread in threads:
            thread.join()
        if not done or any(each.status != 200 for each in done):
            anomaly(f"an export under the staff's load answered {[d.status for d in done]}")
        note(
            f"{len(done)} exports of {large:,} referrals during the window, "
            f"{sum(each.total for each in done) / max(len(done), 1):.1f} s each"
        )
    return without, with_exports


def exports(kind: str, folder: Path) -> None:
    small, large = EXPORT_SIZES
    print(
        f"EXPORTS {kind}: CSV and .xlsx through gunicorn with gunicorn.conf.py, at {small:,} "
        f"and {large:,} seeded referrals; the queue's p95 for {STAFF_CLIENTS} staff clients "
        f"without exports and while {EXPORTS_AT_ONCE} .xlsx exports of {large:,} run",
        flush=True,
    )
    with ExitStack() as stack:
        servers = {}
        for size in (small, large):
            url = stack.enter_context(scratch_database(kind, folder, f"exports_{size}"))
            migrate(url)
            env = app_environment(url, 0)
            create_coordinator(env)
            start = time.perf_counter()
            run_flask(env, *seed_command(size))
            note(f"seeded {size:,} referrals in {time.perf_counter() - start:.0f} s")
            server = full_server(url, folder, f"exports_{size}", workers=None)
            stack.callback(server.stop)
            staff = Client(server.port)
            staff.log_in(STAFF_EMAIL, STAFF_PASSWORD)
            servers[size] = (server, staff.cookies)
        for path in ("/triage/export.csv", "/triage/export.xlsx"):
            name = "CSV" if path.endswith(".csv") else ".xlsx"
            # Every worker has served an export (its fork server warm) before timing.
            for server, cookies in servers.values():
                for _ in range(4):
                    download(server.port, cookies, path, first_only=True)
                    exports_ended(server)
            firsts: dict[int, list[float]] = {size: [] for size in servers}
            for _ in range(FIRST_BYTE_ROUNDS):
                for size, (server, cookies) in servers.items():
                    answer = download(server.port, cookies, path, first_only=True)
                    if answer.status == 200:
                        firsts[size].append(answer.first_byte)
                    # The export left after its first bytes stops at its next chunk: the
                    # next one is timed without it.
                    exports_ended(server)
            for size, (server, cookies) in servers.items():
                whole = download(server.port, cookies, path)
                rows = rows_in(path, whole.body) if whole.status == 200 else 0
                if whole.status != 200 or rows < size:
                    anomaly(f"{path} answered {whole.status} with {rows:,} rows for {size:,}")
                    continue
                goal = "" if size == small else ("≥ 5000" if name == ".xlsx" else "≥ 20000")
                label = f"{name} export, at {size_label(size)}"
                record(
                    "EXPORTS", kind, f"{label}: rows per second", rows / whole.total, "rows/s", goal
                )
                note(
                    f"{path} at {size:,}: {rows:,} rows, {len(whole.body) / 1e6:.1f} MB, "
                    f"{whole.total:.1f} s"
                )
            best = {size: min(times) for size, times in firsts.items() if times}
            for size, seconds in best.items():
                record(
                    "EXPORTS",
                    kind,
                    f"{name} export, at {size // 1000}k: time to first byte",
                    seconds * 1000,
                    "ms",
                )
            if len(best) == 2:
                record(
                    "EXPORTS",
                    kind,
                    f"{name} export, time to first byte, 100k/1k",
                    best[large] / best[small],
                    "ratio",
                    "≤ 1.3",
                )
        server, cookies = servers[large]
        without, with_exports = queue_under_exports(server.port, cookies, large)
        log = server.log() + servers[small][0].log()
        for trouble in ("WORKER TIMEOUT", "Traceback"):
            if trouble in log:
                anomaly(f"the exports' servers logged {trouble}")
    quiet, busy = p95(without) * 1000, p95(with_exports) * 1000
    record("EXPORTS", kind, f"queue p95, {STAFF_CLIENTS} staff clients, no export", quiet, "ms")
    exporting = f"{EXPORTS_AT_ONCE} exports of {size_label(large)}"
    record("EXPORTS", kind, f"queue p95, {STAFF_CLIENTS} staff clients, {exporting}", busy, "ms")
    record("EXPORTS", kind, "queue p95 with exports / without", busy / quiet, "ratio", "≤ 1.5")
    note(f"{len(without)} and {len(with_exports)} queue pages timed")


# --- main ----------------------------------------------------------------------------------

MEASURES = (p1_throughput, p3_latency, p4_memory, p4_export, exports)
# BENCH_ONLY=p4_export,p1_throughput runs those measures alone.
ONLY = {name.strip() for name in os.environ.get("BENCH_ONLY", "").split(",") if name.strip()}


def interrupted(signum, frame):
    """SIGTERM as Ctrl+C: unwind, so every server stops and every scratch database goes."""
    raise KeyboardInterrupt


def postgres_available() -> bool:
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3) as connection:
            # Whether the server analyzes tables as they grow: see p1_throughput.
            autovacuum = connection.execute("SHOW autovacuum").fetchone()[0]
    except psycopg.Error as error:
        skip(f"PostgreSQL at {POSTGRES_ADMIN_URL} does not answer ({error}); SQLite only")
        return False
    print(f"PostgreSQL at {POSTGRES_ADMIN_URL}: autovacuum {autovacuum}", flush=True)
    return True


def main() -> int:
    print(
        f"bench_server: gunicorn 'wsgi:app' with gunicorn.conf.py ({WORKERS} workers but where "
        "the EXPORTS measure keeps the file's), production settings "
        "(FLASK_SECRET_KEY set, not debug) over plain http; Flask-Limiter throttling "
        "DISABLED (FLASK_RATELIMIT_ENABLED=false) so the load is not refused"
        + ("; BENCH_QUICK: short runs, figures are a smoke test only" if QUICK else ""),
        flush=True,
    )
    print(
        f"{'id':<3} {'database':<10} {'measure':<52} {'value':>11} {'unit':<7} {'goal':<7} verdict",
        flush=True,
    )
    write_results()
    signal.signal(signal.SIGTERM, interrupted)
    databases = [d for d in DATABASES if d != "postgresql" or postgres_available()]
    failed = False
    for kind in databases:
        for measure in MEASURES:
            if ONLY and measure.__name__ not in ONLY:
                continue
            with tempfile.TemporaryDirectory(prefix="bench_server_") as folder:
                try:
                    measure(kind, Path(folder))
                except Exception as error:  # noqa: BLE001 - the other measures still run
                    failed = True
                    anomaly(f"{measure.__name__} on {kind} failed: {error}")
    print(f"\nresults written to {OUT}")
    for line in SKIPPED:
        print(f"skipped: {line}")
    for line in ANOMALIES:
        print(f"anomaly: {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
