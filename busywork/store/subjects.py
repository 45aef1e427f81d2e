"""The records of one subject (a customer, a vendor, an attendee), for adoption checks."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.store.records import RECORD_MODELS, RecordKind


def subject_records(
    engine: Engine, business: str, kind: RecordKind, column: str, value: str, columns: Sequence[str]
) -> pd.DataFrame:
    """Live records of ``kind`` whose ``column`` equals ``value``: origin and ``columns``."""
    table = RECORD_MODELS[kind].__table__  # type: ignore[attr-defined]
    names = list(dict.fromkeys(["source_id", "origin", *columns]))
    query = sa.select(*(table.c[name] for name in names)).where(
        table.c.business == business, table.c.deleted.is_(False), table.c[column] == value
    )
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).all(), columns=names)
