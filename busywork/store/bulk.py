"""Bulk writes at driver speed: frames become driver-ready tuples, column by column.

SQLAlchemy's ``executemany`` runs every bound value of every row through its type
processors, which at a million rows costs more than the database itself. Here a statement is
compiled once, the values are converted per *column* into what the driver stores (see
:mod:`busywork.store.driver`), and the rows go straight to the DB-API cursor. On SQLite a
missing value travels as NaN, which SQLite stores as NULL, because ``sqlite3`` binds a
None several times slower than a float (:data:`~busywork.store.driver.SQLITE_NULL`).

Appends of a few columns per row (the event log) go further on SQLite: the columns shared by
every row are bound once and the rest travel as one JSON array per chunk, unpacked by
``json_each`` inside one ``INSERT … SELECT``. Per-row statement steps from Python are what
an ``executemany`` of a million short rows spends most of its time on. On PostgreSQL, a
thousand rows or more go through ``COPY`` instead (:mod:`busywork.store.pg_copy`).

The stored values are exactly those SQLAlchemy would have written, so every ORM read of the
same rows is unchanged (``tests/store/test_bulk.py`` checks the round trip on both databases).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from busywork.store.driver import SQLITE_NULL, driver_columns, driver_values

#: Rows per JSON array (an append of a few columns on SQLite).
WRITE_CHUNK = 20_000
#: Most per-row columns sent as JSON; beyond that, extracting each field in SQLite costs more
#: than binding it.
JSON_MAX_COLUMNS = 4
#: Column types whose driver values (text, integers, None) survive a JSON round trip exactly.
#: Floats are left out: SQLite's own decimal parsing need not give back the same double.
_JSON_EXACT = (sa.String, sa.JSON, sa.DateTime, sa.Date, sa.Integer, sa.Boolean)
#: json_each and json_extract are built into every SQLite from 3.38.
_SQLITE_HAS_JSON = sqlite3.sqlite_version_info >= (3, 38, 0)
_NAMED = re.compile(r"%\((\w+)\)s")


def upsert_frame(
    connection: Connection,
    table: sa.Table,
    frame: pd.DataFrame,
    *,
    keys: Sequence[str],
    update: Sequence[str],
) -> None:
    """Insert ``frame``'s rows into ``table``; on a ``keys`` conflict overwrite ``update``."""
    if frame.empty:
        return
    columns = list(frame.columns)
    if _copies(connection, frame):
        values = [driver_values(frame[name], table.c[name].type, "postgresql") for name in columns]
        from busywork.store import pg_copy  # noqa: PLC0415  (PostgreSQL only: see _copies)

        pg_copy.upsert_rows(connection, table, columns, values, keys=keys, update=update)
        return
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = insert(table).values({name: sa.bindparam(name) for name in columns})
    statement = statement.on_conflict_do_update(
        index_elements=list(keys), set_={name: statement.excluded[name] for name in update}
    )
    _execute(connection, statement, frame, table)


def insert_frame(
    connection: Connection,
    table: sa.Table,
    frame: pd.DataFrame,
    *,
    constants: Mapping[str, Any] | None = None,
) -> None:
    """Append ``frame``'s rows to ``table``, in order (columns named as the table's).

    Args:
        connection: an open connection, inside the caller's transaction.
        table: the table appended to.
        frame: one row per new table row.
        constants: more columns, each with one value shared by every row.
    """
    if frame.empty:
        return
    constants = dict(constants or {})
    if _fits_json(connection, table, frame):
        _insert_json(connection, table, frame, constants)
        return
    frame = frame.assign(**constants)
    if _copies(connection, frame):
        names = list(map(str, frame.columns))
        values = [driver_values(frame[name], table.c[name].type, "postgresql") for name in names]
        from busywork.store import pg_copy  # noqa: PLC0415  (PostgreSQL only: see _copies)

        pg_copy.append_rows(connection, table, names, values)
        return
    statement = sa.insert(table).values({name: sa.bindparam(name) for name in frame.columns})
    _execute(connection, statement, frame, table)


def _execute(
    connection: Connection, statement: sa.Insert, frame: pd.DataFrame, table: sa.Table
) -> None:
    sql, order = _driver_sql(connection, statement)
    dialect = connection.dialect.name
    missing_as = SQLITE_NULL if dialect == "sqlite" else None
    values = driver_columns(frame, table, order, dialect, missing_as)
    _executemany(connection, sql, zip(*(values[name] for name in order), strict=True))


