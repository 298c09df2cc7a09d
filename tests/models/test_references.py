"""References count up per year with no gap and no duplicate, even under concurrent submissions."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from intake.extensions import db
from intake.models import Referral, Source
from intake.public.operations import create_referral, next_reference
from tests.support.builders import make_referral, orientation
from tests.support.builders import parent_data as data

# 23:30 UTC on 31 December: already the new year in Paris, where references take their year.
NEW_YEARS_EVE_UTC = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)


@pytest.fixture
def new_years_eve():
    """A fixed clock (still ticking) at NEW_YEARS_EVE_UTC, so the expected year never depends
    on the day the suite runs: these tests used to fail every 31 December after 23:00 UTC."""
    with time_machine.travel(NEW_YEARS_EVE_UTC, tick=True):
        yield


def test_references_count_up_within_a_year_and_restart_the_next(app):
    assert make_referral(app, received_at=datetime(2026, 3, 1, tzinfo=UTC)) == "PRE-2026-00001"
    assert make_referral(app, received_at=datetime(2026, 3, 2, tzinfo=UTC)) == "PRE-2026-00002"
    # 23:30 UTC on 31 December is already the new year in Paris, where the programme is.
    assert make_referral(app, received_at=NEW_YEARS_EVE_UTC) == "PRE-2027-00001"
    assert make_referral(app, received_at=datetime(2026, 6, 1, tzinfo=UTC)) == "PRE-2026-00003"


def test_a_rolled_back_submission_gives_its_number_back(app):
    with app.app_context():
        assert next_reference(2026) == (1, "PRE-2026-00001")
        db.session.rollback()
        assert next_reference(2026) == (1, "PRE-2026-00001")
        db.session.commit()
        assert next_reference(2026) == (2, "PRE-2026-00002")


def test_second_transaction_waits_for_the_first_and_never_reuses_its_number(app):
    """Two connections: the second blocks on the counter until the first commits or rolls back."""
    first_took_number = threading.Event()
    release_first = threading.Event()
    results: dict[str, object] = {}

    def first(outcome: str) -> None:
        with app.app_context():
            results["first"] = next_reference(2026)[0]
            first_took_number.set()
            release_first.wait(10)
            db.session.commit() if outcome == "commit" else db.session.rollback()

    def second() -> None:
        with app.app_context():
            first_took_number.wait(10)
            results["second"] = next_reference(2026)[0]
            db.session.commit()

    # Round 1 commits numbers 1 and 2; in round 2 the first takes 3 and rolls it back.
    for outcome, expected in (("commit", (1, 2)), ("rollback", (3, 3))):
        results.clear()
        first_took_number.clear()
        release_first.clear()
        threads = [threading.Thread(target=first, args=(outcome,)), threading.Thread(target=second)]
        for thread in threads:
            thread.start()
        first_took_number.wait(10)
        threads[1].join(0.5)
        assert threads[1].is_alive(), "the second transaction did not wait for the first"
        release_first.set()
        for thread in threads:
            thread.join(10)
        # After a rollback the second takes the same number: no gap, and no duplicate.
        assert (results["first"], results["second"]) == expected


def test_concurrent_submissions_get_distinct_consecutive_references(app, new_years_eve):
    count = 8
    start = threading.Barrier(count)
    references: list[str] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            start.wait(10)
            references.append(make_referral(app))
        except BaseException as error:  # reported below, with the thread's failure
            errors.append(error)

    threads = [threading.Thread(target=submit) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert sorted(references) == [f"PRE-2027-{n:05d}" for n in range(1, count + 1)]
    with app.app_context():
        assert len(db.session.scalars(select(Referral)).all()) == count


def test_concurrent_twins_are_stored_once(app, new_years_eve):
    """A double click sends two identical requests at once: the second sees the first."""
    from intake.public.operations import DuplicateSubmission

    twin = data()
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def submit() -> None:
        with app.app_context():
            start.wait(10)
            try:
                referral = create_referral(Source.PARENT, twin, app.extensions["territory"])
                db.session.commit()
                outcomes.append(referral.reference)
            except DuplicateSubmission as duplicate:
                db.session.rollback()
                outcomes.append(f"twin of {duplicate.reference}")

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["PRE-2027-00001", "twin of PRE-2027-00001"]


def test_a_submission_is_one_insert_a_table_with_the_number_taken_last(app, client):
    """The referral, its child, its history and its e-mails reach the database in one INSERT
    a table, without a flush, after the reference counter's statement: the counter's lock,
    which every other submission waits on, is held for those statements and the commit only."""
    statements: list[list[str]] = []
    flushes: list[int] = []

    def count_flush(session, context):
        flushes.append(1)

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement.split(None, 3)[:3])

    with app.app_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        event.listen(Session, "after_flush", count_flush)
        try:
            assert client.post("/orientation", data=orientation()).status_code == 303
        finally:
            event.remove(engine, "before_cursor_execute", record)
            event.remove(Session, "after_flush", count_flush)
    writes = [words for words in statements if words[0] in ("INSERT", "UPDATE", "DELETE")]
    tables = [words[2].strip('"') for words in writes]
    # Three e-mails (coordinators, referrer, family) in one statement (an executemany).
    assert tables == ["reference_counter", "referral", "child", "status_change", "outbox_message"]
    assert flushes == []
    # The duplicate check needs no savepoint of its own (it is written again on a failure).
    assert not [words for words in statements if words[0] in ("SAVEPOINT", "RELEASE")]
