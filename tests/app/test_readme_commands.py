"""Every `flask --app wsgi …` command README.md prints works as printed: in a fresh copy of the
project whose instance/config.py was written as `make` writes it, from a shell without
FLASK_DEBUG, FLASK_SECRET_KEY or any other FLASK_* variable of this one.

The commands are read from README.md itself. COMMANDS says how to run each one (the values of
its placeholders, what it reads on stdin, what the database must hold first) and what its
output must show. A command README.md prints that COMMANDS does not know fails: add it there,
so that the README never prints a command nobody ran.
"""

from __future__ import annotations

import gzip
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select, update

from intake import INSTANCE_PATH_VARIABLE
from intake.dev.server import DEMO_EMAIL
from intake.extensions import db
from intake.models import OutboxMessage, Referral, User, utcnow
from intake.triage.audit import ReadKind, record_read
from tests.support.app import build_app, release
from tests.support.opendata_server import serving_files
from tests.support.readme import (
    PLACEHOLDER,
    README,
    ReadmeCommand,
    copy_checkout,
    parse_command,
    readme_commands,
)
from tests.support.smtp import SmtpSink, free_port

# The account README.md's first command gives a new password, which its own
# `users create EMAIL` makes here; `printf … | users create a@b.fr` makes the second.
SECOND_EMAIL = "a@b.fr"
# A password, typed twice as the password commands ask.
TWICE = "une phrase de passe assez longue\n" * 2
TIMEOUT = 120  # seconds for one command, on a busy machine
DATA = Path(__file__).parents[1] / "data"


