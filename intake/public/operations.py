"""Store a referral: number it, screen its children, queue its e-mails."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from intake.duplicates.pairs import check_referral
from intake.extensions import db
from intake.models import (
    Child,
    OutboxMessage,
    ReferenceCounter,
    Referral,
    Source,
    StatusChange,
    utcnow,
)
from intake.models.rows import attach, insert_rows
from intake.notifications.outbox import referral_emails
from intake.referrals.fields import (
    CHILD_FIELDS,
    SHARED_FIELDS,
    SOURCE_FIELDS,
    contact_doubt,
    stored_value,
    stored_values,
)
from intake.referrals.screening import apply_screening, screen_child
from intake.rules.clock import local_date
from intake.rules.reach import DEFAULT_LANGUAGE
from intake.rules.screening import Eligibility, best
from intake.rules.search import referral_key
from intake.rules.workflow import Status
from intake.territory.model import Territory

# The same submission again within this delay is a double send, not a new referral.
DUPLICATE_WINDOW = timedelta(minutes=30)


class DuplicateSubmission(Exception):
    """The same form was already stored a moment ago; `reference` is the stored one."""

    def __init__(self, reference: str) -> None:
        super().__init__(reference)
        self.reference = reference


def fingerprint(source: Source, data: dict[str, Any]) -> str:
    """A digest of everything the person typed, in a stable order."""
    typed = {name: value for name, value in data.items() if name not in ("csrf_token", "website")}
    text = json.dumps([source.value, typed], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def next_reference(year: int) -> tuple[int, str]:
    """Take the next number of `year` and return it with its reference `PRE-YYYY-NNNNN`.

    One statement creates the year's counter or moves it on, and locks its row in the
    caller's transaction: a concurrent submission waits on that lock until the first commits
    or rolls back, so numbers never repeat and a failed submission gives its number back (no
    gaps). Callers take it as late as they can, since every other submission queues behind it.
    """
    connection = db.session.connection()
    statement = TAKE_NUMBER[connection.dialect.name == "postgresql"]
    number = connection.execute(statement, {"year": year}).scalar_one()
    return number, f"PRE-{year}-{number:05d}"


def take_number_statement(insert) -> Any:
    """`INSERT … ON CONFLICT DO UPDATE … RETURNING` of the counter, in a dialect's words."""
    counter = ReferenceCounter.__table__
    return (
        insert(counter)
        .values(year=bindparam("year"), last_number=1)
        .on_conflict_do_update(
            index_elements=[counter.c.year], set_={"last_number": counter.c.last_number + 1}
        )
        .returning(counter.c.last_number)
    )


# Built once (Core, on the table): run on the session's connection, as the rest of a
# submission's writes, without the ORM's statement machinery around each. By "is PostgreSQL".
TAKE_NUMBER = {False: take_number_statement(sqlite_insert), True: take_number_statement(pg_insert)}
_referral = Referral.__table__
TWIN = (
    select(_referral.c.reference)
    .where(_referral.c.fingerprint == bindparam("fingerprint"))
    .where(_referral.c.received_at >= bindparam("since"))
    .limit(1)
)


def new_referral(
    source: Source,
    data: dict[str, Any],
    received_at: datetime,
    sent_language: str = DEFAULT_LANGUAGE,
) -> Referral:
    """The referral's own row for a validated form's `data`, received at `received_at`, in
    the Paris year of that day, from a page in `sent_language`: not numbered yet, without
    children, history or e-mails."""
    values = stored_values(data, SHARED_FIELDS + SOURCE_FIELDS[source])
    return Referral(
        fingerprint=fingerprint(source, data),
        year=local_date(received_at).year,
        source=source.value,
        received_at=received_at,
        last_activity_at=received_at,
        status=Status.NEW.value,
        sent_language=sent_language,
        # Known now, so the coordination's alert can say it and the queue filter on it.
        contact_doubt=contact_doubt(values["guardian_phone"], values["guardian_email"]),
        **values,
    )


