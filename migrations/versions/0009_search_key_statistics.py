"""search key statistics (PostgreSQL)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 07:20:00

PostgreSQL guesses how many referrals a search matches (`search_key LIKE '%hamidi%'`) by
trying the pattern on the keys its statistics sampled: 100 by default, so a name in one key
in a hundred is guessed at 1 %, 4 % or none. Guessed too high, the planner walks the queue's
index newest first and checks every key on the way, rather than asking the trigram index:
195 ms instead of 1.5 for a family name in 850 of 100,000 referrals (and 20 ms for a first
name in 470, in one `make bench` run). A thousand keys sampled put the guesses within a few
tenths of a percent, and the planner then switches between the two plans where their costs
cross (measured: about 1.6 % of the table). SQLite's FTS5 index needs no such guess.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SAMPLED_KEYS = 1000


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE referral ALTER COLUMN search_key SET STATISTICS {SAMPLED_KEYS}")
    # The keys already stored are sampled now, not whenever autovacuum next analyses.
    op.execute("ANALYZE referral")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE referral ALTER COLUMN search_key SET STATISTICS -1")
