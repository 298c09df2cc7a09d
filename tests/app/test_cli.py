"""The command line of the contract: `db upgrade`, `users create`."""

from __future__ import annotations

import os

from sqlalchemy import create_engine, inspect, select

from intake.auth.operations import authenticate
from intake.extensions import db
from intake.models import User
from tests.support.app import TERRITORY, flask_cli


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
