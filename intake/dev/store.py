"""Writing the seeder's batches: a chunk of rows per transaction, the next generated meanwhile."""

# Writing takes a chunk of referrals with their children, history, agreements, parcours and
# notes per
# transaction (SQLAlchemy Core `executemany` on SQLite, COPY on PostgreSQL), with primary keys
# assigned by the generator so that children can name their referral without a RETURNING per
# row; a second process generates the next chunk meanwhile. No e-mail is queued.

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from intake.dev import DEFAULT_SEED
from intake.dev.generator import CHUNK_SIZE, Batch, Start, generate
from intake.extensions import db
from intake.models import (
    Action,
    Agreement,
    AgreementChild,
    Assignment,
    Child,
    DuplicatePair,
    Note,
    Objective,
    Parcours,
    ReferenceCounter,
    Referral,
    ReferralLanguage,
    Review,
    Role,
    StatusChange,
    User,
)
from intake.models.rows import bulk_insert
from intake.rules.search import order_key
from intake.territory.model import Territory


class SeedRefused(Exception):
    """The database already holds referrals and `--force` was not given."""


TABLES = (
    ("referral_id", Referral),
    ("child_id", Child),
    ("status_change_id", StatusChange),
    ("agreement_id", Agreement),
    ("agreement_child_id", AgreementChild),
    ("parcours_id", Parcours),
    ("parcours_objective_id", Objective),
    ("parcours_action_id", Action),
    ("parcours_review_id", Review),
    ("note_id", Note),
    ("assignment_id", Assignment),
    ("duplicate_pair_id", DuplicatePair),
)


def read_start(connection) -> Start:
    """Where the tables' ids and the yearly numbers stand in the database."""
    start = Start()
    for attribute, model in TABLES:
        highest = connection.scalar(select(func.max(model.id)))
        setattr(start, attribute, (highest or 0) + 1)
    by_year = select(Referral.year, func.max(Referral.number)).group_by(Referral.year)
    numbers = {year: last for year, last in connection.execute(by_year)}
    for year, last in connection.execute(
        select(ReferenceCounter.year, ReferenceCounter.last_number)
    ):
        # The counter is the truth for real submissions; the referrals' own numbers guard
        # against a counter someone reset by hand.
        numbers[year] = max(last, numbers.get(year, 0))
    start.last_numbers = numbers
    return start


SEARCH_TRIGGER = "referral_search_insert"


