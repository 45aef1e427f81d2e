"""Driver values: columns converted together are what each column converted alone gives."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.dialects import sqlite as sqlite_dialect

from busywork.store.driver import (
    SQLITE_NULL,
    _sqlite_text,
    coded_values,
    driver_columns,
    driver_values,
)
from busywork.store.records import Bill
from busywork.store.text_codes import text_codes

BILLS = Bill.__table__  # type: ignore[attr-defined]


def test_date_time_columns_converted_together_agree_with_each_alone() -> None:
    frame = pd.DataFrame(
        {
            "source_id": ["B1", "B2", "B3"],
            "approved_at": pd.to_datetime(
                ["2026-04-01 09:30:15.123456", None, "1969-12-31 23:59:59"],
                utc=True,
                format="ISO8601",
            ),
            # The same instant as another column's, one of its own, and none.
            "paid_at": pd.to_datetime(
                ["2026-04-01 09:30:15.123456", "2024-02-29", None], utc=True, format="ISO8601"
            ),
            "created_at": pd.Series([None, None, None], dtype="datetime64[ns, UTC]"),
            "issued_on": pd.to_datetime(["2026-03-31", "2024-02-29", None]),
        }
    )
    names = list(frame.columns)
    for dialect in ("sqlite", "postgresql"):
        together = driver_columns(frame, BILLS, names, dialect)
        alone = {name: driver_values(frame[name], BILLS.c[name].type, dialect) for name in names}
        assert together == alone
        assert list(together) == names
    sqlite = driver_columns(frame, BILLS, names, "sqlite")
    assert sqlite["paid_at"] == ["2026-04-01 09:30:15.123456", "2024-02-29 00:00:00.000000", None]
    assert sqlite["approved_at"][2] == "1969-12-31 23:59:59.000000"
    assert sqlite["created_at"] == [None, None, None]


def test_sqlite_date_times_are_the_text_sqlalchemy_binds() -> None:
    write = sqlite_dialect.DATETIME().bind_processor(sqlite_dialect.dialect())  # type: ignore[no-untyped-call]
    assert write is not None
    random = np.random.default_rng(7)
    first, last = datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59, 999999)
    span = int((last - first) / timedelta(microseconds=1))
    edges = [first, last, datetime(1969, 12, 31, 23, 59, 59, 999999), datetime(1970, 1, 1)]
    instants = edges + [
        first + timedelta(microseconds=int(offset)) for offset in random.integers(0, span, 5000)
    ]
    stamps = np.unique(np.array(instants, dtype="datetime64[us]"))
    expected = [write(instant.item()) for instant in stamps]
    assert _sqlite_text(stamps).tolist() == expected
    years = stamps.astype("datetime64[Y]").astype(np.int64) + 1970
    in_pandas_range = pd.Series(stamps[(years > 1700) & (years < 2200)])
    assert len(in_pandas_range) > 100
    paid_at = BILLS.c.paid_at.type
    assert driver_values(in_pandas_range, paid_at, "sqlite") == [
        write(instant.to_pydatetime()) for instant in in_pandas_range
    ]


def test_a_text_column_from_its_codes_is_what_the_column_itself_gives() -> None:
    column = np.array(["a", None, "b", "a", None], dtype=object)
    coded, _ = text_codes(np.array(["a", " ", "b", "a ", ""], dtype=object))
    assert coded.column().tolist() == column.tolist()
    frame = pd.DataFrame({"description": column, "source_id": ["1", "2", "3", "4", "5"]})
    names = ["description", "source_id"]
    for dialect, missing in (("sqlite", SQLITE_NULL), ("postgresql", None)):
        plain = driver_columns(frame, BILLS, names, dialect, missing)
        from_codes = driver_columns(
            frame, BILLS, names, dialect, missing, coded={"description": coded}
        )
        assert str(from_codes) == str(plain)  # NaN == NaN as text
    assert coded_values(coded, SQLITE_NULL)[0] == "a"
    assert coded_values(coded.rows(np.array([3, 4])), None) == ["a", None]


def test_sqlite_stores_the_missing_marker_as_null_in_every_column_type() -> None:
    connection = sqlite3.connect(":memory:")
    connection.execute(
        "CREATE TABLE t (name VARCHAR(8), at DATETIME, amount NUMERIC(18, 4), n INTEGER,"
        " flag BOOLEAN, kept VARCHAR(8) NOT NULL)"
    )
    connection.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", (*[SQLITE_NULL] * 5, "x"))
    types = connection.execute(
        "SELECT typeof(name), typeof(at), typeof(amount), typeof(n), typeof(flag) FROM t"
    ).fetchone()
    assert types == ("null",) * 5
    with pytest.raises(sqlite3.IntegrityError, match="NOT NULL"):
        connection.execute("INSERT INTO t (kept) VALUES (?)", (SQLITE_NULL,))


def test_missing_values_become_the_marker_asked_for() -> None:
    frame = pd.DataFrame(
        {
            "vendor_name": ["Acme", None],
            "total": [1.5, float("nan")],
            "paid_at": pd.to_datetime(["2026-04-01 09:30", None], utc=True),
            "issued_on": pd.to_datetime(["2026-03-31", None]),
        }
    )
    names = list(frame.columns)
    marked = driver_columns(frame, BILLS, names, "sqlite", SQLITE_NULL)
    plain = driver_columns(frame, BILLS, names, "sqlite")
    for name in names:
        assert marked[name][0] == plain[name][0]
        assert plain[name][1] is None
        assert marked[name][1] is SQLITE_NULL
