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
import shutil
import smtplib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from intake import INSTANCE_PATH_VARIABLE
from intake.auth.operations import create_user
from intake.extensions import db
from tests.support.app import (
    PASSWORD,
    SAMPLE_TERRITORY,
    TERRITORY,
    TEST_DATABASE_URL,
    build_app,
    lent,
    login,
    migrate_to_head,
    migrated_database,
    release,
)
from tests.support.catalogues import compile_catalogues
from tests.support.smtp import ALLOWED_SMTP, SmtpSink, serving

# The scale tests (`@pytest.mark.scale`: 100,000 referrals, minutes each) run only when asked,
# by `make scale` (CI runs it after the two suites).
SCALE = os.environ.get("INTAKE_SCALE", "") not in ("", "0")


def pytest_configure(config):
    # The English pages need the compiled catalogues, which are not committed.
    compile_catalogues()


def pytest_collection_modifyitems(config, items):
    if SCALE:
        return
    skip = pytest.mark.skip(reason="a scale test: INTAKE_SCALE=1 runs it (make scale)")
    for item in items:
        if "scale" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def tests_instance(tmp_path_factory) -> Iterator[Path]:
    """The instance folder of every app the tests build, here or in a process they start
    (gunicorn, `flask --app wsgi …`, `make run`'s server): the checkout's as a fresh clone has
    it, the sample territory and no config.py. The one `make` wrote for the developer, with a
    secret key and a database, must change nothing the tests see, above all not whether
    production refuses to start."""
    folder = tmp_path_factory.mktemp("instance")
    shutil.copyfile(SAMPLE_TERRITORY, folder / SAMPLE_TERRITORY.name)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(INSTANCE_PATH_VARIABLE, str(folder))
        yield folder


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file migrated once per process; each database starts as a copy of it."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    migrate_to_head(f"sqlite:///{path}")
    return path


class WorkerDatabase:
    """This process's migrated database, emptied by `reset()` before each test."""

    def __init__(self, url: str, template: Path | None) -> None:
        self.url = url
        self.template = template
        self.tables: list[str] = []
        if TEST_DATABASE_URL:
            self.engine = create_engine(url)
            # Every table the migrations made, but the one recording the revision.
            names = inspect(self.engine).get_table_names()
            self.tables = [name for name in names if name != "alembic_version"]

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
            # A connection the last test left open in a transaction would make TRUNCATE wait
            # for ever: fail this test with PostgreSQL's message instead of hanging the run.
            conn.execute(text("SET LOCAL lock_timeout = '20s'"))
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


@pytest.fixture(scope="session")
def shared_app(worker_database: WorkerDatabase):
    """The process's app on its database, with the tests' configuration."""
    app = build_app(worker_database.url)
    yield app
    release(app)


@pytest.fixture
def make_app(database_url: str):
    """Build apps on this test's (migrated) database, and dispose their engines after."""
    apps = []

    def factory(**overrides):
        app = build_app(database_url, **overrides)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        release(app)


@pytest.fixture
def app(shared_app, database_url: str):
    """The application under test, CSRF off (end-to-end tests turn it on): the process's app,
    whatever the test changes of it put back after."""
    with lent(shared_app):
        yield shared_app


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


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the test process; each test opens its own context.

    Here rather than in tests/browser: Playwright's sync API runs an event loop for as long
    as it is open, so a second `sync_playwright()` in the same process (the HTTPS tests')
    would fail once a browser test has started this one."""
    from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, SKIP_REASON

    if not CHROMIUM.exists():
        pytest.skip(SKIP_REASON)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def forbid_stray_smtp(monkeypatch):
    """Fail any test that talks to an SMTP server it did not start."""
    real_connect = smtplib.SMTP.connect

    def guarded_connect(self, host="localhost", port=0, source_address=None):
        if (host, int(port)) not in ALLOWED_SMTP:
            pytest.fail(f"test tried to reach an SMTP server it did not start: {host}:{port}")
        return real_connect(self, host, port, source_address)

    monkeypatch.setattr(smtplib.SMTP, "connect", guarded_connect)


@pytest.fixture
def smtp(app) -> Iterator[SmtpSink]:
    """A running SMTP server, and the app's Flask-Mail pointed at it."""
    with serving(app, SmtpSink()) as sink:
        yield sink