def _store(connection, batch: Batch) -> None:
    postgresql = connection.dialect.name == "postgresql"
    trigger = None
    if not postgresql:
        # SQLite's FTS5 index of the search keys is filled by a trigger, a row at a time: five
        # times slower than one INSERT … SELECT for the chunk. The trigger is dropped and
        # created again from its own stored text inside this transaction, so no other writer
        # can come in between and a failure leaves it as it was.
        trigger = connection.scalar(
            text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
            {"name": SEARCH_TRIGGER},
        )
        if trigger:
            connection.execute(text(f"DROP TRIGGER {SEARCH_TRIGGER}"))
    bulk_insert(connection, Referral.__table__, batch.referrals)
    if trigger:
        connection.execute(
            text(
                # order_key() is SQL of our own, with no value in it.
                f"INSERT INTO referral_search(rowid, search_key) "  # noqa: S608
                f"SELECT {order_key('referral')}, search_key FROM referral "
                f"WHERE id BETWEEN :first AND :last"
            ),
            {"first": batch.referrals[0]["id"], "last": batch.referrals[-1]["id"]},
        )
        connection.execute(text(trigger))
    for rows, model in (
        (batch.children, Child),
        (batch.history, StatusChange),
        (batch.agreements, Agreement),
        (batch.covers, AgreementChild),
        (batch.parcours, Parcours),
        (batch.objectives, Objective),
        (batch.actions, Action),
        (batch.reviews, Review),
        (batch.notes, Note),
        (batch.assignments, Assignment),
        (batch.pairs, DuplicatePair),
        (batch.languages, ReferralLanguage),
    ):
        bulk_insert(connection, model.__table__, rows)
    if batch.flagged:
        connection.execute(
            update(Referral).where(Referral.id.in_(batch.flagged)).values(duplicate_suspected=True)
        )
    upsert = pg_insert if postgresql else sqlite_insert
    rows = [{"year": year, "last_number": last} for year, last in batch.counters.items()]
    statement = upsert(ReferenceCounter.__table__).values(rows)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["year"], set_={"last_number": statement.excluded.last_number}
        )
    )
    if postgresql:
        # Ids were given explicitly, which leaves the sequences behind: move them past the
        # rows written, or the next real submission would collide with a seeded id.
        for _, model in TABLES:
            table = model.__tablename__
            # The table names are the models' own, never input.
            statement = (
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
            connection.execute(text(statement))


def seed_database(
    count: int,
    *,
    territory: Territory,
    seed: int = DEFAULT_SEED,
    force: bool = False,
    now: datetime | None = None,
    chunk_size: int = CHUNK_SIZE,
    progress=None,
) -> int:
    """Add `count` fictional referrals to the app's database, a chunk per transaction;
    refuse (SeedRefused, nothing written) a database that holds referrals unless `force`.
    Returns the number of referrals written. `progress(done, total)` follows each chunk."""
    # The start of today: the same seed gives the same data all day long.
    now = now or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    engine = db.engine
    with engine.connect() as connection:
        if not force and connection.scalar(select(Referral.id).limit(1)) is not None:
            raise SeedRefused
        start = read_start(connection)
        users = select(User.id).where(User.role == Role.COORDINATOR.value, User.active)
        user_ids = list(connection.scalars(users.order_by(User.id)))
    options = {
        "territory": territory,
        "now": now,
        "seed": seed,
        "start": start,
        "user_ids": user_ids,
        "chunk_size": chunk_size,
    }
    done = 0
    for batch in _batches(count, options):
        with engine.begin() as connection:
            _store(connection, batch)
        done += len(batch.referrals)
        if progress is not None:
            progress(done, count)
    refresh_statistics(engine)
    return done


def refresh_statistics(engine) -> None:
    """Do at once what the database would do some time after a bulk load.

    On PostgreSQL, what autovacuum does: gather the planner's statistics and mark the pages
    all-visible. Until then the planner guesses (an anti-join over the whole table for
    "agreement missing"), and a freshly seeded database is measured on plans a live one
    would never use. On SQLite, merge the FTS5 search index, which each chunk left as a
    segment of its own, into one, as FTS5 advises after a bulk load (a search reads every
    segment: 5–11 % of a search page at 100,000). SQLite gathers no statistics unless
    asked, in production too, so none are gathered."""
    if engine.dialect.name != "postgresql":
        with engine.begin() as connection:
            connection.execute(text(OPTIMIZE_SEARCH))
        return
    # VACUUM cannot run inside a transaction block.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


OPTIMIZE_SEARCH = "INSERT INTO referral_search(referral_search) VALUES ('optimize')"


def _batches(count: int, options: dict[str, Any]) -> Iterator[Batch]:
    """`generate(count, **options)`, run in a second process when there is more than one
    chunk: generating a chunk costs about as much as storing it, so the next chunk is
    generated while this one is written (the process is dropped if writing fails)."""
    if count <= options["chunk_size"]:
        yield from generate(count, **options)
        return
    # spawn, not fork: a forked child would share the parent's database connections.
    context = multiprocessing.get_context("spawn")
    queue = context.Queue(maxsize=2)
    process = context.Process(target=_produce, args=(queue, count, options), daemon=True)
    process.start()
    try:
        while (item := queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        if process.is_alive():
            process.terminate()
        process.join()


def _produce(queue, count: int, options: dict[str, Any]) -> None:
    """The second process of `_batches`: every batch, then None, or the error it met."""
    try:
        for batch in generate(count, **options):
            queue.put(batch)
    except Exception as error:  # handed to the parent, which raises it
        queue.put(error)
    else:
        queue.put(None)
