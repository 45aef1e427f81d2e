"""Idempotent bulk upserts of record frames, with their events and the connector's cursor.

One call to :func:`commit_page` is one transaction: the records a connector fetched, the
events describing what changed, and the cursor that says how far the connector got. A
crash before the commit leaves the previous cursor in place, so the next poll fetches the
same page again and the upsert makes that harmless.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from busywork.store.bulk import insert_frame, upsert_frame
from busywork.store.change_events import change_events, event_rows
from busywork.store.event_order import hold_event_order
from busywork.store.frames import column_specs
from busywork.store.gc_pause import gc_paused
from busywork.store.record_batch import RecordBatch, content_hash_array
from busywork.store.records import RECORD_MODELS
from busywork.store.tables import ConnectorState, Event
from busywork.store.text_codes import TextCodes

#: Above this many rows, read all existing keys of the source at once instead of by chunks.
FULL_SCAN_ROWS = 5_000
#: Bound parameters per IN list; below SQLite's oldest limit of 999.
IN_CHUNK = 900
#: Rows per INSERT statement batch.
WRITE_CHUNK = 5_000


@dataclass
class IngestStats:
    """What one commit changed."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    events: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def add(self, other: IngestStats) -> None:
        """Accumulate ``other`` into this one."""
        self.inserted += other.inserted
        self.updated += other.updated
        self.deleted += other.deleted
        self.unchanged += other.unchanged
        self.events += other.events
        for kind, count in other.by_kind.items():
            self.by_kind[kind] = self.by_kind.get(kind, 0) + count


def commit_page(
    engine: Engine,
    *,
    business: str,
    connector: str,
    batches: Iterable[RecordBatch],
    cursor: dict[str, Any] | None,
    now: datetime | None = None,
    in_transaction: Callable[[Connection], None] | None = None,
) -> IngestStats:
    """Upsert ``batches``, append their events and save ``cursor``, all in one transaction.

    Writers of one business take turns (:func:`hold_event_order`), so its event ids
    commit in the order they were taken. ``in_transaction`` then runs inside that
    transaction: the worker fences the write there (raising when the job is no longer
    ours, so a stalled worker's page never commits) and defers the detection of the
    page's events, which then commits with them.
    """
    now = now or datetime.now(UTC)
    stats = IngestStats()
    with engine.begin() as connection, gc_paused():
        hold_event_order(connection, business)  # ids commit in order (PostgreSQL)
        if in_transaction is not None:
            in_transaction(connection)
        for batch in batches:
            stats.add(_apply(connection, business, connector, batch, now))
        save_cursor(connection, business=business, connector=connector, cursor=cursor, now=now)
    return stats


def save_cursor(
    connection: Connection,
    *,
    business: str,
    connector: str,
    cursor: dict[str, Any] | None,
    now: datetime,
) -> None:
    """Record a successful poll and its cursor (an upsert on the connector's state row)."""
    values = {"cursor": cursor, "last_success_at": now, "last_error": None, "last_error_at": None}
    _upsert(
        connection,
        ConnectorState.__table__,  # type: ignore[attr-defined]
        [{"business": business, "connector": connector, **values}],
        keys=("business", "connector"),
        update=tuple(values),
    )


def _apply(
    connection: Connection, business: str, source: str, batch: RecordBatch, now: datetime
) -> IngestStats:
    table = RECORD_MODELS[batch.kind].__table__  # type: ignore[attr-defined]
    # As drop_duplicates("source_id", keep="last"), keeping the hashes aligned.
    kept = ~_duplicated_ids(batch)
    frame = batch.frame[kept].reset_index(drop=True)
    hashes = (
        batch.hashes[kept]
        if batch.hashes is not None
        else content_hash_array(frame, batch.text_columns)
    )
    frame = frame.assign(content_hash=hashes)
    existing = _existing(
        connection, table, business, source, frame["source_id"].tolist(), batch.deleted_ids
    )
    merged = frame.merge(existing, on="source_id", how="left", suffixes=("", "_old"))
    is_new = merged["content_hash_old"].isna() | merged["deleted_old"].fillna(False).astype(bool)
    is_changed = ~is_new & (merged["content_hash"] != merged["content_hash_old"])
    stats = IngestStats(
        inserted=int(is_new.sum()),
        updated=int(is_changed.sum()),
        unchanged=int((~is_new & ~is_changed).sum()),
    )
    written = (is_new | is_changed).to_numpy()
    write = merged[written]
    if len(write):
        columns = [spec.name for spec in column_specs(batch.kind)] + ["content_hash"]
        upsert_frame(
            connection,
            table,
            write[columns],
            keys=("business", "source", "source_id"),
            update=(*columns, "deleted"),
            coded=_written_codes(batch, kept, written, len(merged)),
            constants={"business": business, "source": source, "deleted": False},
        )
    events = change_events(batch.kind, write, is_new[is_new | is_changed])
    deletions = _delete(connection, table, batch, existing, business, source, now, stats)
    events = pd.concat([events, deletions], ignore_index=True) if len(deletions) else events
    insert_frame(
        connection,
        Event.__table__,  # type: ignore[attr-defined]
        events,
        constants={
            "business": business,
            "record_kind": batch.kind.value,
            "source": source,
            "occurred_at": now,
        },
    )
    stats.events = len(events)
    stats.by_kind = {batch.kind.value: len(events)} if len(events) else {}
    return stats


