"""languages: the family's language for what it is sent, the language of the page a referral
was sent from, the languages spoken at home, whether an interpreter would help

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 05:20:00

Referrals received before this revision were sent from French pages and written to in
French: the defaults say so.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

COLUMNS = (
    sa.Column("contact_language", sa.String(2), nullable=False, server_default="fr"),
    sa.Column("sent_language", sa.String(2), nullable=False, server_default="fr"),
    sa.Column("home_languages", sa.String(200), nullable=False, server_default=""),
    sa.Column("interpreter", sa.Boolean(), nullable=False, server_default=sa.false()),
)


def upgrade():
    # Plain ADD COLUMNs, not batch mode: copying the referral table on SQLite would drop the
    # search index's triggers (revision 0008).
    for column in COLUMNS:
        op.add_column("referral", column)


def downgrade():
    # SQLite drops a column in place since 3.35, keeping the table and its triggers.
    for column in reversed(COLUMNS):
        op.drop_column("referral", column.name)
