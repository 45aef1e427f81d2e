"""Bulk writes at driver speed: frames become driver-ready tuples, column by column.

SQLAlchemy's ``executemany`` runs every bound value of every row through its type
processors, which at a million rows costs more than the database itself. Here a statement is
compiled once, the values are converted with vectorised pandas/numpy per *column* into what
the driver stores (SQLite: the ISO text SQLAlchemy itself writes; PostgreSQL: ``date`` /
``datetime`` objects and ``Json``), and the rows go straight to the DB-API cursor.

The stored values are exactly those SQLAlchemy would have written, so every ORM read of the
same rows is unchanged (``tests/store/test_bulk.py`` checks the round trip on both databases).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from psycopg.types.json import Json
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

#: Rows per ``executemany`` call.
WRITE_CHUNK = 20_000
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
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    columns = list(frame.columns)
    statement = insert(table).values({name: sa.bindparam(name) for name in columns})
    statement = statement.on_conflict_do_update(
        index_elements=list(keys), set_={name: statement.excluded[name] for name in update}
    )
    _execute(connection, statement, frame, table)


def insert_frame(connection: Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    """Append ``frame``'s rows to ``table`` (columns named as the table's)."""
    if frame.empty:
        return
    statement = sa.insert(table).values({name: sa.bindparam(name) for name in frame.columns})
    _execute(connection, statement, frame, table)


def _execute(
    connection: Connection, statement: sa.Insert, frame: pd.DataFrame, table: sa.Table
) -> None:
    sql, order = _driver_sql(connection, statement)
    dialect = connection.dialect.name
    values = {name: driver_values(frame[name], table.c[name].type, dialect) for name in order}
    rows = list(zip(*(values[name] for name in order), strict=True))
    for start in range(0, len(rows), WRITE_CHUNK):
        connection.exec_driver_sql(sql, rows[start : start + WRITE_CHUNK])


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


def driver_values(values: pd.Series, column_type: Any, dialect: str) -> list[Any]:
    """``values`` converted to what the DB-API driver stores for a column of ``column_type``.

    Missing values (None, NaN, NaT, NA) become None.
    """
    if isinstance(column_type, sa.TypeDecorator):
        column_type = column_type.impl_instance
    missing = values.isna().to_numpy()
    if isinstance(column_type, sa.DateTime):
        out = _datetimes(values, dialect)
    elif isinstance(column_type, sa.Date):
        out = _dates(values, dialect)
    elif isinstance(column_type, sa.JSON):
        out = _json(values, dialect)
    elif isinstance(column_type, sa.Boolean):
        out = values.fillna(False).astype(bool).to_numpy(dtype=object)
        if dialect == "sqlite":
            out = np.where(out.astype(bool), 1, 0).astype(object)
    elif isinstance(column_type, sa.Integer):
        out = values.astype("Int64").astype(object).to_numpy()
    elif isinstance(column_type, sa.Numeric | sa.Float):
        out = values.astype("float64").to_numpy(dtype=object)
    else:
        out = values.to_numpy(dtype=object)
    if missing.any():
        out = out.copy()
        out[missing] = None
    result: list[Any] = out.tolist()
    return result


def _datetimes(values: pd.Series, dialect: str) -> np.ndarray:
    stamps = pd.to_datetime(values, utc=True)  # naive values are UTC already
    if dialect == "sqlite":
        # SQLAlchemy's SQLite storage format, UTC without an offset: "2026-01-31 09:30:00.000000".
        naive = stamps.dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
        text = np.datetime_as_string(naive, unit="us")  # fixed width: "2026-01-31T09:30:…"
        if len(text):
            characters = text.view(np.uint32).reshape(len(text), -1)
            characters[:, 10] = ord(" ")  # the "T"; NaT rows are masked to None by the caller
        return text.astype(object)
    return np.asarray(stamps.dt.to_pydatetime(), dtype=object)


def _dates(values: pd.Series, dialect: str) -> np.ndarray:
    if values.dtype == object:
        values = pd.to_datetime(values)
    days = values.to_numpy(dtype="datetime64[D]")
    if dialect == "sqlite":
        return np.datetime_as_string(days, unit="D").astype(object)
    return days.astype(object)  # numpy turns datetime64[D] into datetime.date


def _json(values: pd.Series, dialect: str) -> np.ndarray:
    objects = values.to_numpy(dtype=object)
    if dialect == "postgresql":
        return np.array([None if v is None else Json(v) for v in objects], dtype=object)
    return np.array([None if v is None else json.dumps(v) for v in objects], dtype=object)
