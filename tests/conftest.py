"""Fixtures: one app and one migrated database per test process, emptied before each test; a
real SMTP server; staff accounts.

Building an app costs little, but its first pages compile every template and URL rule again
(about a quarter of a page test's time), and migrating a PostgreSQL schema costs a second. So
each process (pytest-xdist runs one per CPU) builds one app on one database of its own, and
each test starts from that database emptied: a copy of the migrated SQLite file put back, or
PostgreSQL's tables truncated. The app's configuration, territory and mail settings are put
back after each test, so a test that changes them changes nothing for the next one.
"""

from __future__ import annotations

import os
import re
import shutil
import smtplib
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from intake import create_app
from intake.auth.operations import create_user
from intake.extensions import db, limiter

HERE = Path(__file__).parent
TERRITORY = HERE / "territory.toml"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
PASSWORD = "correct horse battery"

# The read log's tables: every display of a referral is recorded, the page that answers a
# refused change included. Tests that show a refused request changed nothing leave them out
# (tests/test_read_log.py checks what they record).
READ_LOG_TABLES = frozenset({"read_event", "read_referral"})

BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "INTAKE_TERRITORY": str(TERRITORY),
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    # Port 9 (discard) is closed here: mail reaching it without an `smtp` fixture fails loudly.
    "MAIL_SERVER": "127.0.0.1",
    "MAIL_PORT": 9,
    "MAIL_DEFAULT_SENDER": "pre@testville.example",
    # Flask-Mail swallows mail under TESTING; these tests want it to reach a real server.
    "MAIL_SUPPRESS_SEND": False,
    "INTAKE_BASE_URL": "https://pre.testville.example",
    "INTAKE_NOTIFY": "",
    # scrypt costs ~0.2 s a hash; tests hash often and check hashing, not its cost.
    "INTAKE_PASSWORD_METHOD": "pbkdf2:sha256:1000",
}


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def migrate_to_head(url: str) -> None:
    """Apply the Alembic migrations to the database at `url`, as `flask db upgrade` does."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file migrated once per process; each database starts as a copy of it."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    migrate_to_head(f"sqlite:///{path}")
    return path


def schema_url(schema: str) -> str:
    """TEST_DATABASE_URL with `schema` first on PostgreSQL's search path."""
    url = make_url(TEST_DATABASE_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@contextmanager
def migrated_database(directory: Path, template: Path | None, prefix: str) -> Iterator[str]:
    """A migrated database for as long as the block lasts: a copy of the migrated SQLite
    `template` in `directory`, or a PostgreSQL schema of its own, dropped at the end."""
    if not TEST_DATABASE_URL:
        path = directory / f"{prefix}.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    schema = f"{prefix}_{uuid.uuid4().hex[:16]}"
    admin = create_engine(TEST_DATABASE_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = schema_url(schema)
    try:
        migrate_to_head(url)
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


class WorkerDatabase:
    """This process's migrated database, emptied by `reset()` before each test."""

    def __init__(self, url: str, template: Path | None) -> None:
        self.url = url
        self.template = template
        self.tables: list[str] = []
        if TEST_DATABASE_URL:
            engine = create_engine(url)
            # Every table the migrations made, but the one recording the revision.
            names = inspect(engine).get_table_names()
            self.tables = [name for name in names if name != "alembic_version"]
            engine.dispose()
            self.engine = create_engine(url)

    def reset(self) -> None:
        """Bring the database back to just-migrated: no row, every counter at its start."""
        if self.template is not None:
            path = Path(make_url(self.url).database)
            for leftover in (
                path.with_name(path.name + "-wal"),
                path.with_name(path.name + "-shm"),
            ):
                leftover.unlink(missing_ok=True)
            shutil.copyfile(self.template, path)
            return
        tables = ", ".join(f'"{name}"' for name in self.tables)
        with self.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def worker_database(tmp_path_factory, request) -> Iterator[WorkerDatabase]:
    """This process's database: a SQLite file, or a PostgreSQL schema dropped at the end."""
    # The SQLite template is only made when the tests run on SQLite.
    template = None if TEST_DATABASE_URL else request.getfixturevalue("sqlite_template")
    directory = tmp_path_factory.mktemp("worker")
    with migrated_database(directory, template, "worker") as url:
        database = WorkerDatabase(url, template)
        yield database
        if TEST_DATABASE_URL:
            database.engine.dispose()


@pytest.fixture
def database_url(worker_database: WorkerDatabase) -> str:
    """A migrated database holding nothing, this test's own until it ends."""
    worker_database.reset()
    return worker_database.url


@pytest.fixture
def territory_copy(tmp_path) -> Path:
    """A copy of the test territory, for commands that rewrite the territory file."""
    path = tmp_path / "territory.toml"
    path.write_bytes(TERRITORY.read_bytes())
    return path


def release(app) -> None:
    """Close the app's session and its connections: the next test's database replaces the
    file they were open on (SQLite), or must not wait on their locks (PostgreSQL)."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def shared_app(worker_database: WorkerDatabase):
    """The process's app on its database, with the tests' configuration."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": worker_database.url})
    yield app
    release(app)


