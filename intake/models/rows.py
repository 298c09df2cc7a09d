"""Write new model objects with Core INSERTs, and keep them in the session as if loaded.

A submission writes half a dozen new rows (the referral, its children, its history, its
e-mails) and reads none of them back. Through the unit of work, the Python around those
INSERTs cost more than everything else the request does in the database: the flush sorts
mappers, walks cascades and records attribute history that nothing will look at. Here each
table gets one statement (an executemany for several rows), the column defaults are applied
in Python so that every attribute is known, and the objects join the session as persistent
ones: what comes after (the duplicate check, the view, a test) uses them as it would after
a flush, without reading them again.

Only for rows that are new and complete; anything else goes through the session as usual.
`bulk_insert` is for the many rows a script or an export writes at once, which are never
objects at all.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import JSON, Connection, Table, inspect
from sqlalchemy.orm import Mapper, Session, make_transient_to_detached

# An attribute the object did not set (None is a value it may set: NULL on purpose).
_UNSET = object()


@cache
def column_plan(mapper: Mapper) -> tuple[tuple[str, str, Any], ...]:
    """For each column a new row of `mapper` writes: its attribute, its column and how to
    fill it when unset (a scalar, a callable of no argument, or None for NULL). Read once per
    model rather than for every row."""
    plan = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if column.primary_key and column.autoincrement is not False:
            continue  # the database numbers the row
        default = column.default
        if default is not None and default.is_scalar:
            fill = ("scalar", default.arg)
        elif default is not None and default.is_callable:
            fill = ("call", default.arg)
        else:
            fill = ("scalar", None)
        plan.append((prop.key, column.key, fill))
    return tuple(plan)


def column_values(instance: Any) -> dict[str, Any]:
    """The row `instance` stands for: the columns it set, the others' defaults (which are
    set on it too, so that none is left to load), NULL for the rest."""
    state = inspect(instance)
    given = state.dict
    values = {}
    for attribute, column, (how, default) in column_plan(state.mapper):
        value = given.get(attribute, _UNSET)
        if value is _UNSET:
            value = default(None) if how == "call" else default
            setattr(instance, attribute, value)
        values[column] = value
    return values


@cache
def insert_statement(table: Table, returning: Any = None, several: bool = False) -> Any:
    """`INSERT INTO table`, returning the column `returning` (in the order of the rows when
    there are `several`). Built once: SQLAlchemy works out a statement's cache key on each
    new statement object, and reuses it on the same one."""
    statement = table.insert()
    if returning is None:
        return statement
    return statement.returning(returning, sort_by_parameter_order=several)


def insert_rows(session: Session, instances: Sequence[Any], read_keys: bool = True) -> None:
    """INSERT `instances` (new objects of one model, not in the session) on the session's
    connection, and set their primary keys.

    Foreign keys are not taken from relationships: the caller sets them (a child's
    `referral_id` from its referral's id, once that is known). `attach` then puts the objects
    in the session. With `read_keys` false the rows go in one executemany and their keys are
    not read back: for rows nothing reads again in this transaction, which are not attached.
    """
    if not instances:
        return
    mapper = inspect(instances[0]).mapper
    table: Table = mapper.local_table
    rows = [column_values(instance) for instance in instances]
    connection = session.connection()
    if not read_keys:
        connection.execute(insert_statement(table), rows)
        return
    (key,) = mapper.primary_key
    attribute = mapper.get_property_by_column(key).key
    statement = insert_statement(table, returning=key, several=len(rows) > 1)
    result = connection.execute(statement, rows if len(rows) > 1 else rows[0])
    for instance, (identity,) in zip(instances, result.all(), strict=True):
        setattr(instance, attribute, identity)


def attach(session: Session, instances: Sequence[Any]) -> None:
    """Put objects written by `insert_rows` in `session` as persistent: nothing left to
    write, nothing to read back. Done once every related object is written too, since adding
    an object cascades to the objects it holds."""
    for instance in instances:
        make_transient_to_detached(instance)
    for instance in instances:
        session.add(instance)


def bulk_insert(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Write `rows` (dicts with the same keys) into `table`, in the connection's transaction.

    PostgreSQL's COPY there: psycopg runs an executemany as one statement a row, and preparing
    each row's parameters costs more than the server spends storing it (a seed's hundreds of
    thousands of rows, the read log of an export's 100,000 referrals). Core's executemany
    elsewhere, which SQLite runs in one go.
    """
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(table.insert(), rows)
        return
    names = list(rows[0])
    as_json = {column.name for column in table.columns if isinstance(column.type, JSON)}
    columns = ", ".join(f'"{name}"' for name in names)
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([json.dumps(row[n]) if n in as_json else row[n] for n in names])
