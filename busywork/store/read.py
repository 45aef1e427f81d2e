"""Reading record frames for detectors: typed columns, one business, live records only."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.store.bill_payments import fill_bill_paid_at
from busywork.store.frames import column_specs
from busywork.store.records import RECORD_MODELS, RecordKind

#: Columns every frame carries besides those asked for.
BASE_COLUMNS = ("source", "source_id", "origin")


def load_frames(
    engine: Engine, business: str, columns: Mapping[RecordKind, Iterable[str]]
) -> dict[RecordKind, pd.DataFrame]:
    """One frame per record kind with the asked-for columns of ``business``'s live records.

    Dates come as ``datetime64[ns]`` at midnight, datetimes as naive-UTC ``datetime64[ns]``,
    money as ``float64``, text as ``object`` with None for missing. A paid bill without
    ``paid_at`` gets the date of its latest payment (see :func:`fill_bill_paid_at`).
    """
    frames: dict[RecordKind, pd.DataFrame] = {}
    with engine.connect() as connection:
        for kind, wanted in columns.items():
            frames[kind] = _load(connection, business, kind, wanted)
        bills = frames.get(RecordKind.BILL)
        if bills is not None and "paid_at" in bills.columns:
            frames[RecordKind.BILL] = fill_bill_paid_at(connection, business, bills)
    return frames


def _load(
    connection: sa.Connection, business: str, kind: RecordKind, wanted: Iterable[str]
) -> pd.DataFrame:
    table = RECORD_MODELS[kind].__table__  # type: ignore[attr-defined]
    specs = {spec.name: spec for spec in column_specs(kind)}
    names = list(dict.fromkeys([*BASE_COLUMNS, *wanted]))
    unknown = [name for name in names if name not in table.c]
    if unknown:
        raise KeyError(f"{kind.value} has no column(s) {', '.join(unknown)}")
    query = (
        sa.select(*(table.c[name] for name in names))
        .where(table.c.business == business, table.c.deleted.is_(False))
        .order_by(table.c.id)
    )
    # Plain tuples from the driver: skipping ORM type processing is what keeps 1M rows fast.
    sql, params = _compiled(connection, query)
    result = connection.exec_driver_sql(sql, params)
    frame = pd.DataFrame(result.fetchall(), columns=names)
    for name in names:
        spec = specs.get(name)
        kind_of = spec.type if spec else "str"
        frame[name] = _typed(frame[name], kind_of)
    return frame


def _compiled(connection: sa.Connection, query: sa.Select[Any]) -> tuple[str, Any]:
    compiled = query.compile(dialect=connection.dialect)
    params = compiled.params
    if connection.dialect.paramstyle in ("qmark", "numeric"):
        return str(compiled), tuple(params[name] for name in compiled.positiontup or ())
    return str(compiled), params


def _typed(values: pd.Series, logical: str) -> pd.Series:
    if logical == "datetime":
        parsed = pd.to_datetime(values, utc=True, format="mixed")
        return parsed.dt.tz_localize(None).astype("datetime64[ns]")
    if logical == "date":
        return pd.to_datetime(values, format="mixed").dt.normalize().astype("datetime64[ns]")
    if logical == "float":
        return pd.to_numeric(values).astype("float64")
    if logical == "int":
        return pd.to_numeric(values).astype("Int64")
    if logical == "bool":
        return values.astype(bool)
    return values.astype(object).where(values.notna(), None)