@pytest.fixture
def make_app(database_url: str):
    """Build apps on this test's (migrated) database, and dispose their engines after."""
    apps = []

    def factory(**overrides):
        app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **overrides})
        apps.append(app)
        return app

    yield factory
    for app in apps:
        release(app)


@pytest.fixture
def app(shared_app, database_url: str):
    """The application under test, CSRF off (end-to-end tests turn it on): the process's app,
    whatever the test changes of its configuration, territory or mail server put back after."""
    config = dict(shared_app.config)
    territory = shared_app.extensions["territory"]
    mail = shared_app.extensions["mail"]
    mail_server = (mail.server, mail.port)
    # Flask-Limiter keeps `enabled` on its one global object, set by the last app built: a
    # test's own app with limits on would otherwise leave them on for this one.
    limiter.enabled = bool(shared_app.config["RATELIMIT_ENABLED"])
    yield shared_app
    release(shared_app)
    shared_app.config.clear()
    shared_app.config.update(config)
    shared_app.extensions["territory"] = territory
    mail.server, mail.port = mail_server


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def users(app) -> dict[str, str]:
    """A coordinator and a viewer account; returns their e-mails by role."""
    with app.app_context():
        create_user("coord@testville.example", PASSWORD, "coordinator")
        create_user("viewer@testville.example", PASSWORD, "viewer")
        db.session.commit()
    return {"coordinator": "coord@testville.example", "viewer": "viewer@testville.example"}


def login(client, email: str, password: str = PASSWORD):
    """Log `client` in through the real form."""
    return client.post("/connexion", data={"email": email, "password": password})


VERSION_INPUT = re.compile(r'name="version" type="hidden" value="(\d+)"')


def post_change(client, reference: str, action: str = "status", **data):
    """POST one of a referral's change forms (`status`, `notes`, `agreement`…) as its page
    would: with the version the detail page shows right now."""
    page = client.get(f"/triage/{reference}").get_data(as_text=True)
    found = VERSION_INPUT.search(page)
    data.setdefault("version", found.group(1) if found else "")
    return client.post(f"/triage/{reference}/{action}", data=data)


@pytest.fixture
def coordinator(client, users):
    """`client`, logged in as a coordinator."""
    assert login(client, users["coordinator"]).status_code == 303
    return client


@pytest.fixture
def viewer(client, users):
    """`client`, logged in as a viewer."""
    assert login(client, users["viewer"]).status_code == 303
    return client


class SmtpSink:
    """A real SMTP server on a loopback port, keeping what it receives."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.envelopes: list = []
        self.controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        ALLOWED_SMTP.add(("127.0.0.1", self.port))

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def messages(self):
        """The received messages, parsed."""
        from email import message_from_bytes, policy

        return [
            message_from_bytes(env.original_content, policy=policy.default)
            for env in self.envelopes
        ]


ALLOWED_SMTP: set[tuple[str, int]] = {("127.0.0.1", 9)}


@pytest.fixture(autouse=True)
def forbid_stray_smtp(monkeypatch):
    """Fail any test that talks to an SMTP server it did not start."""
    real_connect = smtplib.SMTP.connect

    def guarded_connect(self, host="localhost", port=0, source_address=None):
        if (host, int(port)) not in ALLOWED_SMTP:
            pytest.fail(f"test tried to reach an SMTP server it did not start: {host}:{port}")
        return real_connect(self, host, port, source_address)

    monkeypatch.setattr(smtplib.SMTP, "connect", guarded_connect)


@contextmanager
def serving(app, sink: SmtpSink) -> Iterator[SmtpSink]:
    """Run `sink` with the app's Flask-Mail pointed at it, for as long as the block lasts."""
    sink.start()
    app.extensions["mail"].server = "127.0.0.1"
    app.extensions["mail"].port = sink.port
    try:
        yield sink
    finally:
        sink.stop()
        ALLOWED_SMTP.discard(("127.0.0.1", sink.port))


@pytest.fixture
def smtp(app) -> Iterator[SmtpSink]:
    """A running SMTP server, and the app's Flask-Mail pointed at it."""
    with serving(app, SmtpSink()) as sink:
        yield sink
