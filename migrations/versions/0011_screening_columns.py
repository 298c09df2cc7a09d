"""what each child's screening saw, in columns

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 23:00:00

The programme's yearly figures (QPV residence by QPV code, REP+ / REP / neither) count from
columns, not from the screening's JSON. Children screened before this revision get the
residence and QPV code their JSON holds, and the school's network its reasons name; the
territory's build date was not recorded then, so it stays empty.
"""

import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COLUMNS = (
    ("screening_residence", sa.String(length=20)),
    ("screening_qpv", sa.String(length=16)),
    ("screening_uai", sa.String(length=8)),
    ("screening_network", sa.String(length=4)),
    ("screening_territory_date", sa.Date()),
)
BATCH = 2000


def network_of(screening: dict) -> str | None:
    """The network the stored reasons name: a listed school is priority or not; else None."""
    for reason in screening.get("reasons") or ():
        code = reason.get("code")
        if code == "school_priority":
            return str((reason.get("params") or {}).get("network") or "") or None
        if code == "school_not_priority":
            return ""
    return None


def backfill(connection) -> None:
    child = sa.table(
        "child",
        sa.column("id", sa.Integer),
        sa.column("school", sa.String),
        sa.column("screening", sa.JSON),
        *(sa.column(name, kind) for name, kind in COLUMNS),
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(child.c.id, child.c.school, child.c.screening)
            .where(child.c.id > last)
            .order_by(child.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        values = []
        for row in rows:
            screening = row.screening if isinstance(row.screening, dict) else {}
            if isinstance(row.screening, str):
                screening = json.loads(row.screening)
            network = network_of(screening)
            values.append(
                {
                    "row_id": row.id,
                    "residence": screening.get("residence"),
                    "qpv": screening.get("qpv_code"),
                    "uai": (row.school or "").strip().upper()[:8] if network is not None else None,
                    "network": network,
                }
            )
        connection.execute(
            child.update()
            .where(child.c.id == sa.bindparam("row_id"))
            .values(
                screening_residence=sa.bindparam("residence"),
                screening_qpv=sa.bindparam("qpv"),
                screening_uai=sa.bindparam("uai"),
                screening_network=sa.bindparam("network"),
            ),
            values,
        )
        last = rows[-1].id


def upgrade():
    with op.batch_alter_table("child") as batch_op:
        for name, kind in COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
    backfill(op.get_bind())


def downgrade():
    with op.batch_alter_table("child") as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
