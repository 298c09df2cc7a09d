"""Fixtures: an app on a fresh database per test, a real SMTP server, staff accounts."""

from __future__ import annotations

import os
import smtplib
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from intake import create_app
from intake.auth.operations import create_user
from intake.extensions import db

HERE = Path(__file__).parent
TERRITORY = HERE / "territory.toml"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
PASSWORD = "correct horse battery"

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
    "INTAKE_BASE_URL": "https://pre.testville.example",
    "INTAKE_NOTIFY": "",
}


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A database of this test's own: a SQLite file, or a PostgreSQL schema dropped after."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(TEST_DATABASE_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(TEST_DATABASE_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def make_app(database_url: str):
    """Build an app on this test's database, with the migrations applied, and dispose it after."""
    apps = []

    def factory(**overrides):
        app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **overrides})
        with app.app_context():
            if not apps:
                upgrade()
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    """The application under test, CSRF off (end-to-end tests turn it on)."""
    return make_app()


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

        return [message_from_bytes(env.original_content, policy=policy.default) for env in self.envelopes]


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


@pytest.fixture
def smtp(app) -> Iterator[SmtpSink]:
    """A running SMTP server, and the app's Flask-Mail pointed at it."""
    sink = SmtpSink()
    sink.start()
    app.extensions["mail"].server = "127.0.0.1"
    app.extensions["mail"].port = sink.port
    try:
        yield sink
    finally:
        sink.stop()
        ALLOWED_SMTP.discard(("127.0.0.1", sink.port))
