"""Migration 0012 (children one by one) on a database that `dev seed` filled at revision 0011,
with the seeder as it was then: what every referral said becomes what each of its children
says, and nothing of the history is lost, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, select, text

from intake.extensions import db
from intake.models import Parcours, Referral
from intake.models.types import UTCDateTime
from tests.support.app import TEST_DATABASE_URL, build_app, release, schema_url

CHECKOUT = Path(__file__).parents[2]
MIGRATION = "migrations/versions/0012_children_one_by_one.py"
COUNT = 300
PARIS = ZoneInfo("Europe/Paris")
# The old tree reads its own test territory: the file's format may change after it.
OLD_TERRITORY = "tests/territory.toml"
# What the old tree needs to run `flask --app wsgi …`.
OLD_PATHS = ("intake", "migrations", "templates", "static", "wsgi.py", "instance", OLD_TERRITORY)


def git(*args: str, **options) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["git", "-C", str(CHECKOUT), *args], capture_output=True, check=False, **options
    )


def previous_revision_tree(directory: Path) -> Path:
    """The checkout as it was just before 0012 was added, extracted into `directory` (an
    archive rather than a worktree: nothing is left in the repository's own records);
    skip the test when git or that commit is not at hand."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed: the seeder of revision 0011 cannot be checked out")
    found = git("log", "--format=%H", "--diff-filter=A", "-1", "--", MIGRATION, text=True)
    commit = found.stdout.strip()
    if found.returncode != 0 or not commit:
        pytest.skip("not a git checkout holding 0012's history: no seeder of revision 0011")
    archive = git("archive", "--format=tar", f"{commit}^", *OLD_PATHS)
    if archive.returncode != 0:
        pytest.skip(f"the commit before {commit[:10]} is not in this clone (shallow?)")
    tree = directory / "at-0011"
    tree.mkdir()
    tar = tree / "tree.tar"
    tar.write_bytes(archive.stdout)
    with tarfile.open(tar) as extracted:
        extracted.extractall(tree, filter="data")
    tar.unlink()
    return tree


