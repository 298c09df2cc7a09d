"""home language codes: the languages spoken at home as codes, for the exports (a column) and
the queue's filter (a row per code, indexed)

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
    languages = op.create_table(
        "referral_language",
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("referral_id", "code"),
    )
    op.create_index("ix_referral_language_code", "referral_language", ["code", "referral_id"])
    connection = op.get_bind()
    typed = sa.select(referral.c.id, referral.c.home_languages).where(
        referral.c.home_languages != ""
    )
    rows = []
    for referral_id, words in connection.execute(typed).all():
        codes = home_language_codes(words)
        if not codes:
            continue
        connection.execute(
            referral.update()
            .where(referral.c.id == referral_id)
            .values(home_language_codes=" ".join(codes))
        )
        rows.extend({"referral_id": referral_id, "code": code} for code in codes)
    if rows:
        op.bulk_insert(languages, rows)


def downgrade():
    op.drop_index("ix_referral_language_code", table_name="referral_language")
    op.drop_table("referral_language")
    op.drop_column("referral", "home_language_codes")
