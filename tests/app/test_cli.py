"""The command line of the contract: `db upgrade`, `users create`."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from intake.auth.operations import authenticate
from intake.extensions import db
from intake.models import User
from tests.support.app import TERRITORY, TEST_DATABASE_URL, TESTS, flask_cli


def test_users_create_reads_the_password_twice_from_stdin(app, runner):
    result = runner.invoke(
        args=["users", "create", "Anne@Testville.example"],
        input="s3cret-passw0rd\ns3cret-passw0rd\n",
    )
    assert result.exit_code == 0, result.output
    assert "anne@testville.example" in result.output
    with app.app_context():
        user = db.session.scalar(select(User))
        assert (user.email, user.role) == ("anne@testville.example", "coordinator")
        assert "s3cret" not in user.password_hash
        assert authenticate("anne@testville.example", "s3cret-passw0rd") is not None


def test_users_create_with_viewer_role(app, runner):
    result = runner.invoke(
        args=["users", "create", "v@testville.example", "--role", "viewer"],
        input="another-password\nanother-password\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(User.role)) == "viewer"


def test_users_create_refuses_different_passwords(app, runner):
    result = runner.invoke(
        args=["users", "create", "a@testville.example"], input="first-password\nsecond-password\n"
    )
    assert result.exit_code != 0
    assert "differ" in result.output
    with app.app_context():
        assert db.session.scalar(select(User)) is None


def test_users_create_refuses_a_duplicate_and_a_short_password(app, runner):
    runner.invoke(
        args=["users", "create", "a@testville.example"], input="long-enough-pw\nlong-enough-pw\n"
    )
    duplicate = runner.invoke(
        args=["users", "create", "A@testville.example"], input="long-enough-pw\nlong-enough-pw\n"
    )
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output
    short = runner.invoke(args=["users", "create", "b@testville.example"], input="short\nshort\n")
    assert short.exit_code != 0 and "at least" in short.output
    bad_role = runner.invoke(
        args=["users", "create", "c@testville.example", "--role", "admin"],
        input="long-enough-pw\nlong-enough-pw\n",
    )
    assert bad_role.exit_code != 0
    with app.app_context():
        assert [u.email for u in db.session.scalars(select(User))] == ["a@testville.example"]


def test_db_upgrade_and_users_create_from_a_shell(tmp_path):
    """The contract's commands, in a fresh process, on an empty SQLite database."""
    database = tmp_path / "intake.sqlite3"
    env = {
        **os.environ,
        "FLASK_SECRET_KEY": "cli-test-key",
        "FLASK_SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "FLASK_INTAKE_TERRITORY": str(TERRITORY),
        # Production's commands that write links need the site's address (`outbox send`).
        "FLASK_INTAKE_BASE_URL": "https://pre.testville.example",
    }
    env.pop("FLASK_DEBUG", None)
    upgrade = flask_cli("db", "upgrade", env=env)
    assert upgrade.returncode == 0, upgrade.stderr
    tables = set(inspect(create_engine(f"sqlite:///{database}")).get_table_names())
    assert {
        "referral",
        "child",
        "status_change",
        "outbox_message",
        "user",
        "alembic_version",
    } <= tables
    created = flask_cli(
        "users", "create", "a@b.fr", env=env, stdin="pw-long-enough\npw-long-enough\n"
    )
    assert created.returncode == 0, created.stderr
    sent = flask_cli("outbox", "send", env=env)
    assert sent.returncode == 0 and "sent 0" in sent.stdout


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="a database's extensions are PostgreSQL's")
def test_three_upgrades_at_once_on_a_fresh_database(tmp_path):
    """Three `flask db upgrade` at once on a database that has never held pg_trgm (the suite's
    workers on a fresh CI machine, or app containers starting together): each ends migrated.

    Without the lock of migration 0004 the later ones fail on the extension's unique name."""
    name = f"intake_fresh_{uuid.uuid4().hex[:12]}"
    admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    fresh = make_url(TEST_DATABASE_URL).set(database=name)
    engine = create_engine(fresh)
    try:
        schemas = [f"s{n}" for n in range(3)]
        with engine.begin() as conn:
            for schema in schemas:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        base = {key: value for key, value in os.environ.items() if not key.startswith("FLASK_")}
        upgrades = [
            subprocess.Popen(  # noqa: S603 (our own interpreter and command)
                [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
                cwd=TESTS.parent,
                env={
                    **base,
                    "FLASK_SECRET_KEY": "cli-test-key",
                    "FLASK_INTAKE_TERRITORY": str(TERRITORY),
                    "FLASK_SQLALCHEMY_DATABASE_URI": fresh.update_query_dict(
                        {"options": f"-csearch_path={schema}"}
                    ).render_as_string(hide_password=False),
                },
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for schema in schemas
        ]
        errors = [upgrade.communicate(timeout=120)[1] for upgrade in upgrades]
        assert [upgrade.returncode for upgrade in upgrades] == [0, 0, 0], errors
        with engine.connect() as conn:
            for schema in schemas:
                assert "referral" in inspect(conn).get_table_names(schema=schema)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_migrations_match_the_models(app):
    """A model change without its migration would fail here (autogenerate finds a difference)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from intake.rules.search import not_search_index

    with app.app_context(), db.engine.connect() as connection:
        options = {"include_object": not_search_index}
        context = MigrationContext.configure(connection, opts=options)
        diff = compare_metadata(context, db.metadata)
    assert diff == []
