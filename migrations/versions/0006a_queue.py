"""queue: the source filter read in the queue's order

Revision ID: 0006a
Revises: 0005
Create Date: 2026-11-28 04:50:00

The queue's `source` filter had only a one-column index: a page of "demandes de parents"
read every parent's referral to sort them. (source, received_at, id) serves a page in the
queue's order from the row last seen, like the other filters' indexes, and replaces the
one-column index it begins with. Plain CREATE/DROP INDEX: no table copy on SQLite, so the
search triggers of revision 0004 are left alone.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0006a"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_referral_source_queue", "referral", ["source", "received_at", "id"], unique=False
    )
    op.drop_index("ix_referral_source", table_name="referral")


def downgrade():
    op.create_index("ix_referral_source", "referral", ["source"], unique=False)
    op.drop_index("ix_referral_source_queue", table_name="referral")
