"""A submission's rows, written without the unit of work, are in the session as if flushed:
every column known (defaults included), nothing read back, later changes versioned as usual."""

from __future__ import annotations

from sqlalchemy import event, select
from sqlalchemy.orm import object_session

from intake.extensions import db
from intake.models import Child, OutboxMessage, Referral, Source, StatusChange
from intake.public.operations import create_referral
from intake.rules.search import referral_key
from tests.support.builders import child, referral_data

TWO_CHILDREN = referral_data(
    Source.PARENT,
    children=[child(), child("Tom", "Martin-Ali")],
    guardian_email="famille@exemple.fr",
)


def statements_during(app, action) -> list[str]:
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement.split(None, 1)[0])

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def test_written_rows_are_loaded_objects_and_match_the_database(app):
    with app.app_context():
        referral = create_referral(Source.PARENT, TWO_CHILDREN, app.extensions["territory"])
        session = db.session()
        assert object_session(referral) is session
        assert not session.new and not session.dirty

        def read_everything():
            # Defaults the INSERT applied are known to the objects: nothing is left to load.
            assert referral.version == 1
            assert referral.urgent is False and referral.duplicate_suspected is False
            assert referral.assigned_to_id is None
            assert referral.search_key == referral_key(referral)
            assert [child.first_name for child in referral.children] == ["Léa", "Tom"]
            assert all(child.id and child.referral is referral for child in referral.children)
            # Each child is received: a history of its own.
            assert [change.to_status for change in referral.history] == ["new", "new"]
            assert [change.child for change in referral.history] == referral.children
            assert referral.history[0].share_reason is False

        assert statements_during(app, read_everything) == []
        db.session.commit()
        referral_id, child_ids = referral.id, [child.id for child in referral.children]
        db.session.remove()

        stored = db.session.get(Referral, referral_id)
        assert stored.reference == referral.reference and stored.version == 1
        assert "martin ali" in stored.search_key and "tom" in stored.search_key
        assert [child.id for child in stored.children] == child_ids
        assert [child.position for child in stored.children] == [0, 1]
        changes = db.session.execute(select(StatusChange.referral_id, StatusChange.child_id))
        assert sorted(changes.all()) == [(referral_id, child_id) for child_id in child_ids]
        kinds = db.session.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.referral_id == referral_id)
        ).all()
        assert sorted(kinds) == ["acknowledgement", "coordinator_alert"]
        assert db.session.scalars(select(Child.referral_id)).all() == [referral_id] * 2


def test_a_change_after_the_write_is_an_update_checked_against_the_version(app):
    with app.app_context():
        referral = create_referral(Source.PARENT, TWO_CHILDREN, app.extensions["territory"])

        def change():
            referral.status = "in_review"
            referral.children[1].first_name = "Thomas"
            db.session.flush()

        written = statements_during(app, change)
        assert "INSERT" not in written and written.count("UPDATE") == 2
        assert referral.version == 2
        # The search key follows the corrected name, as on any flush.
        assert "thomas" in referral.search_key
        db.session.commit()