def _executemany(connection: Connection, sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """``sql`` once per row of ``rows``, through the DB-API cursor of ``connection``.

    The rows are taken from the iterator as the driver binds them: no list of a million
    tuples is built first (0.3 s of a million-record import, and its memory).
    SQLAlchemy's ``exec_driver_sql`` would need that list; the driver's own
    ``executemany`` does not. Its errors are raised as SQLAlchemy's, as
    ``exec_driver_sql`` raises them (``IntegrityError`` …), parameters hidden.
    """
    driver_error = connection.dialect.loaded_dbapi.Error
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, rows)  # type: ignore[arg-type]  # drivers take any iterable
    except driver_error as exc:
        raise sa.exc.DBAPIError.instance(
            sql, None, exc, driver_error, hide_parameters=True, dialect=connection.dialect
        ) from exc
    finally:
        cursor.close()


def _copies(connection: Connection, frame: pd.DataFrame) -> bool:
    """Whether ``frame`` goes to PostgreSQL through ``COPY`` (see :mod:`busywork.store.pg_copy`).

    ``pg_copy`` and the driver it needs are imported only on PostgreSQL: a process on SQLite
    (a detection, the tests) does not load psycopg (8 MB).
    """
    if connection.dialect.name != "postgresql":
        return False
    from busywork.store import pg_copy  # noqa: PLC0415

    return len(frame) >= pg_copy.COPY_MIN_ROWS


def _fits_json(connection: Connection, table: sa.Table, frame: pd.DataFrame) -> bool:
    """Whether ``frame`` is narrow and exact enough to be appended as JSON on SQLite."""
    if connection.dialect.name != "sqlite" or not _SQLITE_HAS_JSON:
        return False
    types = [_impl(table.c[name].type) for name in frame.columns]
    return len(types) <= JSON_MAX_COLUMNS and all(
        isinstance(column_type, _JSON_EXACT) for column_type in types
    )


def _insert_json(
    connection: Connection, table: sa.Table, frame: pd.DataFrame, constants: dict[str, Any]
) -> None:
    """SQLite: shared values bound once, each chunk of rows as one JSON array.

    A column whose every value is the same is bound once too. When one column is left, the
    array holds its values themselves, read as ``json_each``'s ``value`` (no per-field
    extraction: a first load's events cost half as much again); otherwise it holds one array
    per row.
    """
    fixed = {
        name: driver_values(pd.Series([value]), table.c[name].type, "sqlite")[0]
        for name, value in constants.items()
    }
    varying = {
        name: driver_values(frame[name], table.c[name].type, "sqlite")
        for name in map(str, frame.columns)
    }
    for name, values in list(varying.items()):
        if len(varying) > 1 and values.count(values[0]) == len(values):
            fixed[name] = values[0]
            del varying[name]
    if len(varying) == 1:
        rows: list[Any] = next(iter(varying.values()))
        fields = "value"
    else:
        rows = list(zip(*varying.values(), strict=True))
        fields = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(varying)))
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in [*fixed, *varying])
    placeholders = "?, " * len(fixed)
    insert = f"INSERT INTO {quote(table.name)} ({names}) "
    from_json = f"SELECT {placeholders}{fields} FROM json_each(?) ORDER BY key"
    one_row = f"VALUES ({placeholders}{', '.join('?' * len(varying))})"
    for start in range(0, len(rows), WRITE_CHUNK):
        chunk = rows[start : start + WRITE_CHUNK]
        payload = json.dumps(chunk, ensure_ascii=False, allow_nan=False)
        if "\\u0000" in payload:  # SQLite's JSON strings end at a NUL: bind these rows instead
            bound = chunk if len(varying) > 1 else [(value,) for value in chunk]
            connection.exec_driver_sql(insert + one_row, [(*fixed.values(), *row) for row in bound])
        else:
            connection.exec_driver_sql(insert + from_json, (*fixed.values(), payload))


def _impl(column_type: Any) -> Any:
    return column_type.impl_instance if isinstance(column_type, sa.TypeDecorator) else column_type


def _driver_sql(connection: Connection, statement: sa.Insert) -> tuple[str, list[str]]:
    """The statement as the driver's positional SQL and the column order of its parameters."""
    compiled = statement.compile(dialect=connection.dialect)
    sql = str(compiled)
    if connection.dialect.paramstyle in ("qmark", "numeric"):
        return sql, list(compiled.positiontup or ())
    order: list[str] = []

    def positional(match: re.Match[str]) -> str:
        order.append(match.group(1))
        return "%s"

    return _NAMED.sub(positional, sql), order
