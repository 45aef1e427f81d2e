"""Benchmark: a business's rows read from SQLite by ``sqlite3`` against Arrow drivers.

Usage: python bench/arrow_read.py STORE.db [--business bench]

The first (cold) load of a business reads its rows from the row store. The issue that asked
for a columnar path suggested Arrow database drivers for it: ADBC (``adbc-driver-sqlite``)
and connectorx. This reads every record table of ``--business`` (all its columns, by id)
each way and prints CPU seconds per table and in all:

- ``sqlite3``: the standard library's ``fetchall``, then a pandas frame of object columns
  (what our loader starts from);
- ``adbc``: an Arrow table, then ``to_pandas``;
- ``connectorx``: an Arrow table.

The Arrow drivers need pyarrow, which makes pandas 3 build Arrow-backed text columns
everywhere; run this in an environment of its own (``pip install -e . pyarrow
adbc-driver-sqlite connectorx``), never in the one the other benchmarks use. A driver that
is not installed is skipped. Both Arrow drivers fix a column's type from its first values
and fail on SQLite's mixed integer and real cells, so numeric columns are cast to REAL in
the query.
"""

from __future__ import annotations

import argparse
import importlib.util
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd
import sqlalchemy as sa

from busywork.store.records import RECORD_MODELS


def _queries(business: str) -> dict[str, str]:
    """Per record table: every column of ``business``'s rows by id, numbers as REAL."""
    queries = {}
    for model in RECORD_MODELS.values():
        table = model.__table__  # type: ignore[attr-defined]
        columns = [
            f"CAST({column.name} AS REAL) AS {column.name}"
            if isinstance(column.type, sa.Numeric)
            else column.name
            for column in table.columns
        ]
        queries[table.name] = (
            f"SELECT {', '.join(columns)} FROM {table.name}"
            f" WHERE business = '{business}' ORDER BY id"  # a benchmark's own, fixed value
        )
    return queries


def _with_sqlite3(path: Path, query: str) -> int:
    with sqlite3.connect(path) as connection:
        cursor = connection.execute(query)
        names = [column[0] for column in cursor.description]
        frame = pd.DataFrame(cursor.fetchall(), columns=names, dtype=object)
    return len(frame)


def _with_adbc(path: Path, query: str) -> int:
    import adbc_driver_sqlite.dbapi as adbc  # noqa: PLC0415

    with adbc.connect(str(path)) as connection, connection.cursor() as cursor:
        # Types are inferred from the first batch: one batch, or a column blank at first fails.
        cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(1 << 30)})
        cursor.execute(query)
        frame = cursor.fetch_arrow_table().to_pandas()
    return len(frame)


def _with_connectorx(path: Path, query: str) -> int:
    import connectorx  # noqa: PLC0415

    return int(
        connectorx.read_sql(f"sqlite://{path.resolve()}", query, return_type="arrow").num_rows
    )


READERS: dict[str, tuple[str | None, Callable[[Path, str], int]]] = {
    "sqlite3": (None, _with_sqlite3),
    "adbc": ("adbc_driver_sqlite", _with_adbc),
    "connectorx": ("connectorx", _with_connectorx),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("store", type=Path, help="a SQLite store file")
    parser.add_argument("--business", default="bench")
    args = parser.parse_args()
    readers = {
        name: read
        for name, (module, read) in READERS.items()
        if module is None or importlib.util.find_spec(module) is not None
    }
    totals = dict.fromkeys(readers, 0.0)
    print(f"{'table':<20}{'rows':>10}" + "".join(f"{name:>14}" for name in readers))
    for table, query in _queries(args.business).items():
        cells, rows = [], 0
        for name, read in readers.items():
            began = time.process_time()
            rows = read(args.store, query)
            seconds = time.process_time() - began
            totals[name] += seconds
            cells.append(f"{seconds:>13.3f}s")
        print(f"{table:<20}{rows:>10,}" + "".join(cells))
    print(f"{'all, CPU':<30}" + "".join(f"{totals[name]:>13.3f}s" for name in readers))


if __name__ == "__main__":
    main()
