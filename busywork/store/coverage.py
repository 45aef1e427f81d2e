"""Each detector's data coverage, kept on its watermark so any later document can show it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from busywork.store.tables import DetectorWatermark

_MARKS = DetectorWatermark.__table__  # type: ignore[attr-defined]


def save_coverage(
    connection: Connection, business: str, coverage: Mapping[str, Mapping[str, Any]]
) -> None:
    """Store each detector's coverage (``Coverage.to_json``) on its watermark row.

    Called in the transaction that advanced the watermarks, so the coverage shown is always
    that of the run whose findings are stored.
    """
    for detector, data in coverage.items():
        connection.execute(
            sa.update(_MARKS)
            .where(_MARKS.c.business == business, _MARKS.c.detector == detector)
            .values(coverage=dict(data))
        )


def stored_coverage(engine: Engine, business: str) -> dict[str, dict[str, Any]]:
    """The coverage of every detector of ``business`` that has one, by detector name."""
    query = sa.select(_MARKS.c.detector, _MARKS.c.coverage).where(
        _MARKS.c.business == business, _MARKS.c.coverage.is_not(None)
    )
    with engine.connect() as connection:
        return {row.detector: dict(row.coverage) for row in connection.execute(query)}
