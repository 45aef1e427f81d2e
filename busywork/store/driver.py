"""Column values as the DB-API driver stores them, converted a whole column at a time.

SQLite gets the ISO text SQLAlchemy itself writes; PostgreSQL gets ``date`` / ``datetime``
objects and ``Json``. The values are exactly those SQLAlchemy's own type processors would
have bound, so every ORM read of rows written this way is unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from busywork.store.text_codes import TextCodes

#: What a missing value is bound as on SQLite: NaN, which SQLite stores as NULL
#: (``sqlite3_bind_double`` of a NaN binds NULL). Python's ``sqlite3`` binds a float
#: directly, but sends None through its adapter lookup first, which makes a None parameter
#: cost about six times a float one: at a million rows with a few blank cells each, seconds
#: of an ``executemany``. ``tests/store/test_driver.py`` pins that NaN is stored as NULL.
SQLITE_NULL = float("nan")


def driver_values(
    values: pd.Series, column_type: Any, dialect: str, missing_as: object = None
) -> list[Any]:
    """``values`` converted to what the DB-API driver stores for a column of ``column_type``.

    Missing values (None, NaN, NaT, NA) become ``missing_as``: None, or on SQLite
    :data:`SQLITE_NULL` (see there).
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
        out[missing] = missing_as
    result: list[Any] = out.tolist()
    return result


def driver_columns(
    frame: pd.DataFrame,
    table: sa.Table,
    names: Sequence[str],
    dialect: str,
    missing_as: object = None,
    coded: Mapping[str, TextCodes] | None = None,
) -> dict[str, list[Any]]:
    """:func:`driver_values` of each column ``names`` of ``frame``, a column of ``table``.

    On SQLite the date-time columns are converted together: an instant that several of them
    hold (a record created and last updated at once, paid when last updated) is written as
    text once, and its text shared. Missing values become ``missing_as``. A text column
    that ``coded`` holds (the same values, as codes aligned with ``frame``) is taken from
    its codes (:func:`coded_values`).
    """
    values: dict[str, list[Any]] = {}
    stamps: dict[str, np.ndarray] = {}
    for name in names:
        column_type = table.c[name].type
        if isinstance(column_type, sa.TypeDecorator):
            column_type = column_type.impl_instance
        if coded is not None and name in coded and isinstance(column_type, sa.String):
            values[name] = coded_values(coded[name], missing_as)
        elif dialect == "sqlite" and isinstance(column_type, sa.DateTime):
            stamps[name] = _naive_utc(frame[name])
        else:
            values[name] = driver_values(frame[name], column_type, dialect, missing_as)
    if stamps:
        joined = np.concatenate(list(stamps.values()))
        text = _each_distinct_once(joined, _sqlite_text)
        text[np.isnat(joined)] = missing_as
        ends = np.cumsum([len(column) for column in stamps.values()])[:-1]
        for name, part in zip(stamps, np.split(text, ends), strict=True):
            values[name] = part.tolist()
    return {name: values[name] for name in names}


def coded_values(coded: TextCodes, missing_as: object = None) -> list[Any]:
    """A text column given as codes, as the driver stores it: ``missing_as`` where missing.

    What :func:`driver_values` gives for the column itself, without testing every row for a
    missing value (a fifth of a million-record import's conversion).
    """
    values: list[Any] = coded.column(missing_as).tolist()
    return values


def _datetimes(values: pd.Series, dialect: str) -> np.ndarray:
    if dialect == "sqlite":
        return _each_distinct_once(_naive_utc(values), _sqlite_text)
    stamps = pd.to_datetime(values, utc=True)  # naive values are UTC already
    return np.asarray(stamps.dt.to_pydatetime(), dtype=object)


def _naive_utc(values: pd.Series) -> np.ndarray:
    """The instants as naive UTC ``datetime64[us]`` (naive values are UTC already)."""
    stamps = pd.to_datetime(values, utc=True)
    naive: np.ndarray = stamps.dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    return naive


def _sqlite_text(stamps: np.ndarray) -> np.ndarray:
    """SQLAlchemy's SQLite storage format, UTC without an offset: "2026-01-31 09:30:00.000000"."""
    text = np.datetime_as_string(stamps, unit="us")  # fixed width: "2026-01-31T09:30:…"
    characters = text.view(np.uint32).reshape(len(text), -1)
    characters[:, 10] = ord(" ")  # the "T"
    return text.astype(object)


def _dates(values: pd.Series, dialect: str) -> np.ndarray:
    if values.dtype == object:
        values = pd.to_datetime(values)
    days = values.to_numpy(dtype="datetime64[D]")
    if dialect == "sqlite":
        return _each_distinct_once(
            days, lambda distinct: np.datetime_as_string(distinct, unit="D").astype(object)
        )
    return days.astype(object)  # numpy turns datetime64[D] into datetime.date


def _each_distinct_once(
    stamps: np.ndarray, convert: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """``convert(stamps)``, converting each distinct value once and sharing the result.

    Dates and times repeat (invoice days, booking slots, created = updated). NaT rows come
    back as a value, masked to None by the caller.
    """
    codes, distinct = pd.factorize(stamps)
    if not len(distinct):
        return np.full(len(stamps), None, dtype=object)
    return convert(np.asarray(distinct)).take(np.maximum(codes, 0))


def _json(values: pd.Series, dialect: str) -> np.ndarray:
    objects = values.to_numpy(dtype=object)
    if dialect == "postgresql":
        # Imported here: a process on SQLite (detection, tests) never loads the driver.
        from psycopg.types.json import Json  # noqa: PLC0415

        return np.array([None if v is None else Json(v) for v in objects], dtype=object)
    return np.array([None if v is None else json.dumps(v) for v in objects], dtype=object)
