"""Record frames brought up to date from the event log: re-read only the records it names.

Every change to a record appends an event in the same transaction (see
:mod:`busywork.store.ingest`), and the log is append-only, so the events after the newest
one a frame reflects name every record that may differ. :func:`patch_frames` reads just
those again and splices them in by store id (deleted ones drop out), keeping the id order
:func:`~busywork.store.read.load_frames` gives. Both the in-process
:class:`~busywork.store.snapshots.FrameSnapshots` and the stored snapshots of
:mod:`busywork.store.stored_frames` patch through it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.store.read import load_frames
from busywork.store.records import RECORD_MODELS, RecordKind
from busywork.store.tables import Event

_EVENTS = Event.__table__  # type: ignore[attr-defined]
#: Beyond this many new events a fresh load is cheaper than patching.
MAX_PATCH_EVENTS = 50_000
#: Bound parameters per IN list; below SQLite's oldest limit of 999.
IN_CHUNK = 900


@dataclass(frozen=True)
class Patched:
    """Frames (without ``id``) and their ids after a patch, and how many records it re-read."""

    frames: dict[RecordKind, pd.DataFrame]
    ids: dict[RecordKind, np.ndarray]
    records: int


def patch_frames(
    engine: Engine,
    business: str,
    columns: Mapping[RecordKind, Iterable[str]],
    frames: Mapping[RecordKind, pd.DataFrame],
    ids: Mapping[RecordKind, np.ndarray],
    *,
    after: int,
    upto: int,
) -> Patched | None:
    """``frames`` (of ``columns``, as of event ``after``) as of event ``upto``.

    ``frames`` hold every live record of their kinds in id order, as :func:`load_frames`
    gives them without ``id`` (``ids`` holds those). The inputs are not modified. None when
    more than :data:`MAX_PATCH_EVENTS` events arrived: a fresh load is then cheaper.
    """
    touched = _touched(engine, business, after, upto, set(frames))
    if touched is None:
        return None
    patched, patched_ids = dict(frames), dict(ids)
    records = 0
    for kind, keys in touched.items():
        records += len(keys)
        named = _record_ids(engine, business, kind, keys)
        # Read again by store id (the primary key): by ``source_id`` alone, no index
        # narrows the rows, and SQLite read every record of the business (0.3 s at a
        # million records, to patch in a hundred).
        fresh = load_frames(
            engine,
            business,
            {kind: columns[kind]},
            only={kind: ("id", named.tolist())},
            with_ids=True,
        )[kind]
        fresh_ids = fresh.pop("id").to_numpy()
        stay = ~np.isin(patched_ids[kind], named)  # re-read (fresh) or gone (not live)
        combined = pd.concat([patched[kind][stay], fresh], ignore_index=True)
        combined_ids = np.concatenate([patched_ids[kind][stay], fresh_ids])
        order = np.argsort(combined_ids, kind="stable")
        patched[kind] = combined.take(order).reset_index(drop=True)
        patched_ids[kind] = combined_ids[order]
    return Patched(patched, patched_ids, records)


def newest_event(engine: Engine, business: str, kinds: Iterable[RecordKind]) -> int:
    """The newest event id on ``kinds`` (0: none): one index seek per kind, in one statement.

    The events index is (business, record_kind, id); a maximum over the whole business
    would scan every one of its entries.
    """
    newest = [
        sa.select(sa.func.max(_EVENTS.c.id))
        .where(_EVENTS.c.business == business, _EVENTS.c.record_kind == kind.value)
        .scalar_subquery()
        for kind in sorted(set(kinds), key=lambda kind: kind.value)
    ]
    if not newest:
        return 0
    with engine.connect() as connection:
        found = connection.execute(sa.select(*newest)).one()
    return max((int(value) for value in found if value is not None), default=0)


def _touched(
    engine: Engine, business: str, after: int, upto: int, kinds: set[RecordKind]
) -> dict[RecordKind, set[tuple[str, str]]] | None:
    """(source, source_id) of the records each event in (after, upto] names; None: too many."""
    if upto <= after or not kinds:
        return {}
    wanted = {kind.value: kind for kind in kinds}
    query = (
        sa.select(_EVENTS.c.record_kind, _EVENTS.c.source, _EVENTS.c.source_id)
        .where(
            _EVENTS.c.business == business,
            _EVENTS.c.id > after,
            _EVENTS.c.id <= upto,
            _EVENTS.c.record_kind.in_(sorted(wanted)),
        )
        .limit(MAX_PATCH_EVENTS + 1)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    if len(rows) > MAX_PATCH_EVENTS:
        return None
    touched: dict[RecordKind, set[tuple[str, str]]] = {}
    for kind, source, source_id in rows:
        touched.setdefault(wanted[kind], set()).add((source, source_id))
    return touched


def _record_ids(
    engine: Engine, business: str, kind: RecordKind, keys: set[tuple[str, str]]
) -> np.ndarray:
    """Store ids of the named records, live or deleted."""
    table = RECORD_MODELS[kind].__table__  # type: ignore[attr-defined]
    by_source: dict[str, list[str]] = {}
    for source, source_id in keys:
        by_source.setdefault(source, []).append(source_id)
    found: list[int] = []
    with engine.connect() as connection:
        for source, source_ids in sorted(by_source.items()):
            ordered = sorted(source_ids)
            for start in range(0, len(ordered), IN_CHUNK):
                found += connection.execute(
                    sa.select(table.c.id).where(
                        table.c.business == business,
                        table.c.source == source,
                        table.c.source_id.in_(ordered[start : start + IN_CHUNK]),
                    )
                ).scalars()
    return np.array(found, dtype=np.int64)