def _written_codes(
    batch: RecordBatch, kept: np.ndarray, written: np.ndarray, merged_rows: int
) -> dict[str, TextCodes]:
    """The batch's coded text columns at the rows written (``written`` of those ``kept``).

    A left merge on unique ids keeps the kept rows' order and count; were the count another
    (ids repeated in the store), nothing is handed over and the values are converted.
    """
    if not batch.text_codes or merged_rows != int(kept.sum()):
        return {}
    rows = np.flatnonzero(kept)[written]
    return {name: coded.rows(rows) for name, coded in batch.text_codes.items()}


def _duplicated_ids(batch: RecordBatch) -> np.ndarray:
    """Rows whose ``source_id`` a later row repeats; told by the ids' codes when coded."""
    coded = batch.text_codes.get("source_id")
    ids = batch.frame["source_id"] if coded is None else pd.Series(coded.codes)
    duplicated: np.ndarray = ids.duplicated(keep="last").to_numpy()
    return duplicated


def _existing(
    connection: Connection,
    table: sa.Table,
    business: str,
    source: str,
    ids: Sequence[str],
    deleted_ids: Sequence[str],
) -> pd.DataFrame:
    columns: list[Any] = [table.c.source_id, table.c.content_hash, table.c.deleted]
    status_column = RECORD_MODELS_BY_TABLE[table.name].status_column
    columns.append((table.c[status_column] if status_column else sa.null()).label("status"))
    base = sa.select(*columns).where(table.c.business == business, table.c.source == source)
    wanted = list(ids) + list(deleted_ids)
    if len(wanted) > FULL_SCAN_ROWS:
        rows = connection.execute(base).all()
    else:
        rows = []
        for chunk in _chunks(wanted, IN_CHUNK):
            rows += connection.execute(base.where(table.c.source_id.in_(chunk))).all()
    existing = pd.DataFrame(rows, columns=["source_id", "content_hash", "deleted", "status"])
    return existing.rename(
        columns={
            "content_hash": "content_hash_old",
            "deleted": "deleted_old",
            "status": "status_old",
        }
    ).astype({"source_id": object})


def _delete(
    connection: Connection,
    table: sa.Table,
    batch: RecordBatch,
    existing: pd.DataFrame,
    business: str,
    source: str,
    now: datetime,
    stats: IngestStats,
) -> pd.DataFrame:
    if not batch.deleted_ids:
        return event_rows([], [])
    live = existing[~existing["deleted_old"].astype(bool)]
    doomed = sorted(set(batch.deleted_ids) & set(live["source_id"]))
    for chunk in _chunks(doomed, IN_CHUNK):
        connection.execute(
            sa.update(table)
            .where(
                table.c.business == business, table.c.source == source, table.c.source_id.in_(chunk)
            )
            .values(deleted=True, updated_at=now)
        )
    stats.deleted += len(doomed)
    return event_rows(doomed, [f"{batch.kind.value}.deleted"] * len(doomed))


def _upsert(
    connection: Connection,
    table: sa.Table,
    rows: list[dict[str, Any]],
    *,
    keys: Sequence[str],
    update: Sequence[str],
) -> None:
    dialect = connection.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for chunk in _chunks(rows, WRITE_CHUNK):
        statement = insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=list(keys), set_={name: statement.excluded[name] for name in update}
        )
        connection.execute(statement, chunk)


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


RECORD_MODELS_BY_TABLE = {model.__tablename__: model for model in RECORD_MODELS.values()}
