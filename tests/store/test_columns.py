from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.store import read
from busywork.store.columns import ColumnBuilder, typed
from busywork.store.ingest import commit_page
from busywork.store.records import RecordKind
from tests.factories import batch, invoice_rows

NAMES = ["status", "number", "issued_on", "paid_at", "total", "count", "active"]
TYPES = ["str", "str", "date", "datetime", "float", "int", "bool"]


def _rows(start: int, count: int) -> list[tuple[Any, ...]]:
    return [
        (
            n,
            ["open", "paid", None][n % 3],
            f"INV-{n:05d}",
            None if n < 4 else f"2026-0{n % 9 + 1}-1{n % 10}",  # none in the first chunk
            None if n % 4 or n < 4 else f"2026-05-0{n % 9 + 1}T10:00:00+02:00",
            None if n % 5 == 0 else n * 1.5,
            None if n < 4 else n,  # the first chunk has no count at all
            None if n < 4 else n % 2,
        )
        for n in range(start, start + count)
    ]


def _whole(rows: list[tuple[Any, ...]]) -> dict[str, pd.Series]:
    """Every column converted at once from the whole object matrix."""
    matrix = np.array(rows, dtype=object).reshape(len(rows), len(NAMES) + 1)
    return {
        name: typed(matrix[:, position + 1], kind)
        for position, (name, kind) in enumerate(zip(NAMES, TYPES, strict=True))
    }


def test_chunks_give_the_columns_one_conversion_of_every_row_gives() -> None:
    builder = ColumnBuilder(NAMES, TYPES)
    chunks = [_rows(0, 4), _rows(4, 30), _rows(34, 7)]
    for chunk in chunks:
        builder.add(chunk)
    ids, columns = builder.columns()
    everything = [row for chunk in chunks for row in chunk]
    assert ids.dtype == np.int64
    assert ids.tolist() == list(range(41))
    for name, expected in _whole(everything).items():
        pd.testing.assert_series_equal(columns[name], expected, check_exact=True, obj=name)


def test_repeated_text_is_one_object_and_other_values_are_kept_as_read() -> None:
    builder = ColumnBuilder(["status"], ["str"])
    builder.add([(1, "open"), (2, "paid"), (3, None), (4, "open"), (5, "open")])
    builder.add([(6, "open"), (7, "paid")])
    _, columns = builder.columns()
    status = columns["status"].tolist()
    assert status == ["open", "paid", None, "open", "open", "open", "paid"]
    assert len({id(value) for value in status if value is not None}) == 2

    mixed = ColumnBuilder(["code"], ["str"])
    mixed.add([(1, 1), (2, 1.0), (3, True), (4, float("nan")), (5, "1")])
    _, columns = mixed.columns()
    values = columns["code"].tolist()
    assert [type(value) for value in values] == [int, float, bool, float, str]
    assert np.isnan(values[3])


def test_no_rows_give_empty_columns_of_the_right_dtypes() -> None:
    ids, columns = ColumnBuilder(NAMES, TYPES).columns()
    assert len(ids) == 0
    assert {name: str(column.dtype) for name, column in columns.items()} == {
        "status": "object",
        "number": "object",
        "issued_on": "datetime64[ns]",
        "paid_at": "datetime64[ns]",
        "total": "float64",
        "count": "Int64",
        "active": "bool",
    }


def test_a_read_cuts_the_sqlite_page_cache_and_restores_it(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the page cache is SQLite's")
    commit_page(
        engine,
        business="b",
        connector="books",
        batches=[batch(RecordKind.INVOICE, invoice_rows(5))],
        cursor=None,
        now=datetime(2026, 10, 1, tzinfo=UTC),
    )
    during: list[int] = []
    load = read._load

    def spying(connection: sa.Connection, *args: Any, **kwargs: Any) -> pd.DataFrame:
        during.append(connection.exec_driver_sql("PRAGMA cache_size").scalar_one())
        return load(connection, *args, **kwargs)

    monkeypatch.setattr(read, "_load", spying)
    frames = read.load_frames(engine, "b", {RecordKind.INVOICE: ["total"]})
    assert len(frames[RecordKind.INVOICE]) == 5
    assert during == [-read.READ_CACHE_KIB]
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA cache_size").scalar_one() == -65536