class Copy:
    """The fresh copy the commands run in, its environment and its database."""

    def __init__(self, folder: Path, mail_port: int) -> None:
        self.folder = folder
        # Nothing of this shell's configuration: no FLASK_* (FLASK_DEBUG, FLASK_SECRET_KEY, a
        # database…), not the tests' instance folder; the copy's `intake` and `wsgi`.
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith("FLASK_") and name != INSTANCE_PATH_VARIABLE
        }
        # Compiled once by the first command, as `make` lets Python do.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update(
            PYTHONPATH=str(folder),
            PYTHONUNBUFFERED="1",
            # Mail goes to the test's own server, never to this machine's port 25.
            FLASK_MAIL_SERVER="127.0.0.1",
            FLASK_MAIL_PORT=str(mail_port),
        )
        self.env = env
        # One app on the copy's database for what some commands need there first: each lane's
        # thread enters an app context of its own, as a threaded server's requests do.
        self.app = build_app(f"sqlite:///{self.database}")

    def python(self, *args: str) -> subprocess.CompletedProcess:
        """Run this Python in the copy, as `make` runs it there."""
        return subprocess.run(
            [sys.executable, *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )

    @property
    def database(self) -> Path:
        """Where instance/config.py puts the development database."""
        return self.folder / "instance" / "intake.sqlite3"

    @contextmanager
    def context(self) -> Iterator[None]:
        """An app context on the copy's database."""
        with self.app.app_context():
            yield


# --- What some commands need in the database first ----------------------------------------
# Each returns values for the command's placeholders.


def stopped_messages(copy: Copy, command: ReadmeCommand) -> dict[str, Sequence[str]]:
    """As many stopped e-mails as the command has ID placeholders, on a seeded referral."""
    with copy.context():
        referral = db.session.scalar(select(Referral).order_by(Referral.id).limit(1))
        messages = [
            OutboxMessage(
                kind="acknowledgement",
                referral=referral,
                recipients=["claire.dubois@example.org"],
                attempts=1,
                stopped_at=utcnow(),
                last_error="address_refused: 550 5.1.1 mailbox unknown",
            )
            for _ in range(command.words.count("ID"))
        ]
        db.session.add_all(messages)
        db.session.commit()
        return {"ID": [str(message.id) for message in messages]}


def a_bounce_mailbox(copy: Copy, command: ReadmeCommand) -> dict[str, Sequence[str]]:
    """A Maildir in the copy holding one new message, a reply that is no bounce."""
    mailbox = copy.folder / "bounces"
    for sub in ("new", "cur", "tmp"):
        (mailbox / sub).mkdir(parents=True, exist_ok=True)
    (mailbox / "new" / "1.reply").write_text(
        "From: parent@example.org\nSubject: Re: Votre demande\n\nMerci.\n", encoding="utf-8"
    )
    return {"MAILDIR": ["bounces"]}


def a_read(copy: Copy, command: ReadmeCommand) -> dict[str, Sequence[str]]:
    """The demo coordinator displayed a referral."""
    with copy.context():
        user = db.session.scalar(select(User).where(User.email == DEMO_EMAIL))
        reference = db.session.scalar(select(Referral.reference).order_by(Referral.id).limit(1))
        record_read(user, ReadKind.DETAIL, [reference])
    return {"REFERENCE": [reference], "EMAIL": [DEMO_EMAIL]}


def daily_alerts(copy: Copy, command: ReadmeCommand) -> dict[str, Sequence[str]]:
    """The demo coordinator chose the daily digest under "Mes alertes"."""
    with copy.context():
        db.session.execute(update(User).where(User.email == DEMO_EMAIL).values(alerts="daily"))
        db.session.commit()
    return {}


# --- Commands that run until stopped ----------------------------------------------------------


@dataclass
class Served:
    """A long-running command: its process, its output so far, the port it was given."""

    process: subprocess.Popen
    log: Path
    port: int

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, check: Callable[[], bool], what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if self.process.poll() is not None:
                raise AssertionError(f"exited with {self.process.returncode} before {what}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} within {timeout} s")
            time.sleep(0.1)


def answers_health(served: Served) -> None:
    """The development server answers GET /healthz with 200."""

    def healthy() -> bool:
        url = f"http://127.0.0.1:{served.port}/healthz"
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - our server
                return answer.status == 200 and b'"ok"' in answer.read()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    served.wait_for(healthy, "200 on /healthz")


def keeps_working(served: Served) -> None:
    """The worker starts, then keeps running for a moment without an error."""
    served.wait_for(lambda: "outbox worker running" in served.output(), "its start line")
    time.sleep(1)
    if served.process.poll() is not None:
        raise AssertionError(f"exited with {served.process.returncode} a second after starting")


# --- The table ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Way:
    """How to run one of README.md's commands, and what its output must show.

    Commands run phase after phase. Within a phase each lane runs its commands one after the
    other (in COMMANDS' order, then README.md's), beside the other lanes.
    """

    phase: int
    # A regular expression (multi-line) that stdout and stderr together must match, or what
    # gives it from the command's arguments.
    shows: str | Callable[[Sequence[str]], str]
    lane: str = ""
    # The placeholders' values (BAN_FILE, EMAIL…), taken in turn where one occurs twice;
    # file names are relative to the copy, where the command runs.
    values: Mapping[str, Sequence[str]] = field(default_factory=dict)
    stdin: str = ""
    env: Mapping[str, str] = field(default_factory=dict)
    # Runs in this process before the command; returns more placeholder values.
    prepare: Callable[[Copy, ReadmeCommand], Mapping[str, Sequence[str]]] | None = None
    # For a command that runs until stopped: checked while it runs, then it gets SIGTERM.
    serve: Callable[[Served], None] | None = None
    # Arguments added to the README's: `{port}` is a free port.
    extra: tuple[str, ...] = ()
    # Serve the official open-data files from a loopback server, at the FLASK_INTAKE_OPENDATA_*
    # addresses: a command that downloads them never reaches the internet.
    opendata: bool = False


def with_write(dry_run: str, written: str) -> Callable[[Sequence[str]], str]:
    """What a command that writes only with --write shows without it, and with it."""
    return lambda arguments: written if "--write" in arguments else dry_run


COMMANDS: dict[str, Way] = {
    "db upgrade": Way(1, r"Running upgrade .* -> 0001"),
    # One writer at a time on the SQLite file in this phase: the seed's transaction is long.
    "users create": Way(
        2,
        r"^Created coordinator account \S+@\S+\.$",
        lane="database",
        values={"EMAIL": [DEMO_EMAIL]},
        stdin=TWICE,
    ),
    "dev seed": Way(
        2,
        r"^Added \d+ fictional referrals in [\d.]+ s \(seed \d+\)\.$",
        lane="database",
        values={"N": ["20"], "S": ["7"]},
    ),
    "territory import-addresses": Way(
        2,
        with_write(
            r"^Nothing written: run again with --write to rewrite the streets of QN06255M\.$",
            r"^Wrote the streets of QN06255M to \S+/instance/territory\.sample\.toml\.$",
        ),
        lane="territory",
        values={
            "BAN_FILE": ["tests/data/ban-lillers.csv"],
            "QPV_FILE": ["tests/data/qpv-2024-lillers-bethune.geojson"],
        },
    ),
    "territory check": Way(
        2,
        # After `import-addresses --write`: the street is in the QPV.
        r"^1[28] rue Neuve, 62190\n  read as: .*\n  residence: qpv$",
        lane="territory",
        values={"ADDRESS": ["12 rue Neuve, 62190"]},
    ),
    # After `check`: the build rewrites the streets the import wrote, and adds the schools.
    "territory build": Way(
        2,
        with_write(
            r"^Nothing written: run again with --write to rewrite \S+\.$",
            r"^Wrote \S+/instance/territory\.sample\.toml\. Restart the app",
        ),
        lane="territory",
        values={
            "INSEE": ["62516"],
            "FILE": [
                "tests/data/ban-lillers.csv",
                "tests/data/qpv-2024-lillers-bethune.geojson",
                "tests/data/fr-en-annuaire-education-lillers.csv",
            ],
        },
        opendata=True,
    ),
    "territory import-schools": Way(
        2,
        with_write(
            r"^Nothing written: run again with --write to replace the schools of \S+\.$",
            r"^Wrote \d+ schools to tests/territory\.toml\. Restart the app",
        ),
        # The school directory fixture's communes (Testville, Autreville), as README.md says:
        # "with FLASK_INTAKE_TERRITORY pointing at your file".
        env={"FLASK_INTAKE_TERRITORY": "tests/territory.toml"},
        values={"DIRECTORY_FILE": ["tests/data/fr-en-annuaire-education.csv"], "INSEE": ["62902"]},
    ),
    "users set-password": Way(
        3,
        rf"^New password set for {DEMO_EMAIL}; its other sessions are ended\.$",
        lane="users",
        values={"EMAIL": [DEMO_EMAIL]},
        stdin=TWICE,
    ),
    "users list": Way(3, rf"^{DEMO_EMAIL}\tcoordinator\tactive\tlast login never$", lane="users"),
    "users set-role": Way(
        3, rf"^{DEMO_EMAIL} is now coordinator\.$", lane="users", values={"EMAIL": [DEMO_EMAIL]}
    ),
    "users reset-link": Way(
        3,
        r"^http://127\.0\.0\.1:5000/\S+\nValid for 24 hours and once",
        lane="users",
        values={"EMAIL": [DEMO_EMAIL]},
    ),
    "users deactivate": Way(
        3,
        rf"^Deactivated {SECOND_EMAIL}; its sessions are ended\.$",
        lane="users",
        values={"EMAIL": [SECOND_EMAIL]},
    ),
    "audit reads": Way(3, rf"^\S+  {DEMO_EMAIL}  detail  PRE-\d{{4}}-\d{{5}}$", prepare=a_read),
    "stats anct": Way(
        3,
        # FILE.xlsx is written as it is named, in the copy.
        r"^Wrote FILE\.xlsx: 2026-01-01 to 2026-12-31, \d+ referrals received, \d+ "
        r"children supported, counts from 1 to 4 masked\.$",
        values={"YYYY": ["2026"]},
    ),
    "retention purge": Way(3, r"^would anonymise \d+ referral\(s\), \d+ child\(ren\): names"),
    "outbox retry": Way(3, r"^\d+ messages? put back$", lane="outbox", prepare=stopped_messages),
    "outbox digest": Way(
        3,
        rf"^digest queued for {DEMO_EMAIL}: .*\n1 digest queued$",
        lane="outbox",
        prepare=daily_alerts,
    ),
    "outbox send": Way(3, r"^sent [1-9]\d*, failed 0, pending 0$", lane="outbox"),
    "outbox status": Way(
        3, r"^pending 0 \(due now 0, retrying 0\), sent [1-9]\d*, stopped 0$", lane="outbox"
    ),
    "outbox bounces": Way(
        3,
        r"^bounces: 1 new message read, 0 outbox messages stopped$",
        lane="outbox",
        prepare=a_bounce_mailbox,
    ),
    "run": Way(
        4, r"Running on http://127\.0\.0\.1:\d+", serve=answers_health, extra=("--port", "{port}")
    ),
    "outbox work": Way(4, r"^outbox worker stopped$", serve=keeps_working),
}


def way_of(command: ReadmeCommand) -> tuple[str, Way] | None:
    """The entry of COMMANDS that names the command: its longest leading words listed."""
    words = command.command_words
    for count in range(len(words), 0, -1):
        name = " ".join(words[:count])
        if name in COMMANDS:
            return name, COMMANDS[name]
    return None


def unknown(commands: list[ReadmeCommand]) -> list[str]:
    """What to say of each command that COMMANDS does not know."""
    return [
        f"{command.where()}: no entry in COMMANDS of {Path(__file__).name} for "
        f"{' '.join(command.command_words)!r}: add one, saying how to run it and what it shows"
        for command in commands
        if way_of(command) is None
    ]


def arguments(command: ReadmeCommand, values: Mapping[str, Sequence[str]]) -> list[str]:
    """The command's words with their placeholders filled, each occurrence the next value."""
    used: dict[str, int] = {}
    filled = []
    for word in command.words:
        if not PLACEHOLDER.fullmatch(word):
            filled.append(word)
            continue
        given = values.get(word)
        if not given:
            raise AssertionError(f"{command.where()}: give {word} a value in COMMANDS")
        index = used[word] = used.get(word, -1) + 1
        filled.append(given[min(index, len(given) - 1)])
    return filled


# --- Running them -----------------------------------------------------------------------------


def run_command(copy: Copy, command: ReadmeCommand, way: Way) -> str | None:
    """Run one command as README.md prints it; a problem, or None when it did as expected."""
    values = dict(way.values)
    if way.prepare is not None:
        values.update(way.prepare(copy, command))
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "flask",
        "--app",
        "wsgi",
        *arguments(command, values),
        *(word.format(port=port) for word in way.extra),
    ]
    env = {**copy.env, **way.env}
    with opendata_served(way.opendata) as addresses:
        env.update(addresses)
        output, problem = run_argv(copy, command, way, argv, env, port)
    shows = way.shows if isinstance(way.shows, str) else way.shows(argv)
    if problem is None and "Traceback (most recent call last)" in output:
        problem = "it printed a traceback"
    if problem is None and not re.search(shows, output, re.MULTILINE):
        problem = f"its output does not match {shows!r}"
    if problem is None:
        return None
    return f"{command.where()}\n  ran: {' '.join(argv[2:])}\n  {problem}; output:\n{output}"


