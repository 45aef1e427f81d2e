"""Record frames read through columnar snapshots stored in the database.

Reading a million records row by row costs seconds of Python objects; one stored blob per
business, record kind and column set (:class:`~busywork.store.tables.FrameSnapshot`,
encoded by :mod:`busywork.store.frame_codec`) decodes in a few hundred milliseconds in any
process: a restarted worker, another worker on PostgreSQL. A snapshot remembers the newest
event it reflects, and the records named by later events are read again and spliced in
(:func:`~busywork.store.frame_patch.patch_frames`), so the frames equal a fresh
:func:`~busywork.store.read.load_frames` (``tests/store/test_stored_frames.py``). The
record tables stay the source of truth: a missing, old-format or unreadable snapshot is
logged and the row store read (and the snapshot written again), never a wrong frame.

Patching assumes a business's events commit in id order, as the detectors' watermarks
do; :mod:`busywork.store.event_order` makes them (on PostgreSQL its writers take turns).
A snapshot is still read afresh from the rows once it is :data:`REREAD_AFTER` old, as the
detectors re-run on everything once a day: a bound on any drift nobody foresaw.

The snapshots a load leaves to write are written by :mod:`busywork.store.snapshot_writes`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.store.frame_codec import (
    FORMAT_VERSION,
    UnreadableFrameError,
    decode_frame,
    payload_columns,
)
from busywork.store.frame_patch import patch_frames
from busywork.store.gc_pause import gc_paused
from busywork.store.read import frame_columns, load_frames, small_page_cache
from busywork.store.records import RecordKind
from busywork.store.snapshot_writes import Frames, Ids, UnstoredSnapshots, columns_key
from busywork.store.tables import FrameSnapshot

log = logging.getLogger(__name__)
_SNAPSHOTS = FrameSnapshot.__table__  # type: ignore[attr-defined]
#: Records a read may patch in before the stored snapshot is written again.
REWRITE_AFTER_RECORDS = 5_000
#: A snapshot written longer ago than this is read afresh from the rows (see the module).
REREAD_AFTER = timedelta(days=1)


def storable(kind: RecordKind, columns: Iterable[str]) -> bool:
    """Whether a frame of ``columns`` may be stored: all but bills' ``paid_at``.

    A bill's ``paid_at`` is filled from its payments, whose events do not name the bill:
    a patch would miss it.
    """
    return not (kind is RecordKind.BILL and "paid_at" in columns)


def load_stored_frames(
    engine: Engine, business: str, columns: Mapping[RecordKind, Iterable[str]], newest: int
) -> tuple[Frames, Ids]:
    """Every live record of ``columns``' kinds, as ``load_frames(…, with_ids=True)`` has them.

    :func:`read_stored_frames`, with the snapshots it leaves unstored written before returning.
    """
    frames, ids, unstored = read_stored_frames(engine, business, columns, newest)
    unstored.write(engine)
    return frames, ids


def read_stored_frames(
    engine: Engine, business: str, columns: Mapping[RecordKind, Iterable[str]], newest: int
) -> tuple[Frames, Ids, UnstoredSnapshots]:
    """Every live record of ``columns``' kinds, and the snapshots to write for them.

    The frames come without ``id``; the second mapping holds each kind's ids. ``newest``
    is the newest event on those kinds, read before this call: stored snapshots are
    patched up to it, and the ones missing, unreadable or far behind are returned to be
    written from the frames (as of it) when the caller has the time: the frames must not
    be modified until then.
    """
    names = {kind: frame_columns(kind, wanted) for kind, wanted in columns.items()}
    frames, ids, stored_at = _read_stored(
        engine, business, {kind: cols for kind, cols in names.items() if storable(kind, cols)}
    )
    behind = _patch(engine, business, names, (frames, ids), stored_at, newest)
    fresh = [kind for kind in names if kind not in frames]
    if fresh:
        loaded = load_frames(engine, business, {kind: names[kind] for kind in fresh}, with_ids=True)
        for kind, frame in loaded.items():
            ids[kind] = frame.pop("id").to_numpy()
            frames[kind] = frame
    unstored = [kind for kind in [*behind, *fresh] if storable(kind, names[kind])]
    return (
        {kind: frames[kind] for kind in names},
        {kind: ids[kind] for kind in names},
        UnstoredSnapshots(
            business,
            newest,
            {kind: frames[kind] for kind in unstored},
            {kind: ids[kind] for kind in unstored},
            {kind: frames[kind] for kind in names if kind not in unstored},
        ),
    )


def _read_stored(
    engine: Engine, business: str, names: Mapping[RecordKind, list[str]]
) -> tuple[Frames, Ids, dict[RecordKind, int]]:
    """The stored frames of ``names`` that decode, their ids and the events they reflect."""
    frames: Frames = {}
    ids: Ids = {}
    stored_at: dict[RecordKind, int] = {}
    now = datetime.now(UTC)
    # A payload read through SQLite's large write cache would stay in it: see small_page_cache.
    with engine.connect() as connection, small_page_cache(connection):
        for kind, cols in names.items():
            found = _stored_row(connection, business, kind, cols)
            if found is None:
                continue
            event, version, written_at, payload = found
            del found  # the payload is dropped once decoded: one is held at a time
            if version != FORMAT_VERSION or now - written_at > REREAD_AFTER:
                why = f"format {version}" if version != FORMAT_VERSION else f"written {written_at}"
                log.info(
                    "frame snapshot business=%s kind=%s action=reread: %s", business, kind, why
                )
                continue
            try:
                with gc_paused():  # a million strings, no cycles among them
                    frame, frame_ids = decode_frame(bytes(payload), cols)
            except UnreadableFrameError as exc:
                log.warning(
                    "frame snapshot business=%s kind=%s action=reread: unreadable (%s)",
                    business,
                    kind.value,
                    exc,
                )
                continue
            del payload
            frames[kind], ids[kind], stored_at[kind] = frame, frame_ids, event
    return frames, ids, stored_at


def _stored_row(
    connection: sa.Connection, business: str, kind: RecordKind, cols: list[str]
) -> tuple[int, int, datetime, bytes] | None:
    """The stored event, format version, time written and payload of one frame, if any.

    The snapshot of exactly ``cols``; else the most recently written of the kind's other
    column sets, of this format, that holds them all: a detection running some detectors
    (a window refresh) reads its columns from the snapshot the full pass wrote, instead
    of reading the rows and storing a snapshot of its own.

    One payload a query: a driver that buffers a whole result holds one payload, not all.
    """
    key = columns_key(cols)
    found = _row(connection, business, kind, key)
    if found is not None:
        return found
    others = sa.select(_SNAPSHOTS.c.columns_key).where(
        _SNAPSHOTS.c.business == business,
        _SNAPSHOTS.c.record_kind == kind.value,
        _SNAPSHOTS.c.format_version == FORMAT_VERSION,
        _SNAPSHOTS.c.columns_key != key,
    )
    for other in connection.execute(others.order_by(_SNAPSHOTS.c.written_at.desc())).scalars():
        found = _row(connection, business, kind, other)
        held = None if found is None else payload_columns(bytes(found[3]))
        if held is not None and set(cols) <= set(held):
            return found
    return None


def _row(
    connection: sa.Connection, business: str, kind: RecordKind, key: str
) -> tuple[int, int, datetime, bytes] | None:
    """The snapshot of ``kind``'s column set ``key``: event, format, time written, payload."""
    query = sa.select(
        _SNAPSHOTS.c.newest_event,
        _SNAPSHOTS.c.format_version,
        _SNAPSHOTS.c.written_at,
        _SNAPSHOTS.c.payload,
    ).where(
        _SNAPSHOTS.c.business == business,
        _SNAPSHOTS.c.record_kind == kind.value,
        _SNAPSHOTS.c.columns_key == key,
    )
    found = connection.execute(query).one_or_none()
    if found is None:
        return None
    written_at = found[2] if found[2].tzinfo else found[2].replace(tzinfo=UTC)
    return int(found[0]), int(found[1]), written_at, found[3]


def _patch(
    engine: Engine,
    business: str,
    names: Mapping[RecordKind, list[str]],
    stored: tuple[Frames, Ids],
    stored_at: Mapping[RecordKind, int],
    newest: int,
) -> list[RecordKind]:
    """Bring ``stored`` frames and ids up to event ``newest`` in place; the kinds to store again.

    A kind with too many events to patch is dropped from them (to be read afresh).
    """
    frames, ids = stored
    by_event: dict[int, list[RecordKind]] = {}
    for kind, event in stored_at.items():
        by_event.setdefault(event, []).append(kind)
    behind: list[RecordKind] = []
    for after, kinds in sorted(by_event.items()):
        if after >= newest:
            continue  # stored by a process that read a newer event: nothing to patch
        patched = patch_frames(
            engine,
            business,
            {kind: names[kind] for kind in kinds},
            {kind: frames[kind] for kind in kinds},
            {kind: ids[kind] for kind in kinds},
            after=after,
            upto=newest,
        )
        if patched is None:
            for kind in kinds:
                del frames[kind], ids[kind]
            continue
        frames.update(patched.frames)
        ids.update(patched.ids)
        if patched.records >= REWRITE_AFTER_RECORDS:
            behind += kinds
    return behind
