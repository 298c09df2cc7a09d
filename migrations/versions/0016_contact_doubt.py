"""contact doubt: why a family may not be reachable ("contact incertain"); the queue's
indexes for it and for "interprète utile"

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 05:50:00

Referrals received before this revision are not looked at again: their doubt is unknown
(NULL), as it is for any referral nothing has cast doubt on.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

DOUBTFUL = "contact_doubt IS NOT NULL"


def upgrade():
    # A plain ADD COLUMN, not batch mode: copying the referral table on SQLite would drop the
    # search index's triggers (revision 0008).
    op.add_column("referral", sa.Column("contact_doubt", sa.String(20), nullable=True))
    op.create_index(
        "ix_referral_interpreter_queue",
        "referral",
        ["interpreter", "received_at", "id", "anonymised_at"],
    )
    op.create_index(
        "ix_referral_contact_doubt_queue",
        "referral",
        ["received_at", "id", "anonymised_at"],
        sqlite_where=sa.text(DOUBTFUL),
        postgresql_where=sa.text(DOUBTFUL),
    )


def downgrade():
    op.drop_index("ix_referral_contact_doubt_queue", table_name="referral")
    op.drop_index("ix_referral_interpreter_queue", table_name="referral")
    op.drop_column("referral", "contact_doubt")