def old_flask(tree: Path, url: str, *args: str, stdin: str = "") -> None:
    """`flask --app wsgi …` of the old tree (its `intake` first on the path) on `url`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("FLASK_")}
    env.update(
        PYTHONPATH=str(tree),
        PYTHONDONTWRITEBYTECODE="1",
        FLASK_SECRET_KEY="migration-test",
        FLASK_SQLALCHEMY_DATABASE_URI=url,
        FLASK_INTAKE_TERRITORY=str(tree / OLD_TERRITORY),
    )
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=tree,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"flask {' '.join(args)}: {done.stderr[-2000:]}"


@pytest.fixture
def scratch_url(tmp_path):
    """An empty database of this test's own: a SQLite file, or a PostgreSQL schema."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'seeded.sqlite3'}"
        return
    schema = f"migration_{uuid.uuid4().hex[:16]}"
    admin = create_engine(TEST_DATABASE_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema_url(schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


CHANGE_FIELDS = (
    "at",
    "user_id",
    "from_status",
    "to_status",
    "comment",
    "reason",
    "service",
    "withdrawn_by",
    "share_reason",
)


def change_table(*extra: sa.ColumnClause) -> sa.TableClause:
    """status_change as the test reads it, `at` timezone-aware on both databases."""
    return sa.table(
        "status_change",
        sa.column("id", sa.Integer),
        sa.column("referral_id", sa.Integer),
        sa.column("at", UTCDateTime),
        *(sa.column(name) for name in CHANGE_FIELDS if name != "at"),
        *extra,
    )


def read_before(connection) -> dict:
    """What the database at 0011 says: statuses, children, history, agreements."""
    history = defaultdict(list)
    change = change_table()
    for row in connection.execute(select(change).order_by(change.c.id)):
        history[row.referral_id].append(tuple(getattr(row, name) for name in CHANGE_FIELDS))
    children = defaultdict(list)
    for row in connection.execute(text("SELECT id, referral_id FROM child ORDER BY position, id")):
        children[row.referral_id].append(row.id)
    agreements = connection.execute(
        text("SELECT id, referral_id, withdrawn_on FROM agreement ORDER BY id")
    ).all()
    return {
        "status": dict(connection.execute(text("SELECT id, status FROM referral")).all()),
        "children": children,
        "history": history,
        "agreements": agreements,
        "changes": connection.scalar(text("SELECT count(*) FROM status_change")),
    }


def latest(history: list[tuple], status: str):
    moves = [entry for entry in history if entry[CHANGE_FIELDS.index("to_status")] == status]
    return moves[-1] if moves else None


def check_upgraded(app, before: dict) -> None:
    """Everything the referrals said at 0011, said now of each of their children."""
    with app.app_context():
        connection = db.session.connection()
        children = {
            row.id: row
            for row in connection.execute(
                text("SELECT id, referral_id, status, school_level FROM child")
            )
        }
        per_child = defaultdict(list)
        child_change = change_table(sa.column("child_id", sa.Integer))
        for row in connection.execute(select(child_change).order_by(child_change.c.id)):
            assert row.referral_id == children[row.child_id].referral_id
            per_child[row.child_id].append(tuple(getattr(row, name) for name in CHANGE_FIELDS))
        total = connection.scalar(text("SELECT count(*) FROM status_change"))
        assert total == sum(
            len(before["history"][r]) * len(kids) for r, kids in before["children"].items()
        )
        for referral_id, kids in before["children"].items():
            for child_id in kids:
                assert children[child_id].status == before["status"][referral_id]
                assert children[child_id].school_level is not None
                # The same changes, at the same times, by the same people, with the same codes.
                assert per_child[child_id] == before["history"][referral_id]

        covers = defaultdict(dict)
        for row in connection.execute(
            text("SELECT agreement_id, child_id, withdrawn_on FROM agreement_child")
        ):
            covers[row.agreement_id][row.child_id] = row.withdrawn_on
        assert before["agreements"]
        for agreement in before["agreements"]:
            kids = before["children"][agreement.referral_id]
            assert covers[agreement.id] == dict.fromkeys(kids, agreement.withdrawn_on)

        parcours = {
            row.child_id: row
            for row in connection.execute(
                select(
                    Parcours.child_id, Parcours.entered_on, Parcours.ended_on, Parcours.exit_reason
                )
            )
        }
        followed = {i for i, c in children.items() if c.status in ("accepted", "closed")}
        assert set(parcours) == followed
        statuses = Counter(children[i].status for i in followed)
        assert statuses["accepted"] and statuses["closed"]
        for child_id in followed:
            child = children[child_id]
            history = before["history"][child.referral_id]
            accepted = latest(history, "accepted")
            entry = parcours[child_id]
            assert entry.entered_on == accepted[0].astimezone(PARIS).date()
            if child.status == "closed":
                closed = latest(history, "closed")
                assert entry.ended_on == closed[0].astimezone(PARIS).date()
                assert entry.exit_reason == "other"
            else:
                assert (entry.ended_on, entry.exit_reason) == (None, None)

        for referral in db.session.scalars(select(Referral)):
            stored = referral.status
            assert referral.derive_status() == stored
        db.session.rollback()
        db.session.remove()


def test_revision_0012_on_a_database_seeded_at_0011(tmp_path, scratch_url):
    tree = previous_revision_tree(tmp_path)
    old_flask(tree, scratch_url, "db", "upgrade")
    old_flask(
        tree, scratch_url, "users", "create", "coordination@testville.example",
        stdin="a-long-password\na-long-password\n",
    )  # fmt: skip
    old_flask(tree, scratch_url, "dev", "seed", "--count", str(COUNT))

    app = build_app(scratch_url)
    try:
        with app.app_context():
            assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == "0011"
            before = read_before(db.session.connection())
            db.session.remove()
            assert len(before["status"]) == COUNT
            # Siblings in some referrals, or the copies of their history would go untested.
            assert max(len(kids) for kids in before["children"].values()) >= 2
            upgrade()
        check_upgraded(app, before)

        with app.app_context():
            downgrade(revision="0011")
            db.session.remove()
            columns = {c["name"] for c in inspect(db.engine).get_columns("child")}
            assert "status" not in columns and "school_level" not in columns
            assert "parcours" not in inspect(db.engine).get_table_names()
            # The copies made for siblings went with the column that told them apart.
            assert (
                db.session.scalar(text("SELECT count(*) FROM status_change")) == before["changes"]
            )
            assert read_before(db.session.connection())["history"] == before["history"]
            db.session.remove()
            upgrade()
        check_upgraded(app, before)
    finally:
        release(app)
