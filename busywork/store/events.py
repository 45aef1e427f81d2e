"""The event log as the worker reads it: what changed since a detector last looked."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from busywork.store.records import RECORD_MODELS, RecordKind
from busywork.store.tables import DetectorWatermark, Event

_EVENTS = Event.__table__  # type: ignore[attr-defined]
_MARKS = DetectorWatermark.__table__  # type: ignore[attr-defined]


def latest_event_ids(engine: Engine, business: str, *, after: int = 0) -> dict[str, int]:
    """The newest event id per record kind for ``business`` (only kinds with events > after).

    One index seek per kind on (business, record_kind, id): constant time however long the
    log, where a GROUP BY would scan every event of the business.
    """
    newest: dict[str, int] = {}
    with engine.connect() as connection:
        for kind in RecordKind:
            last = connection.execute(
                sa.select(sa.func.max(_EVENTS.c.id)).where(
                    _EVENTS.c.business == business, _EVENTS.c.record_kind == kind.value
                )
            ).scalar_one()
            if last is not None and int(last) > after:
                newest[kind.value] = int(last)
    return newest


def touched_subjects(
    engine: Engine,
    business: str,
    columns: Mapping[RecordKind, str],
    *,
    after: int,
    upto: int,
    max_events: int,
) -> set[str] | None:
    """The subjects that events ``after < id <= upto`` touched, read from the records' columns.

    ``columns`` names, per record kind, the column holding the subject's id. None when more
    than ``max_events`` events are in the range or a touched record has no subject: the
    caller must then look at every subject.
    """
    subjects: set[str] = set()
    with engine.connect() as connection:
        for kind, column in columns.items():
            in_range = _between(business, after, upto) & (_EVENTS.c.record_kind == kind.value)
            count = connection.execute(sa.select(sa.func.count()).where(in_range)).scalar_one()
            if count > max_events:
                return None
            if not count:
                continue
            table = RECORD_MODELS[kind].__table__  # type: ignore[attr-defined]
            joined = _EVENTS.join(
                table,
                (table.c.business == _EVENTS.c.business)
                & (table.c.source == _EVENTS.c.source)
                & (table.c.source_id == _EVENTS.c.source_id),
            )
            query = sa.select(table.c[column]).select_from(joined).where(in_range).distinct()
            values = connection.execute(query).scalars().all()
            if any(value is None for value in values):
                return None
            subjects.update(str(value) for value in values)
    return subjects


def touched_records(
    engine: Engine, business: str, kinds: Iterable[RecordKind], *, after: int, upto: int
) -> set[str]:
    """The source ids of the ``kinds`` records that events ``after < id <= upto`` touched."""
    of_kinds = _EVENTS.c.record_kind.in_([kind.value for kind in kinds])
    query = sa.select(_EVENTS.c.source_id).where(_between(business, after, upto) & of_kinds)
    with engine.connect() as connection:
        return {str(value) for value in connection.execute(query.distinct()).scalars()}


def _between(business: str, after: int, upto: int) -> sa.ColumnElement[bool]:
    """``business``'s events with ``after < id <= upto``."""
    return sa.and_(_EVENTS.c.business == business, _EVENTS.c.id > after, _EVENTS.c.id <= upto)


@dataclass(frozen=True)
class Watermark:
    """How far a detector got for a business, with which parameters, and when."""

    last_event_id: int
    params_hash: str
    ran_at: datetime | None


def watermarks(engine: Engine, business: str) -> dict[str, Watermark]:
    """Each detector's watermark for ``business``."""
    query = sa.select(
        _MARKS.c.detector, _MARKS.c.last_event_id, _MARKS.c.params_hash, _MARKS.c.ran_at
    ).where(_MARKS.c.business == business)
    with engine.connect() as connection:
        return {
            row.detector: Watermark(
                int(row.last_event_id),
                row.params_hash,
                None
                if row.ran_at is None
                else (row.ran_at if row.ran_at.tzinfo else row.ran_at.replace(tzinfo=UTC)),
            )
            for row in connection.execute(query)
        }


def advance_watermarks(
    connection: sa.Connection,
    business: str,
    params: Mapping[str, str],
    event_id: int,
    now: datetime,
) -> None:
    """Move the watermarks of the detectors in ``params`` (name -> params hash) to ``event_id``."""
    rows = [
        {
            "business": business,
            "detector": name,
            "last_event_id": event_id,
            "params_hash": digest,
            "ran_at": now,
        }
        for name, digest in params.items()
    ]
    if not rows:
        return
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = insert(_MARKS)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["business", "detector"],
            set_={
                "last_event_id": statement.excluded.last_event_id,
                "params_hash": statement.excluded.params_hash,
                "ran_at": statement.excluded.ran_at,
            },
        ),
        rows,
    )
