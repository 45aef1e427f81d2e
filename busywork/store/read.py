"""Reading record frames for detectors: typed columns, one business, live records only."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.store.bill_payments import fill_bill_paid_at
from busywork.store.columns import ColumnBuilder
from busywork.store.frames import column_specs
from busywork.store.records import RECORD_MODELS, RecordKind

#: Columns every frame carries besides those asked for: a record's identity and how it was made.
BASE_COLUMNS = ("source", "source_id", "origin")
#: Kinds that are parts of another record (an invoice's lines, the payments against it).
#: They are read through their document, which they name within their ``source``, never on
#: their own: their frames carry only that besides what is asked for. At a million records
#: the ids and origins nobody read were 35 MB of every detection pass.
PART_KINDS = frozenset({RecordKind.INVOICE_LINE, RecordKind.PAYMENT})
#: Bound parameters per IN list; below SQLite's oldest limit of 999.
IN_CHUNK = 900
#: Rows read from the driver at a time: their tuples are all that is alive at once.
FETCH_ROWS = 20_000
#: SQLite page cache while frames are read, in KiB (see :func:`small_page_cache`).
READ_CACHE_KIB = 4096
#: A business holding at least 1/this of a table's ids is read by scanning the table (SQLite).
WHOLE_TABLE_SHARE = 2


def load_frames(
    engine: Engine,
    business: str,
    columns: Mapping[RecordKind, Iterable[str]],
    *,
    only: Mapping[RecordKind, tuple[str, Collection[Any]]] | None = None,
    with_ids: bool = False,
) -> dict[RecordKind, pd.DataFrame]:
    """One frame per record kind with the asked-for columns of ``business``'s live records.

    ``only`` narrows a kind to the records whose column is one of the given values
    (``{INVOICE: ("customer_id", {"C1", "C2"})}``), for re-detecting a few subjects, or
    ``("id", store_ids)`` for patching a frame with the records events name.
    ``with_ids`` adds the store's record ``id`` (``int64``) as the first column.

    Dates come as ``datetime64[ns]`` at midnight, datetimes as naive-UTC ``datetime64[ns]``,
    money as ``float64``, text as ``object`` with None for missing. A paid bill without
    ``paid_at`` gets the date of its latest payment (see :func:`fill_bill_paid_at`).
    """
    frames: dict[RecordKind, pd.DataFrame] = {}
    with engine.connect() as connection, small_page_cache(connection):
        for kind, wanted in columns.items():
            frames[kind] = _load(
                connection, business, kind, wanted, (only or {}).get(kind), with_ids=with_ids
            )
        bills = frames.get(RecordKind.BILL)
        if bills is not None and "paid_at" in bills.columns:
            frames[RecordKind.BILL] = fill_bill_paid_at(connection, business, bills)
    return frames


def base_columns(kind: RecordKind) -> tuple[str, ...]:
    """The columns every frame of ``kind`` carries besides those asked for."""
    return ("source",) if kind in PART_KINDS else BASE_COLUMNS


def frame_columns(kind: RecordKind, wanted: Iterable[str]) -> list[str]:
    """The columns :func:`load_frames` gives for ``kind``'s ``wanted`` (besides ``id``)."""
    return list(dict.fromkeys([*base_columns(kind), *wanted]))


def _load(
    connection: sa.Connection,
    business: str,
    kind: RecordKind,
    wanted: Iterable[str],
    only: tuple[str, Collection[Any]] | None = None,
    *,
    with_ids: bool = False,
) -> pd.DataFrame:
    table = RECORD_MODELS[kind].__table__  # type: ignore[attr-defined]
    specs = {spec.name: spec for spec in column_specs(kind)}
    names = frame_columns(kind, wanted)
    unknown = [name for name in names if name not in table.c]
    if unknown:
        raise KeyError(f"{kind.value} has no column(s) {', '.join(unknown)}")
    query = sa.select(table.c.id, *(table.c[name] for name in names)).where(
        table.c.business == business, table.c.deleted.is_(False)
    )
    builder = ColumnBuilder(names, [specs[name].type if name in specs else "str" for name in names])
    if only is None:
        whole = _whole_table(connection, table, business)
        for rows in _fetch(connection, query.order_by(table.c.id), whole):
            builder.add(rows)
    else:
        column, values = only
        found: list[Any] = []
        for chunk in _chunks(sorted(values), IN_CHUNK):
            for rows in _fetch(connection, query.where(table.c[column].in_(chunk))):
                found += rows
        found.sort(key=lambda row: row[0])
        builder.add(found)
        del found
    ids, columns = builder.columns()
    if with_ids:
        columns = {"id": pd.Series(ids), **columns}
    return pd.DataFrame(columns, index=pd.RangeIndex(len(ids)))


@contextmanager
def small_page_cache(connection: sa.Connection) -> Iterator[None]:
    """SQLite's page cache cut to :data:`READ_CACHE_KIB` while frames are read, then restored.

    The store's connections keep a large cache for writing (see
    :mod:`busywork.store.db`); a read goes through each table once, so a large cache would
    only fill with pages that are not read again, and stay filled for the connection's life.
    Cutting it frees those pages.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    kept = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{READ_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(kept)}")


def _whole_table(connection: sa.Connection, table: sa.Table, business: str) -> str | None:
    """``table``'s name when SQLite should read it end to end for ``business``, else None.

    SQLite would find the rows through an index on ``business`` and then sort them by id: a
    look-up per row and a sort of every row. When the business holds most of the table (one
    business per store, the embedded default), reading the table in id order and skipping
    the others' rows takes half the time. Counting the business's rows uses an index.
    """
    if connection.dialect.name != "sqlite":
        return None
    count = connection.execute(
        sa.select(sa.func.count()).select_from(table).where(table.c.business == business)
    ).scalar_one()
    highest = connection.execute(sa.select(sa.func.max(table.c.id))).scalar_one()
    return table.name if count and count * WHOLE_TABLE_SHARE >= (highest or 0) else None


def _fetch(
    connection: sa.Connection, query: sa.Select[Any], whole_table: str | None = None
) -> Iterator[list[Any]]:
    """Plain tuples from the DB-API cursor, :data:`FETCH_ROWS` at a time.

    No type processing and no ``Row`` objects: building a frame from a million SQLAlchemy
    ``Row`` objects costs more than reading them. ``whole_table`` (SQLite) reads that table
    without its indexes (see :func:`_whole_table`).
    """
    sql, params = _compiled(connection, query)
    if whole_table is not None:
        # SQLAlchemy renders no table hints for SQLite; the FROM clause names the table once.
        sql = sql.replace(f"FROM {whole_table} ", f"FROM {whole_table} NOT INDEXED ", 1)
    result = connection.exec_driver_sql(sql, params)
    try:
        while rows := result.cursor.fetchmany(FETCH_ROWS):
            yield list(rows)
    finally:
        result.close()


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _compiled(connection: sa.Connection, query: sa.Select[Any]) -> tuple[str, Any]:
    compiled = query.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    params = compiled.params
    if connection.dialect.paramstyle in ("qmark", "numeric"):
        return str(compiled), tuple(params[name] for name in compiled.positiontup or ())
    return str(compiled), params
