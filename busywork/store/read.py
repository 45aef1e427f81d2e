"""Reading record frames for detectors: typed columns, one business, live records only."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.store.bill_payments import fill_bill_paid_at
from busywork.store.frames import column_specs
from busywork.store.records import RECORD_MODELS, RecordKind

#: Columns every frame carries besides those asked for.
BASE_COLUMNS = ("source", "source_id", "origin")
#: Bound parameters per IN list; below SQLite's oldest limit of 999.
IN_CHUNK = 900


def load_frames(
    engine: Engine,
    business: str,
    columns: Mapping[RecordKind, Iterable[str]],
    *,
    only: Mapping[RecordKind, tuple[str, Collection[str]]] | None = None,
) -> dict[RecordKind, pd.DataFrame]:
    """One frame per record kind with the asked-for columns of ``business``'s live records.

    ``only`` narrows a kind to the records whose column is one of the given values
    (``{INVOICE: ("customer_id", {"C1", "C2"})}``), for re-detecting a few subjects.

    Dates come as ``datetime64[ns]`` at midnight, datetimes as naive-UTC ``datetime64[ns]``,
    money as ``float64``, text as ``object`` with None for missing. A paid bill without
    ``paid_at`` gets the date of its latest payment (see :func:`fill_bill_paid_at`).
    """
    frames: dict[RecordKind, pd.DataFrame] = {}
    with engine.connect() as connection:
        for kind, wanted in columns.items():
            frames[kind] = _load(connection, business, kind, wanted, (only or {}).get(kind))
        bills = frames.get(RecordKind.BILL)
        if bills is not None and "paid_at" in bills.columns:
            frames[RecordKind.BILL] = fill_bill_paid_at(connection, business, bills)
    return frames


def _load(
    connection: sa.Connection,
    business: str,
    kind: RecordKind,
    wanted: Iterable[str],
    only: tuple[str, Collection[str]] | None = None,
) -> pd.DataFrame:
    table = RECORD_MODELS[kind].__table__  # type: ignore[attr-defined]
    specs = {spec.name: spec for spec in column_specs(kind)}
    names = list(dict.fromkeys([*BASE_COLUMNS, *wanted]))
    unknown = [name for name in names if name not in table.c]
    if unknown:
        raise KeyError(f"{kind.value} has no column(s) {', '.join(unknown)}")
    query = sa.select(table.c.id, *(table.c[name] for name in names)).where(
        table.c.business == business, table.c.deleted.is_(False)
    )
    rows: list[Any] = []
    if only is None:
        rows = _fetch(connection, query.order_by(table.c.id))
    else:
        column, values = only
        for chunk in _chunks(sorted(values), IN_CHUNK):
            rows += _fetch(connection, query.where(table.c[column].in_(chunk)))
        rows.sort(key=lambda row: row[0])
    frame = pd.DataFrame(rows, columns=["id", *names]).drop(columns="id")
    for name in names:
        spec = specs.get(name)
        kind_of = spec.type if spec else "str"
        frame[name] = _typed(frame[name], kind_of)
    return frame


def _fetch(connection: sa.Connection, query: sa.Select[Any]) -> list[Any]:
    """Plain tuples from the DB-API cursor: no type processing and no ``Row`` objects.

    Building a frame from a million SQLAlchemy ``Row`` objects costs more than reading them, as
    pandas probes every row for namedtuple fields.
    """
    sql, params = _compiled(connection, query)
    result = connection.exec_driver_sql(sql, params)
    try:
        return list(result.cursor.fetchall())
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


def _typed(values: pd.Series, logical: str) -> pd.Series:
    if logical == "datetime":
        parsed = pd.to_datetime(values, utc=True, format="ISO8601")
        return parsed.dt.tz_localize(None).astype("datetime64[ns]")
    if logical == "date":
        return pd.to_datetime(values, format="ISO8601").dt.normalize().astype("datetime64[ns]")
    if logical == "float":
        return pd.to_numeric(values).astype("float64")
    if logical == "int":
        return pd.to_numeric(values).astype("Int64")
    if logical == "bool":
        return values.astype(bool)
    return values.astype(object).where(values.notna(), None)