def create_referral(
    source: Source,
    data: dict[str, Any],
    territory: Territory,
    received_at: datetime | None = None,
    *,
    sent_language: str = DEFAULT_LANGUAGE,
    check_duplicates: bool = True,
) -> Referral:
    """Create the referral described by a validated form's `data` (written, not committed),
    sent from a page in `sent_language` (the referrer is written to in it).

    Everything is built first, in memory; then the reference number is taken, and the
    referral, its children, its history and its e-mails are written with one INSERT a table
    (`intake.models.rows`) just before the caller commits, so the counter's lock is held for
    as short a time as can be. Its children are then compared with those of the other open
    referrals (the duplicate warning), under that lock so that a referral sent a moment
    earlier is seen.

    The check never makes the submission fail, yet runs without a savepoint of its own (two
    more round trips and a nested transaction on every submission, for a failure that should
    never come): if it fails, the transaction, which PostgreSQL may have aborted, is rolled
    back, and the referral written again without the check. Nothing else may be pending in
    the session when this is called.
    """
    received_at = received_at or utcnow()
    referral = new_referral(source, data, received_at, sent_language)
    for position, child_data in enumerate(data["children"]):
        child = Child(
            position=position,
            **{name: stored_value(name, child_data[name]) for name in CHILD_FIELDS},
        )
        apply_screening(child, screen_child(child, referral, territory), territory)
        referral.children.append(child)
    referral.eligibility = best(Eligibility(child.eligibility) for child in referral.children).value
    # Each child is received: its history starts here.
    for child in referral.children:
        referral.history.append(
            StatusChange(
                at=received_at,
                child=child,
                from_status=None,
                to_status=Status.NEW.value,
                comment="",
            )
        )
    # Rows only: the worker writes the e-mails when it sends them.
    messages = referral_emails(referral, territory, current_app.config)
    # Nothing may reach the database before the number is taken: the rows are incomplete
    # until then, and every statement run under the counter's lock makes others wait.
    number, referral.reference = next_reference(referral.year)
    referral.number = number
    # Checked under the counter's lock: a concurrent twin has committed by now.
    twin = (
        db.session.connection()
        .execute(
            TWIN, {"fingerprint": referral.fingerprint, "since": received_at - DUPLICATE_WINDOW}
        )
        .scalar()
    )
    if twin is not None:
        raise DuplicateSubmission(twin)
    write_new_referral(referral, messages)
    if not check_duplicates:
        return referral
    try:
        check_referral(referral, received_at)
    except Exception as error:
        # These objects name rows the rollback takes back: out of the session first, so the
        # second writing can take their ids.
        db.session.expunge(referral)
        db.session.rollback()
        stored = create_referral(
            source,
            data,
            territory,
            received_at,
            sent_language=sent_language,
            check_duplicates=False,
        )
        current_app.logger.error(
            "duplicate check failed reference=%s", stored.reference, exc_info=error
        )
        return stored
    return referral


def write_new_referral(referral: Referral, messages: list[OutboxMessage]) -> None:
    """INSERT the referral, then its children, history, languages and e-mails, which carry
    its id, and keep all but the e-mails (the worker's business) in the session as written.
    The search key is the one every flush keeps (`refresh_search_keys`), computed here since
    no flush runs."""
    referral.search_key = referral_key(referral)
    insert_rows(db.session, [referral])
    languages = referral.language_rows
    for row in (*referral.children, *referral.history, *languages, *messages):
        row.referral_id = referral.id
    insert_rows(db.session, referral.children)
    for change in referral.history:
        change.child_id = change.child.id
    insert_rows(db.session, referral.history)
    if languages:
        insert_rows(db.session, languages, read_keys=False)
    insert_rows(db.session, messages, read_keys=False)
    attach(db.session, [referral, *referral.children, *referral.history, *languages])
