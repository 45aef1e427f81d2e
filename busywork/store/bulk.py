"""Bulk writes at driver speed: frames become driver-ready tuples, column by column.

SQLAlchemy's ``executemany`` runs every bound value of every row through its type
processors, which at a million rows costs more than the database itself. Here a statement is
compiled once, the values are converted per *column* into what the driver stores (see
:mod:`busywork.store.driver`), and the rows go straight to the DB-API cursor. On SQLite a
missing value travels as NaN, which SQLite stores as NULL, because ``sqlite3`` binds a
None several times slower than a float (:data:`~busywork.store.driver.SQLITE_NULL`).

Appends of a few columns per row (the event log) go further on SQLite: hundreds of rows
per statement, as one ``VALUES`` list whose rows name the values every row shares as the
same numbered parameters (bound once) and add only their own. Per-row statement steps from
Python are what an ``executemany`` of a million short rows spends most of its time on. On
PostgreSQL, a thousand rows or more go through ``COPY`` instead
(:mod:`busywork.store.pg_copy`).

The stored values are exactly those SQLAlchemy would have written, so every ORM read of the
same rows is unchanged (``tests/store/test_bulk.py`` checks the round trip on both databases).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from busywork.store.driver import SQLITE_NULL, driver_columns, driver_values
from busywork.store.text_codes import TextCodes

#: Most columns per row appended as a ``VALUES`` list; wider rows bind faster one per step
#: of an ``executemany`` (22-column invoices: 1.03 s against 0.93 s).
VALUES_MAX_COLUMNS = 4
#: Rows per ``VALUES`` list, at most (an event log chunk of 200,000 ids: 0.105 s, where one
#: JSON array per 20,000 rows unpacked by ``json_each`` took 0.137 s).
VALUES_ROWS = 500
#: Bound parameters per statement, at most: SQLite's oldest limit.
MAX_PARAMETERS = 999
_NAMED = re.compile(r"%\((\w+)\)s")


def upsert_frame(
    connection: Connection,
    table: sa.Table,
    frame: pd.DataFrame,
    *,
    keys: Sequence[str],
    update: Sequence[str],
    coded: Mapping[str, TextCodes] | None = None,
    constants: Mapping[str, Any] | None = None,
) -> None:
    """Insert ``frame``'s rows into ``table``; on a ``keys`` conflict overwrite ``update``.

    Args:
        connection: an open connection, inside the caller's transaction.
        table: the table written.
        frame: one row per row to write (columns named as the table's).
        keys: the columns of the unique key a row may conflict on.
        update: the columns a conflicting row overwrites.
        coded: text columns of ``frame`` as codes (the same values, aligned with its rows):
            converted from those (:func:`~busywork.store.driver.coded_values`).
        constants: more columns, each with one value shared by every row: SQL literals
            where they can be (:func:`_statement_values`; a million-record import bound
            three such values per record).
    """
    if frame.empty:
        return
    constants = dict(constants or {})
    if _copies(connection, frame):
        names, values = _copied_columns(frame, table, constants, coded)
        from busywork.store import pg_copy  # noqa: PLC0415  (PostgreSQL only: see _copies)

        pg_copy.upsert_rows(connection, table, names, values, keys=keys, update=update)
        return
    frame, bound = _statement_values(connection, table, frame, constants)
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = insert(table).values(bound)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys), set_={name: statement.excluded[name] for name in update}
    )
    _execute(connection, statement, frame, table, coded)


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
    if connection.dialect.name == "sqlite" and len(frame.columns) <= VALUES_MAX_COLUMNS:
        _insert_values_lists(connection, table, frame, constants)
        return
    if _copies(connection, frame):
        names, values = _copied_columns(frame, table, constants)
        from busywork.store import pg_copy  # noqa: PLC0415  (PostgreSQL only: see _copies)

        pg_copy.append_rows(connection, table, names, values)
        return
    frame, bound = _statement_values(connection, table, frame, constants)
    _execute(connection, sa.insert(table).values(bound), frame, table)


def _copied_columns(
    frame: pd.DataFrame,
    table: sa.Table,
    constants: Mapping[str, Any],
    coded: Mapping[str, TextCodes] | None = None,
) -> tuple[list[str], list[list[Any]]]:
    """What COPY sends: ``frame``'s columns, then each constant's driver value repeated."""
    columns = list(map(str, frame.columns))
    converted = driver_columns(frame, table, columns, "postgresql", coded=coded)
    values = [converted[name] for name in columns]
    for name, value in constants.items():
        shared = driver_values(pd.Series([value]), table.c[name].type, "postgresql")[0]
        values.append([shared] * len(frame))
    return [*columns, *constants], values


def _statement_values(
    connection: Connection, table: sa.Table, frame: pd.DataFrame, constants: Mapping[str, Any]
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """An insert's values: ``frame``'s columns bound per row, the constants as SQL literals.

    Text and flags are rendered by SQLAlchemy's own types (quoted as the dialect quotes
    them): nothing to convert or bind per row. A constant of another type becomes a column
    of ``frame`` (the frame returned), bound per row.
    """
    literals: dict[str, Any] = {}
    for name, value in constants.items():
        column_type = _impl(table.c[name].type)
        render = column_type.literal_processor(connection.dialect)
        if render is not None and isinstance(column_type, sa.String | sa.Boolean):
            literals[name] = sa.literal_column(render(value), type_=column_type)
    frame = frame.assign(**{name: constants[name] for name in constants if name not in literals})
    return frame, {**{name: sa.bindparam(name) for name in frame.columns}, **literals}


def _execute(
    connection: Connection,
    statement: sa.Insert,
    frame: pd.DataFrame,
    table: sa.Table,
    coded: Mapping[str, TextCodes] | None = None,
) -> None:
    sql, order = _driver_sql(connection, statement)
    dialect = connection.dialect.name
    missing_as = SQLITE_NULL if dialect == "sqlite" else None
    values = driver_columns(frame, table, order, dialect, missing_as, coded)
    _executemany(connection, sql, zip(*(values[name] for name in order), strict=True))


def _executemany(connection: Connection, sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """``sql`` once per row of ``rows``, through the DB-API cursor of ``connection``.

    The rows are taken from the iterator as the driver binds them: no list of a million
    tuples is built first (0.3 s of a million-record import, and its memory).
    SQLAlchemy's ``exec_driver_sql`` would need that list; the driver's own
    ``executemany`` does not. Its errors are raised as SQLAlchemy's, as
    ``exec_driver_sql`` raises them (``IntegrityError`` …), parameters hidden. A lost
    connection is handled as SQLAlchemy handles it: the connection is invalidated (the
    pool never hands it out again) and the error says so (``connection_invalidated``).
    """
    dialect = connection.dialect
    driver_error = dialect.loaded_dbapi.Error
    dbapi_connection = connection.connection.dbapi_connection
    cursor = None
    try:
        cursor = dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.executemany(sql, rows)  # type: ignore[arg-type]  # drivers take any iterable
    except driver_error as exc:
        lost = dialect.is_disconnect(exc, dbapi_connection, cursor)
        if lost:
            connection.invalidate(exc)
        raise sa.exc.DBAPIError.instance(
            sql,
            None,
            exc,
            driver_error,
            hide_parameters=True,
            connection_invalidated=lost,
            dialect=dialect,
        ) from exc
    finally:
        if cursor is not None:
            with contextlib.suppress(driver_error):  # a lost connection's cursor may not close
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


def _insert_values_lists(
    connection: Connection, table: sa.Table, frame: pd.DataFrame, constants: dict[str, Any]
) -> None:
    """SQLite: :data:`VALUES_ROWS` rows per statement, the values they share bound once.

    ``INSERT … VALUES (?1, ?2, ?4), (?1, ?2, ?5) …``: every row names the shared values'
    numbered parameters again and adds its own. A column whose every value is the same is
    shared too. The rows are stored in order, with exactly the values an ``executemany``
    would bind (NULs and floats included).
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
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in [*fixed, *varying])
    insert = f"INSERT INTO {quote(table.name)} ({names}) VALUES "
    shared, width = [f"?{number}" for number in range(1, len(fixed) + 1)], len(varying)
    per_statement = min(VALUES_ROWS, (MAX_PARAMETERS - len(fixed)) // width)
    columns, count = list(varying.values()), len(frame)

    def values_list(rows: int) -> str:
        first = len(fixed) + 1
        own = [f"?{number}" for number in range(first, first + rows * width)]
        return ", ".join(
            f"({', '.join(shared + own[row * width : (row + 1) * width])})" for row in range(rows)
        )

    full = insert + values_list(per_statement)
    for start in range(0, count, per_statement):
        rows = min(per_statement, count - start)
        part = [column[start : start + rows] for column in columns]
        own = part[0] if width == 1 else list(chain.from_iterable(zip(*part, strict=True)))
        sql = full if rows == per_statement else insert + values_list(rows)
        connection.exec_driver_sql(sql, (*fixed.values(), *own))


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
