"""PostgreSQL bulk writes through ``COPY``: one stream of rows instead of a statement per row.

Appends (the event log) are copied straight into their table. Upserts are copied into a
temporary staging table and moved with one ``INSERT … SELECT … ON CONFLICT DO UPDATE``, so a
row whose key exists is updated exactly as the per-row upsert would update it.

The values written are the driver values of :mod:`busywork.store.driver`. The staging table
types each column as psycopg types those values when it binds them one row at a time
(``float8`` for amounts, ``timestamptz`` for datetimes, ``json``), so the server converts
them into the target columns with the very casts the per-row statement gets: what is stored
is the same to the last digit. Rows keep their order, and with it their ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.engine import Connection

from busywork.store.column_types import LogicalType
from busywork.store.frames import logical_type

#: Below this many rows a prepared ``executemany`` costs less than setting up a ``COPY``.
COPY_MIN_ROWS = 1_000
#: The staging table's name; dropped once its rows are moved (or with the failed transaction).
STAGE = "busywork_copy_stage"
#: The staging column that keeps the rows' order.
ORDER = "busywork_row"


def append_rows(
    connection: Connection, table: sa.Table, names: Sequence[str], columns: Sequence[list[Any]]
) -> None:
    """Append rows to ``table``: ``columns[i]`` holds the driver values of column ``names[i]``.

    The values must be in the form psycopg binds for the column's own type (as
    :func:`~busywork.store.driver.driver_values` gives them for PostgreSQL).
    """
    with _cursor(connection) as cursor:
        _copy(cursor, sql.Identifier(table.name), names, columns)


def upsert_rows(
    connection: Connection,
    table: sa.Table,
    names: Sequence[str],
    columns: Sequence[list[Any]],
    *,
    keys: Sequence[str],
    update: Sequence[str],
) -> None:
    """Insert rows into ``table``; where a row's ``keys`` exist, overwrite the ``update`` ones."""
    stage = sql.Identifier(STAGE)
    fields = [sql.Identifier(name) for name in names]
    definitions = sql.SQL(", ").join(
        sql.SQL("{} {}").format(field, sql.SQL(_staged_type(table.c[name].type)))
        for field, name in zip(fields, names, strict=True)
    )
    listed = sql.SQL(", ").join(fields)
    move = sql.SQL(
        "INSERT INTO {table} ({listed}) SELECT {listed} FROM {stage} ORDER BY {order}"
        " ON CONFLICT ({keys}) DO UPDATE SET {assignments}"
    ).format(
        table=sql.Identifier(table.name),
        listed=listed,
        stage=stage,
        order=sql.Identifier(ORDER),
        keys=sql.SQL(", ").join(map(sql.Identifier, keys)),
        assignments=sql.SQL(", ").join(
            sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(name)) for name in update
        ),
    )
    numbered = [list(range(len(columns[0]) if columns else 0)), *columns]
    with _cursor(connection) as cursor:
        cursor.execute(
            sql.SQL("CREATE TEMPORARY TABLE {} ({} bigint, {}) ON COMMIT DROP").format(
                stage, sql.Identifier(ORDER), definitions
            )
        )
        _copy(cursor, stage, [ORDER, *names], numbered)
        cursor.execute(move)
        cursor.execute(sql.SQL("DROP TABLE {}").format(stage))


def _copy(
    cursor: psycopg.Cursor[Any],
    target: sql.Composable,
    names: Sequence[str],
    columns: Sequence[list[Any]],
) -> None:
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        target, sql.SQL(", ").join(map(sql.Identifier, names))
    )
    with cursor.copy(statement) as copy:
        for row in zip(*columns, strict=True):
            copy.write_row(row)


def _cursor(connection: Connection) -> psycopg.Cursor[Any]:
    """A cursor of the psycopg connection under ``connection``, in its transaction."""
    driver = connection.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    return driver.cursor()


#: The type psycopg gives a driver value of each logical type when binding it alone.
_STAGED_TYPES: dict[LogicalType, str] = {
    "datetime": "timestamptz",  # driver values are aware datetimes
    "date": "date",
    "bool": "boolean",
    "int": "bigint",
    "float": "float8",
    "str": "text",
}


def _staged_type(column_type: Any) -> str:
    """The type psycopg gives a driver value of ``column_type`` when binding it alone."""
    impl = column_type.impl_instance if isinstance(column_type, sa.TypeDecorator) else column_type
    if isinstance(impl, sa.JSON):
        return "json"
    return _STAGED_TYPES[logical_type(impl)]
