"""staff session tokens; outbox messages that stop

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 23:30:00

"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))
    # Each existing account gets its own token (a shared server default would let one
    # account's cookie outlive another's logout just the same, but uniqueness costs nothing).
    user = sa.table("user", sa.column("id", sa.Integer), sa.column("session_token", sa.String))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(user.c.id)).all():
        connection.execute(
            user.update()
            .where(user.c.id == user_id)
            .values(session_token=secrets.token_urlsafe(24))
        )
    with op.batch_alter_table("user") as batch:
        batch.alter_column("session_token", existing_type=sa.String(length=64), nullable=False)

    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index(
            batch.f("ix_outbox_message_stopped_at"), ["stopped_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_index(batch.f("ix_outbox_message_stopped_at"))
        batch.drop_column("stopped_at")
    with op.batch_alter_table("user") as batch:
        batch.drop_column("session_token")
