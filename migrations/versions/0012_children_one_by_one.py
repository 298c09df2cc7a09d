"""children one by one: their own status, history, agreements and parcours

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 02:00:00

The child becomes the unit of decision (contract, "Children, one by one"):

- each child takes its referral's status; its school level is worked out from its class;
- each status change becomes a change of each child of its referral (the first child keeps
  the row, the others get a copy with the same time and author);
- each agreement covers every child of its referral, withdrawn for each when it was;
- a meeting's decision becomes each child's, linked to its agenda item;
- each child `accepted` or `closed` gets a parcours dated from its referral's latest move to
  `accepted` (Paris day), followed by the referral's référent; a `closed` one ends on the day
  of its closing, with the reason `other`, as the exit's reason was not recorded then.
"""

from datetime import UTC
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

BATCH = 2000
PARIS = ZoneInfo("Europe/Paris")
UNRECORDED_EXIT = "Sortie enregistrée avant le suivi des parcours : motif non renseigné."

LEVEL_OF_CLASS = {
    **dict.fromkeys(("TPS", "PS", "MS", "GS"), "maternelle"),
    **dict.fromkeys(("CP", "CE1", "CE2", "CM1", "CM2"), "elementaire"),
    **dict.fromkeys(("6e", "5e", "4e", "3e"), "college"),
    "none": "none",
}


def school_level(class_level, birth_date, on):
    """intake.rules.parcours.school_level as of this revision."""
    level = LEVEL_OF_CLASS.get(class_level)
    if level is not None:
        return level
    if birth_date is not None and on is not None:
        age = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
        if age >= 15:
            return "lycee"
    return "other"


def paris_day(moment):
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(PARIS).date()


