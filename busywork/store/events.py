"""The event log as the worker reads it: what changed since a detector last looked."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from busywork.store.tables import DetectorWatermark, Event

_EVENTS = Event.__table__  # type: ignore[attr-defined]
_MARKS = DetectorWatermark.__table__  # type: ignore[attr-defined]


def latest_event_ids(engine: Engine, business: str, *, after: int = 0) -> dict[str, int]:
    """The newest event id per record kind for ``business`` (only kinds with events > after)."""
    query = (
        sa.select(_EVENTS.c.record_kind, sa.func.max(_EVENTS.c.id))
        .where(_EVENTS.c.business == business, _EVENTS.c.id > after)
        .group_by(_EVENTS.c.record_kind)
    )
    with engine.connect() as connection:
        return {kind: int(last) for kind, last in connection.execute(query)}


def watermarks(engine: Engine, business: str) -> dict[str, int]:
    """The last event id each detector has processed for ``business``."""
    query = sa.select(_MARKS.c.detector, _MARKS.c.last_event_id).where(_MARKS.c.business == business)
    with engine.connect() as connection:
        return {detector: int(last) for detector, last in connection.execute(query)}


def advance_watermarks(
    connection: sa.Connection, business: str, detectors: Iterable[str], event_id: int, now: datetime
) -> None:
    """Move the detectors' watermarks to ``event_id`` (inside the caller's transaction)."""
    rows = [
        {"business": business, "detector": name, "last_event_id": event_id, "ran_at": now} for name in detectors
    ]
    if not rows:
        return
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = insert(_MARKS)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["business", "detector"],
            set_={"last_event_id": statement.excluded.last_event_id, "ran_at": statement.excluded.ran_at},
        ),
        rows,
    )
