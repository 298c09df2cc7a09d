"""search key, queue indexes, e-mails rendered by the worker

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 02:00:00

The search key is indexed for substring search, insensitive to case and accents since the key
is normalised: a pg_trgm GIN index on PostgreSQL (the extension is created in `public`, so a
schema dropped later never takes it with it), an FTS5 trigram table kept in step by triggers
on SQLite.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


REFERRAL_FIELDS = (
    "reference",
    "guardian_name",
    "guardian_phone",
    "referrer_name",
    "referrer_organisation",
    "referrer_phone",
)
CHILD_FIELDS = ("first_name", "last_name", "school", "school_other")

# A later revision that makes SQLite copy the referral table (batch mode) drops these triggers
# with it, and must create them again.
SQLITE_SEARCH = [
    """CREATE VIRTUAL TABLE referral_search USING fts5(
        search_key, content='referral', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER referral_search_insert AFTER INSERT ON referral BEGIN
        INSERT INTO referral_search(rowid, search_key) VALUES (new.id, new.search_key);
    END""",
    """CREATE TRIGGER referral_search_delete AFTER DELETE ON referral BEGIN
        INSERT INTO referral_search(referral_search, rowid, search_key)
        VALUES ('delete', old.id, old.search_key);
    END""",
    """CREATE TRIGGER referral_search_update AFTER UPDATE OF search_key ON referral BEGIN
        INSERT INTO referral_search(referral_search, rowid, search_key)
        VALUES ('delete', old.id, old.search_key);
        INSERT INTO referral_search(rowid, search_key) VALUES (new.id, new.search_key);
    END""",
]


def upgrade():
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_key", sa.Text(), nullable=False, server_default=""))
        batch_op.drop_index("ix_referral_received_at")
        batch_op.drop_index("ix_referral_status")
        batch_op.drop_index("ix_referral_eligibility")
        batch_op.create_index("ix_referral_queue", ["received_at", "id"], unique=False)
        batch_op.create_index(
            "ix_referral_status_queue", ["status", "received_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_referral_eligibility_queue", ["eligibility", "received_at", "id"], unique=False
        )

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("context", sa.JSON(), nullable=True))
        batch_op.alter_column("subject", existing_type=sa.String(length=255), nullable=True)
        batch_op.alter_column("body_text", existing_type=sa.Text(), nullable=True)
        batch_op.alter_column("body_html", existing_type=sa.Text(), nullable=True)

    fill_search_keys()

    if op.get_bind().dialect.name == "postgresql":
        # The extension is the database's, not the schema's: two migrations at once (the test
        # suite's workers, or two app containers starting on a fresh database) would both
        # find it missing and the second's CREATE would fail on its unique name. The first
        # takes this lock until its transaction ends; the second then finds the extension.
        op.execute("SELECT pg_advisory_xact_lock(hashtext('intake: CREATE EXTENSION pg_trgm'))")
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        op.execute(
            "CREATE INDEX ix_referral_search_key ON referral "
            "USING gin (search_key public.gin_trgm_ops)"
        )
    else:
        for statement in SQLITE_SEARCH:
            op.execute(statement)
        op.execute("INSERT INTO referral_search(referral_search) VALUES ('rebuild')")


def fill_search_keys():
    """Compute the key of the referrals already stored, with the application's own rule.

    Tables are described here as they stand at this revision, not through the models, which
    later revisions may change."""
    from types import SimpleNamespace

    from intake.rules.search import referral_key

    referral = sa.table(
        "referral",
        *(sa.column(name) for name in ("id", *REFERRAL_FIELDS, "search_key")),
    )
    child = sa.table("child", *(sa.column(name) for name in ("referral_id", "position", *CHILD_FIELDS)))
    bind = op.get_bind()
    children: dict[int, list[SimpleNamespace]] = {}
    for row in bind.execute(sa.select(child).order_by(child.c.referral_id, child.c.position)):
        children.setdefault(row.referral_id, []).append(SimpleNamespace(**row._mapping))
    rows = bind.execute(sa.select(referral.c.id, *(referral.c[name] for name in REFERRAL_FIELDS)))
    for row in rows.all():
        values = SimpleNamespace(**row._mapping, children=children.get(row.id, []))
        bind.execute(
            referral.update()
            .where(referral.c.id == row.id)
            .values(search_key=referral_key(values))
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_referral_search_key")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER referral_search_{name}")
        op.execute("DROP TABLE referral_search")

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.alter_column("body_html", existing_type=sa.Text(), nullable=False)
        batch_op.alter_column("body_text", existing_type=sa.Text(), nullable=False)
        batch_op.alter_column("subject", existing_type=sa.String(length=255), nullable=False)
        batch_op.drop_column("context")

    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_eligibility_queue")
        batch_op.drop_index("ix_referral_status_queue")
        batch_op.drop_index("ix_referral_queue")
        batch_op.create_index("ix_referral_eligibility", ["eligibility"], unique=False)
        batch_op.create_index("ix_referral_status", ["status"], unique=False)
        batch_op.create_index("ix_referral_received_at", ["received_at"], unique=False)
        batch_op.drop_column("search_key")