def create_tables():
    # As `flask db migrate` wrote them (constraint names from the models' convention).
    op.create_table(
        "agreement_child",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
            name=op.f("fk_agreement_child_agreement_id_agreement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["child.id"],
            name=op.f("fk_agreement_child_child_id_child"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"],
            ["user.id"],
            name=op.f("fk_agreement_child_withdrawn_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_child")),
        sa.UniqueConstraint("agreement_id", "child_id", name="uq_agreement_child"),
    )
    with op.batch_alter_table("agreement_child", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agreement_child_child_id"), ["child_id"], unique=False)

    op.create_table(
        "parcours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("entered_on", sa.Date(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("referent_id", sa.Integer(), nullable=True),
        sa.Column("referent_name", sa.String(length=200), nullable=False),
        sa.Column("referent_organisation", sa.String(length=200), nullable=False),
        sa.Column("next_review_on", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("exit_reason", sa.String(length=20), nullable=True),
        sa.Column("exit_service", sa.String(length=40), nullable=True),
        sa.Column("exit_comment", sa.Text(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_id"], ["child.id"], name=op.f("fk_parcours_child_id_child"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["ended_by_id"],
            ["user.id"],
            name=op.f("fk_parcours_ended_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_id"],
            ["user.id"],
            name=op.f("fk_parcours_opened_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["referent_id"],
            ["user.id"],
            name=op.f("fk_parcours_referent_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            name=op.f("fk_parcours_referral_id_referral"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parcours")),
        sa.UniqueConstraint("child_id", name=op.f("uq_parcours_child_id")),
    )
    with op.batch_alter_table("parcours", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parcours_ended_on"), ["ended_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_parcours_entered_on"), ["entered_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_parcours_exit_reason"), ["exit_reason"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_parcours_next_review_on"), ["next_review_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_parcours_referral_id"), ["referral_id"], unique=False)

    op.create_table(
        "parcours_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parcours_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("collective", sa.Boolean(), nullable=False),
        sa.Column("partner", sa.String(length=200), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parcours_id"],
            ["parcours.id"],
            name=op.f("fk_parcours_action_parcours_id_parcours"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_parcours_action_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parcours_action")),
    )
    with op.batch_alter_table("parcours_action", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parcours_action_kind"), ["kind"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_parcours_action_parcours_id"), ["parcours_id"], unique=False
        )

    op.create_table(
        "parcours_objective",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parcours_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("domain", sa.String(length=20), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["parcours_id"],
            ["parcours.id"],
            name=op.f("fk_parcours_objective_parcours_id_parcours"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_parcours_objective_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parcours_objective")),
        sa.UniqueConstraint("parcours_id", "domain", name="uq_parcours_objective"),
    )
    with op.batch_alter_table("parcours_objective", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_parcours_objective_parcours_id"), ["parcours_id"], unique=False
        )

    op.create_table(
        "parcours_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parcours_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("next_on", sa.Date(), nullable=True),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parcours_id"],
            ["parcours.id"],
            name=op.f("fk_parcours_review_parcours_id_parcours"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_parcours_review_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parcours_review")),
    )
    with op.batch_alter_table("parcours_review", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_parcours_review_parcours_id"), ["parcours_id"], unique=False
        )


def backfill_school_levels(connection, child, referral):
    last = 0
    while True:
        rows = connection.execute(
            sa.select(child.c.id, child.c.class_level, child.c.birth_date, referral.c.received_at)
            .join(referral, referral.c.id == child.c.referral_id)
            .where(child.c.id > last)
            .order_by(child.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(
            child.update()
            .where(child.c.id == sa.bindparam("row_id"))
            .values(school_level=sa.bindparam("level")),
            [
                {
                    "row_id": row.id,
                    "level": school_level(
                        row.class_level, row.birth_date, paris_day(row.received_at)
                    ),
                }
                for row in rows
            ],
        )
        last = rows[-1].id


def backfill_parcours(connection, child, referral, change):
    """A parcours for each child accepted or closed, from its referral's latest acceptance."""
    parcours = sa.table(
        "parcours",
        *(
            sa.column(name)
            for name in (
                "child_id",
                "referral_id",
                "entered_on",
                "opened_at",
                "opened_by_id",
                "referent_id",
                "referent_name",
                "referent_organisation",
                "ended_on",
                "exit_reason",
                "exit_comment",
                "ended_at",
                "ended_by_id",
            )
        ),
    )

    def latest(to_status):
        """Each child's latest change to `to_status`: (child_id, change id), grouped once
        rather than looked up child by child."""
        return (
            sa.select(change.c.child_id, sa.func.max(change.c.id).label("change_id"))
            .where(change.c.to_status == to_status)
            .group_by(change.c.child_id)
            .subquery()
        )

    last_accepted, last_closed = latest("accepted"), latest("closed")
    accepted = change.alias("accepted")
    closing = change.alias("closing")
    last = 0
    while True:
        rows = connection.execute(
            sa.select(
                child.c.id,
                child.c.referral_id,
                child.c.status,
                referral.c.assigned_to_id,
                accepted.c.at.label("accepted_at"),
                accepted.c.user_id.label("accepted_by"),
                closing.c.at.label("closed_at"),
                closing.c.user_id.label("closed_by"),
            )
            .join(referral, referral.c.id == child.c.referral_id)
            .join(last_accepted, last_accepted.c.child_id == child.c.id)
            .join(accepted, accepted.c.id == last_accepted.c.change_id)
            .outerjoin(last_closed, last_closed.c.child_id == child.c.id)
            .outerjoin(closing, closing.c.id == last_closed.c.change_id)
            .where(child.c.status.in_(("accepted", "closed")), child.c.id > last)
            .order_by(child.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        values = []
        for row in rows:
            closed = row.status == "closed" and row.closed_at is not None
            values.append(
                {
                    "child_id": row.id,
                    "referral_id": row.referral_id,
                    "entered_on": paris_day(row.accepted_at),
                    "opened_at": row.accepted_at,
                    "opened_by_id": row.accepted_by,
                    "referent_id": row.assigned_to_id,
                    "referent_name": "",
                    "referent_organisation": "",
                    "ended_on": paris_day(row.closed_at) if closed else None,
                    "exit_reason": "other" if closed else None,
                    "exit_comment": UNRECORDED_EXIT if closed else "",
                    "ended_at": row.closed_at if closed else None,
                    "ended_by_id": row.closed_by if closed else None,
                }
            )
        connection.execute(parcours.insert(), values)
        last = rows[-1].id


def upgrade():
    with op.batch_alter_table("child") as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(20), nullable=False, server_default="new")
        )
        batch_op.add_column(sa.Column("sex", sa.String(1), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("school_level", sa.String(12)))
    with op.batch_alter_table("status_change") as batch_op:
        batch_op.add_column(sa.Column("child_id", sa.Integer()))
        batch_op.create_foreign_key(
            "fk_status_change_child_id_child", "child", ["child_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.create_index("ix_status_change_child_id", ["child_id"])
        batch_op.add_column(sa.Column("agenda_item_id", sa.Integer()))
        batch_op.create_foreign_key(
            "fk_status_change_agenda_item_id_agenda_item",
            "agenda_item",
            ["agenda_item_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index("ix_status_change_agenda_item_id", ["agenda_item_id"])
    create_tables()

    connection = op.get_bind()
    referral = sa.table(
        "referral",
        sa.column("id", sa.Integer),
        sa.column("status", sa.String),
        sa.column("received_at", sa.DateTime(timezone=True)),
        sa.column("assigned_to_id", sa.Integer),
    )
    child = sa.table(
        "child",
        sa.column("id", sa.Integer),
        sa.column("referral_id", sa.Integer),
        sa.column("position", sa.Integer),
        sa.column("status", sa.String),
        sa.column("class_level", sa.String),
        sa.column("birth_date", sa.Date),
        sa.column("school_level", sa.String),
    )
    change_columns = (
        "referral_id",
        "at",
        "user_id",
        "from_status",
        "to_status",
        "comment",
        "reason",
        "service",
        "withdrawn_by",
        "share_reason",
    )
    change = sa.table(
        "status_change",
        sa.column("id", sa.Integer),
        sa.column("child_id", sa.Integer),
        sa.column("agenda_item_id", sa.Integer),
        sa.column("at", sa.DateTime(timezone=True)),
        *(sa.column(name) for name in change_columns if name != "at"),
    )
    agreement = sa.table(
        "agreement",
        *(
            sa.column(name)
            for name in ("id", "referral_id", "withdrawn_on", "withdrawn_at", "withdrawn_by_id")
        ),
    )

    # Each child takes its referral's status.
    connection.execute(
        child.update().values(
            status=sa.select(referral.c.status)
            .where(referral.c.id == child.c.referral_id)
            .scalar_subquery()
        )
    )
    backfill_school_levels(connection, child, referral)

    # Each change: the first child keeps the row, each other child gets a copy.
    first_child = (
        sa.select(child.c.id)
        .where(child.c.referral_id == change.c.referral_id)
        .order_by(child.c.position, child.c.id)
        .limit(1)
        .scalar_subquery()
    )
    connection.execute(change.update().values(child_id=first_child))
    others = sa.select(*(change.c[name] for name in change_columns), child.c.id).join(
        child, sa.and_(child.c.referral_id == change.c.referral_id, child.c.id != change.c.child_id)
    )
    connection.execute(
        change.insert().from_select([*change_columns, "child_id"], others.order_by(change.c.id))
    )

    # A meeting's decision was one change: now one per child, each naming its agenda item.
    item = sa.table(
        "agenda_item", sa.column("id", sa.Integer), sa.column("status_change_id", sa.Integer)
    )
    decided = connection.execute(
        sa.select(item.c.id, change.c.referral_id, change.c.at, change.c.to_status).join(
            change, change.c.id == item.c.status_change_id
        )
    ).all()
    for row in decided:
        connection.execute(
            change.update()
            .where(
                change.c.referral_id == row.referral_id,
                change.c.at == row.at,
                change.c.to_status == row.to_status,
            )
            .values(agenda_item_id=row.id)
        )

    # Each agreement covers every child of its referral.
    cover = sa.table(
        "agreement_child",
        *(
            sa.column(name)
            for name in (
                "agreement_id",
                "child_id",
                "withdrawn_on",
                "withdrawn_at",
                "withdrawn_by_id",
            )
        ),
    )
    connection.execute(
        cover.insert().from_select(
            ["agreement_id", "child_id", "withdrawn_on", "withdrawn_at", "withdrawn_by_id"],
            sa.select(
                agreement.c.id,
                child.c.id,
                agreement.c.withdrawn_on,
                agreement.c.withdrawn_at,
                agreement.c.withdrawn_by_id,
            )
            .join(child, child.c.referral_id == agreement.c.referral_id)
            .order_by(agreement.c.id, child.c.position),
        )
    )
    backfill_parcours(connection, child, referral, change)


def downgrade():
    for table in ("parcours_review", "parcours_action", "parcours_objective", "parcours"):
        op.drop_table(table)
    op.drop_table("agreement_child")
    # A change copied for a sibling goes with the column that told them apart.
    change = sa.table(
        "status_change",
        sa.column("id", sa.Integer),
        sa.column("child_id", sa.Integer),
        sa.column("referral_id", sa.Integer),
    )
    child = sa.table(
        "child",
        sa.column("id", sa.Integer),
        sa.column("referral_id", sa.Integer),
        sa.column("position", sa.Integer),
    )
    first_child = (
        sa.select(child.c.id)
        .where(child.c.referral_id == change.c.referral_id)
        .order_by(child.c.position, child.c.id)
        .limit(1)
        .scalar_subquery()
    )
    op.get_bind().execute(change.delete().where(change.c.child_id != first_child))
    with op.batch_alter_table("status_change") as batch_op:
        batch_op.drop_index("ix_status_change_agenda_item_id")
        batch_op.drop_constraint("fk_status_change_agenda_item_id_agenda_item", type_="foreignkey")
        batch_op.drop_column("agenda_item_id")
        batch_op.drop_index("ix_status_change_child_id")
        batch_op.drop_constraint("fk_status_change_child_id_child", type_="foreignkey")
        batch_op.drop_column("child_id")
    with op.batch_alter_table("child") as batch_op:
        batch_op.drop_column("school_level")
        batch_op.drop_column("sex")
        batch_op.drop_column("status")