OPENDATA = {
    "/adresses-62.csv.gz": gzip.compress((DATA / "ban-lillers.csv").read_bytes()),
    "/qpv.geojson": (DATA / "qpv-2024-lillers-bethune.geojson").read_bytes(),
    "/annuaire-62516.csv": (DATA / "fr-en-annuaire-education-lillers.csv").read_bytes(),
}


@contextmanager
def opendata_served(wanted: bool) -> Iterator[dict[str, str]]:
    """The FLASK_INTAKE_OPENDATA_* settings of a loopback server of the fixtures, if wanted."""
    if not wanted:
        yield {}
        return
    with serving_files(OPENDATA) as server:
        yield {
            "FLASK_INTAKE_OPENDATA_BAN_URL": server.url("/adresses-{departement}.csv.gz"),
            "FLASK_INTAKE_OPENDATA_QPV_URL": server.url("/qpv.geojson"),
            "FLASK_INTAKE_OPENDATA_SCHOOLS_URL": server.url("/annuaire-{insee}.csv"),
        }


def run_argv(
    copy: Copy, command: ReadmeCommand, way: Way, argv: list[str], env: dict, port: int
) -> tuple[str, str | None]:
    """Run the command's process: its output, and what went wrong (None if nothing)."""
    if way.serve is not None:
        output, problem = serve(copy, argv, env, way, port)
    else:
        done = subprocess.run(
            argv,
            cwd=copy.folder,
            env=env,
            input=command.stdin if command.stdin is not None else way.stdin,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        output = done.stdout + done.stderr
        problem = f"exited with {done.returncode}" if done.returncode else None
    return output, problem


def serve(copy: Copy, argv: list[str], env: dict, way: Way, port: int) -> tuple[str, str | None]:
    """Start a command that runs until stopped, check it, stop it as an operator would."""
    log = copy.folder / f"served-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, cwd=copy.folder, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )
    served = Served(process, log, port)
    problem = None
    try:
        way.serve(served)
    except AssertionError as error:
        problem = str(error)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            problem = problem or "did not stop within 20 s of SIGTERM"
    return served.output(), problem


def run_in_lanes(copy: Copy, planned: list[tuple[ReadmeCommand, str, Way]]) -> list[str]:
    """Run the commands phase after phase, the lanes of a phase side by side."""
    order = list(COMMANDS)
    problems: list[str] = []
    for phase in sorted({way.phase for _, _, way in planned}):
        lanes: dict[str, list[tuple[ReadmeCommand, Way]]] = {}
        for command, name, way in sorted(
            (item for item in planned if item[2].phase == phase),
            key=lambda item: (order.index(item[1]), item[0].line),
        ):
            lanes.setdefault(way.lane or name, []).append((command, way))

        def run_lane(lane: list[tuple[ReadmeCommand, Way]]) -> list[str]:
            results = (run_command(copy, command, way) for command, way in lane)
            return [problem for problem in results if problem]

        with ThreadPoolExecutor(max_workers=len(lanes)) as pool:
            for lane_problems in pool.map(run_lane, lanes.values()):
                problems.extend(lane_problems)
    return problems


@pytest.fixture(scope="module")
def printed() -> list[ReadmeCommand]:
    return readme_commands(README.read_text(encoding="utf-8"))


def test_every_command_the_readme_prints_is_in_the_table(printed):
    assert unknown(printed) == []
    # The ones everybody reaches for, so that a change to the reading cannot lose them all.
    names = {way_of(command)[0] for command in printed}
    assert {"db upgrade", "users set-password", "dev seed", "territory check"} <= names


def test_every_command_the_readme_prints_works_as_printed_in_a_fresh_checkout(printed, tmp_path):
    assert unknown(printed) == []
    sink = SmtpSink()
    copy = Copy(copy_checkout(tmp_path / "checkout"), sink.port)
    sink.start()
    try:
        # As `make` does after its first install.
        written = copy.python("-m", "intake.dev.instance_config")
        config = copy.folder / "instance" / "config.py"
        assert written.stdout.startswith(f"Wrote {config}:"), written.stdout + written.stderr
        # The same command twice (`db upgrade` in the table and under Production) runs once.
        planned, seen = [], set()
        for command in printed:
            key = (command.words, command.stdin)
            if key not in seen:
                seen.add(key)
                planned.append((command, *way_of(command)))
        problems = run_in_lanes(copy, planned)
    finally:
        release(copy.app)
        sink.stop()
    assert problems == [], "\n\n".join(problems)
    # The copy's own `intake` ran, with the instance folder beside it and the database there.
    assert copy.database.is_file()
    # `outbox send` delivered what `outbox retry` and `outbox digest` put in the queue.
    assert sink.envelopes


@pytest.mark.parametrize(
    ("text", "words", "stdin"),
    [
        (
            ".venv/bin/flask --app wsgi dev seed --count 1000",
            ("dev", "seed", "--count", "1000"),
            None,
        ),
        (
            "flask --app wsgi users create EMAIL [--role coordinator\\|viewer]",
            ("users", "create", "EMAIL", "--role", "coordinator"),
            None,
        ),
        (
            "printf 'pw-long-enough\\npw-long-enough\\n' \\| flask --app wsgi users create a@b.fr",
            ("users", "create", "a@b.fr"),
            "pw-long-enough\npw-long-enough\n",
        ),
        ("flask --app wsgi outbox retry ID [ID …]", ("outbox", "retry", "ID", "ID"), None),
        (
            "0 7 * * 1-5 cd /srv/pre && .venv/bin/flask --app wsgi outbox digest",
            ("outbox", "digest"),
            None,
        ),
        (
            'flask --app wsgi territory check "12 rue Neuve, 62190" "3 rue …, 62190"',
            ("territory", "check", "12 rue Neuve, 62190", "3 rue …, 62190"),
            None,
        ),
    ],
)
def test_a_printed_command_is_read_as_a_shell_would_run_it(text, words, stdin):
    command = parse_command(1, text)
    assert (command.words, command.stdin) == (words, stdin)


def test_commands_are_found_in_spans_and_fenced_blocks_in_order():
    markdown = (
        "Run `flask --app wsgi users list`, then:\n\n"
        "```sh\n.venv/bin/flask --app wsgi db upgrade   # first\n```\n\n"
        "| `flask --app wsgi outbox send` | and `outbox retry --all-stopped` |\n"
        "every `flask --app wsgi …` command\n"
    )
    found = [(command.line, command.words) for command in readme_commands(markdown)]
    assert found == [(1, ("users", "list")), (4, ("db", "upgrade")), (7, ("outbox", "send"))]
