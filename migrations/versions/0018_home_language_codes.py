"""home language codes: the languages spoken at home as codes, for the queue's filter and the
exports

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 08:20:00

Each referral's codes are read from what was typed, as the model's event does for every new
or corrected one (`intake.rules.home_languages`).
"""

import sqlalchemy as sa
from alembic import op

from intake.rules.home_languages import home_language_codes

# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

referral = sa.table(
    "referral",
    sa.column("id", sa.Integer),
    sa.column("home_languages", sa.String),
    sa.column("home_language_codes", sa.String),
)


def upgrade():
    # A plain ADD COLUMN, not batch mode: copying the referral table on SQLite would drop the
    # search index's triggers (revision 0008).
    op.add_column(
        "referral",
        sa.Column("home_language_codes", sa.String(200), nullable=False, server_default=""),
    )
    connection = op.get_bind()
    typed = sa.select(referral.c.id, referral.c.home_languages).where(
        referral.c.home_languages != ""
    )
    for referral_id, words in connection.execute(typed).all():
        if codes := " ".join(home_language_codes(words)):
            connection.execute(
                referral.update()
                .where(referral.c.id == referral_id)
                .values(home_language_codes=codes)
            )


def downgrade():
    op.drop_column("referral", "home_language_codes")
