"""the figures' indexes: what the statistics page and the ANCT workbook group by, read from
indexes rather than from the wide rows

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 05:05:00

A year's figures at 100,000 referrals group tens of thousands of referrals, children,
history rows, parcours and actions (intake.statistics.counts). Each index below holds every
column its query reads, so that the query walks the index alone: the period's referrals by
receipt (source, role), their children's coded screening, the decisions of the period, each
child's steps (the delays), the actions running in the period, the coded profile of each
child supported. The anonymised referrals' `anonymised_at`, indexed apart, lets the
figures' cache see a purge at once (intake.statistics.cache).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# name: (table, key columns), as intake.models declares them.
INDEXES = {
    "ix_referral_received_by": (
        "referral",
        ["received_at", "source", "referrer_role"],
    ),
    "ix_child_received": (
        "child",
        [
            "referral_id",
            "school",
            "screening_network",
            "screening_qpv",
            "screening_residence",
            "eligibility",
        ],
    ),
    "ix_child_profile": (
        "child",
        ["id", "sex", "birth_date", "school_level", "screening_qpv", "screening_network"],
    ),
    "ix_status_change_decisions": (
        "status_change",
        ["to_status", "at", "child_id", "reason", "service"],
    ),
    "ix_status_change_steps": (
        "status_change",
        ["referral_id", "child_id", "from_status", "to_status", "at"],
    ),
    "ix_parcours_action_period": (
        "parcours_action",
        ["started_on", "ended_on", "kind", "collective"],
    ),
}


# Partial, of the anonymised referrals only: a whole index on the column is what SQLite's
# planner took for the queue's `anonymised_at IS NULL` (every row), sorting the table for
# each page.
ANONYMISED = "anonymised_at IS NOT NULL"


def upgrade():
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns, unique=False)
    op.create_index(
        "ix_referral_anonymised",
        "referral",
        ["anonymised_at"],
        unique=False,
        sqlite_where=sa.text(ANONYMISED),
        postgresql_where=sa.text(ANONYMISED),
    )


def downgrade():
    op.drop_index("ix_referral_anonymised", table_name="referral")
    for name, (table, _) in INDEXES.items():
        op.drop_index(name, table_name=table)
