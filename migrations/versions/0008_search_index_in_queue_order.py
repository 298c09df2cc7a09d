"""search index numbered in the queue's order (SQLite)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 07:00:00

SQLite's FTS5 index of the search keys (revision 0004) numbered each entry by the referral's
id, so a search had to read every match, look each up and sort them by received date before
it could show the newest: "école", in half the keys, took 43 ms at 100,000 referrals against
4 at 1,000. Each entry is now numbered by the referral's place in the queue's default order,
newest first: the second it was received then its id, both counted down
(`(2**32 - 1 - second) * 2**31 + (2**31 - 1 - id)`, as intake.search.order_key says), so the
queue reads the matches in the index's order, upwards (FTS5's faster way), and stops after a
page.
The table is contentless: its numbers are no longer the referral table's rowids, and the
triggers hand it each key. PostgreSQL's pg_trgm index is left as it is.
"""

import importlib.util
from pathlib import Path

from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def order_key(row: str) -> str:
    """The entry's number for a referral row (`new`, `old`, or the table): frozen here as this
    revision defines it, whatever the application's code later says."""
    second = f"CAST(strftime('%s', {row}.received_at) AS INTEGER)"
    return f"(4294967295 - {second}) * 2147483648 + (2147483647 - {row}.id)"


# A later revision that makes SQLite copy the referral table (batch mode) drops these triggers
# with it, and must create them again.
SQLITE_SEARCH = [
    """CREATE VIRTUAL TABLE referral_search USING fts5(
        search_key, content='', columnsize=0, tokenize='trigram')""",
    f"""CREATE TRIGGER referral_search_insert AFTER INSERT ON referral BEGIN
        INSERT INTO referral_search(rowid, search_key) VALUES ({order_key("new")}, new.search_key);
    END""",
    f"""CREATE TRIGGER referral_search_delete AFTER DELETE ON referral BEGIN
        INSERT INTO referral_search(referral_search, rowid, search_key)
        VALUES ('delete', {order_key("old")}, old.search_key);
    END""",
    f"""CREATE TRIGGER referral_search_update AFTER UPDATE OF search_key, received_at ON referral
    BEGIN
        INSERT INTO referral_search(referral_search, rowid, search_key)
        VALUES ('delete', {order_key("old")}, old.search_key);
        INSERT INTO referral_search(rowid, search_key) VALUES ({order_key("new")}, new.search_key);
    END""",
]
FILL = (
    f"INSERT INTO referral_search(rowid, search_key) "
    f"SELECT {order_key('referral')}, search_key FROM referral"
)


def drop_index() -> None:
    for name in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS referral_search_{name}")
    op.execute("DROP TABLE IF EXISTS referral_search")


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    drop_index()
    for statement in [*SQLITE_SEARCH, FILL]:
        op.execute(statement)
    # Filled in one go: merged into one segment, as FTS5 advises after a bulk load.
    op.execute("INSERT INTO referral_search(referral_search) VALUES ('optimize')")


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    drop_index()
    # Revision 0004's index, numbered by id, from that revision's own statements.
    path = Path(__file__).with_name("0004_search_key_queue_indexes_outbox_context.py")
    spec = importlib.util.spec_from_file_location("revision_0004", path)
    revision_0004 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(revision_0004)
    for statement in revision_0004.SQLITE_SEARCH:
        op.execute(statement)
    op.execute("INSERT INTO referral_search(referral_search) VALUES ('rebuild')")
