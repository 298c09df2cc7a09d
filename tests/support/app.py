"""The tests' app settings, databases and staff sign-in, shared by conftest and the tests."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from intake import create_app
from intake.extensions import db, limiter

TESTS = Path(__file__).parents[1]
TERRITORY = TESTS / "territory.toml"
# Lillers, the territory the app reads when told of none (intake/config.py's default).
SAMPLE_TERRITORY = TESTS.parent / "instance" / "territory.sample.toml"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
PASSWORD = "correct horse battery"

# The read log's tables: every display of a referral is recorded, the page that answers a
# refused change included. Tests that show a refused request changed nothing leave them out
# (tests/triage/test_read_log.py checks what they record).
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


class TemplateCache(BytecodeCache):
    """Compiled templates kept in memory for every app a test process builds: each new app's
    first pages would otherwise parse and compile their templates again."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if (code := self.compiled.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = TemplateCache()


def run_script(script: str, **env: str) -> subprocess.CompletedProcess:
    """Run `script` in a Python of its own from the checkout, configured by `env` alone (none
    of this process's FLASK_* variables but FLASK_APP): the app as `wsgi.py` builds it there."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("FLASK_") or key == "FLASK_APP"
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=TESTS.parent,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def flask_cli(
    *args: str, env: dict[str, str], stdin: str = "", timeout: float = 120
) -> subprocess.CompletedProcess:
    """Run `flask --app wsgi …` from the checkout in a process of its own, as an operator
    would, with exactly the environment `env`."""
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=TESTS.parent,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def build_app(url: str, **overrides) -> Flask:
    """The app on the database at `url`, with the tests' configuration and `overrides`."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url, **overrides})
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    return app


def migrate_to_head(url: str) -> None:
    """Apply the Alembic migrations to the database at `url`, as `flask db upgrade` does."""
    app = build_app(url)
    with app.app_context():
        upgrade()
        db.engine.dispose()


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


def release(app) -> None:
    """Close the app's session and its connections: the next test's database replaces the
    file they were open on (SQLite), or must not wait on their locks (PostgreSQL)."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@contextmanager
def lent(app: Flask) -> Iterator[Flask]:
    """A process-wide app lent to one test: whatever the test changes of its configuration,
    territory or mail server is put back after it, and its connections are closed; it starts
    with no figures kept from another test's database."""
    config = dict(app.config)
    territory = app.extensions["territory"]
    mail = app.extensions["mail"]
    mail_server = (mail.server, mail.port)
    # Flask-Limiter keeps `enabled` on its one global object, set by the last app built: a
    # test's own app with limits on would otherwise leave them on for this one.
    limiter.enabled = bool(app.config["RATELIMIT_ENABLED"])
    # The figures this process kept were counted from the last test's database, which this
    # test's replaces: in production a database never changes under its app this way.
    app.extensions.pop("statistics_counts", None)
    try:
        yield app
    finally:
        release(app)
        app.config.clear()
        app.config.update(config)
        app.extensions["territory"] = territory
        mail.server, mail.port = mail_server
