"""the queue's index holds the status (PostgreSQL)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 13:40:00

Under a filter answered outside the referral table (an agreement received), the queue walks
`ix_referral_queue` newest first and checks each referral until it has the newest matches the
status tabs count (101). Each step read the referral's row for its status: at 100,000
referrals, where the newest referrals rarely have their agreement yet, 2,690 rows and 859
pages for one page of the queue (1.2 of its 2.7 ms). With the status in the index
(`INCLUDE`, not a key: the order is unchanged) the walk reads the index alone. SQLite has no
INCLUDE, and that page is at 1.01–1.08× there already: it keeps the index.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def rebuild_queue_index(include: list[str]) -> None:
    """Build `ix_referral_queue` again on PostgreSQL, carrying the columns `include`; in the
    migration's transaction, so the queue never goes without its index."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_referral_queue", table_name="referral")
    op.create_index(
        "ix_referral_queue",
        "referral",
        ["received_at", "id"],
        unique=False,
        postgresql_include=include,
    )


def upgrade():
    rebuild_queue_index(["status"])


def downgrade():
    rebuild_queue_index([])
