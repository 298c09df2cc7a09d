"""anonymised referrals: `referral.anonymised_at`, carried by the queue's indexes

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 02:40:00

`retention purge` no longer deletes a referral past its retention: it erases what identifies
the family and keeps the codes and dates the figures count (intake.rules.retention), and marks
the row `anonymised_at`. The queue, its counts and searches list only referrals not
anonymised. Each of the queue's indexes gains the column as its last key: the queue reads
the condition from the index entries it walks anyway (the tabs count from the entries
alone), not from each row, and the order the indexes give is unchanged.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# name: the key columns before revision 0013's `anonymised_at`.
QUEUE_INDEXES = {
    "ix_referral_queue": ["received_at", "id"],
    "ix_referral_status_queue": ["status", "received_at", "id"],
    "ix_referral_eligibility_queue": ["eligibility", "received_at", "id"],
    "ix_referral_assigned_queue": ["assigned_to_id", "received_at", "id"],
    "ix_referral_duplicate_queue": ["duplicate_suspected", "received_at", "id"],
    "ix_referral_urgent_queue": ["urgent", "received_at", "id"],
    "ix_referral_activity_queue": ["last_activity_at", "id"],
    "ix_referral_source_queue": ["source", "received_at", "id"],
    "ix_referral_id_received_status": ["id", "received_at", "status"],
}


def rebuild_indexes(anonymised: bool) -> None:
    """Build the queue's indexes again, with or without `anonymised_at` as their last key
    (in the migration's transaction: the queue never goes without them)."""
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, columns in QUEUE_INDEXES.items():
        op.drop_index(name, table_name="referral")
        include = ["status"] if postgresql and name == "ix_referral_queue" else []
        op.create_index(
            name,
            "referral",
            [*columns, "anonymised_at"] if anonymised else columns,
            unique=False,
            postgresql_include=include,
        )


def upgrade():
    # A plain ADD COLUMN, not batch mode: copying the referral table on SQLite would drop
    # the search index's triggers (revision 0008).
    op.add_column("referral", sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))
    rebuild_indexes(anonymised=True)


def downgrade():
    rebuild_indexes(anonymised=False)
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops a column in place since 3.35, without copying the table.
        op.execute("ALTER TABLE referral DROP COLUMN anonymised_at")
    else:
        op.drop_column("referral", "anonymised_at")
