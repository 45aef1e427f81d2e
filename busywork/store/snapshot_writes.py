"""Record frames stored as columnar snapshots: written once a detection has the time.

The write side of :mod:`busywork.store.stored_frames`. A load that read a kind's rows, or
found its snapshot far behind, hands the frames back (:class:`UnstoredSnapshots`), and the
caller writes them once its findings are committed: encoding and writing 80 MB for a
million records costs seconds. A snapshot is a cache: a write that fails is logged, never
raised, and costs only a read of the rows next time.

Each text column's dictionary is linked to the stored dictionaries of the columns it
refers to, or that refer to it (:mod:`busywork.store.text_links`): those written in the
same batch, and those the same load decoded from their snapshots.

A column set nobody reads any more (a detector disabled, a column dropped) leaves its
snapshot behind; writing a kind's snapshot deletes that kind's others not written for
:data:`FORGET_AFTER` (a snapshot in use is written again at least every
:data:`busywork.store.stored_frames.REREAD_AFTER`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from busywork.store.frame_codec import FORMAT_VERSION, Dictionaries, encode_frame
from busywork.store.read import small_page_cache
from busywork.store.records import RecordKind
from busywork.store.tables import FrameSnapshot
from busywork.store.text_dictionary import recall
from busywork.store.text_links import JOINS

log = logging.getLogger(__name__)
_SNAPSHOTS = FrameSnapshot.__table__  # type: ignore[attr-defined]
#: Another column set's snapshot of a kind not written for this long is deleted.
FORGET_AFTER = timedelta(days=7)
#: Larger payloads are not stored (SQLite's default limit on a value is 1,000,000,000 bytes,
#: PostgreSQL's 1 GiB): a business of several million records reads its rows.
MAX_PAYLOAD_BYTES = 512 * 2**20

Frames = dict[RecordKind, pd.DataFrame]
Ids = dict[RecordKind, np.ndarray]


def columns_key(names: Iterable[str]) -> str:
    """The key of a frame's column set (in order): a short hash of the names."""
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class UnstoredSnapshots:
    """Frames read whole (every live record of their kinds, as of event ``newest``) to store.

    Encoding and writing 80 MB of snapshots for a million records costs seconds: a
    detection writes them once its findings are committed (:meth:`write`).
    """

    business: str
    newest: int
    frames: Frames
    ids: Ids
    #: The other frames of the load, decoded from stored snapshots: the written ones are
    #: linked to their text dictionaries (:mod:`busywork.store.text_links`).
    stored: Frames = field(default_factory=dict)

    def write(self, engine: Engine) -> list[RecordKind]:
        """Store each frame (see :func:`write_snapshot`); the kinds stored.

        Never raises: a snapshot is a cache, and a failure to store it (logged) costs only
        a read of the rows next time.
        """
        stored: list[RecordKind] = []
        dictionaries = stored_dictionaries(self.stored)
        for kind, frame in self.frames.items():
            try:
                written = write_snapshot(
                    engine,
                    self.business,
                    kind,
                    frame,
                    self.ids[kind],
                    self.newest,
                    dictionaries=dictionaries,
                )
            except Exception as exc:  # a cache write never fails its caller
                log.warning(
                    "frame snapshot business=%s kind=%s action=not_stored: %s",
                    self.business,
                    kind.value,
                    type(exc).__name__,
                )
                continue
            if written:
                stored.append(kind)
        return stored


def write_snapshot(
    engine: Engine,
    business: str,
    kind: RecordKind,
    frame: pd.DataFrame,
    ids: np.ndarray,
    newest: int,
    *,
    now: datetime | None = None,
    dictionaries: Dictionaries | None = None,
) -> bool:
    """Store ``frame`` (every live record of ``kind``, as of event ``newest``); whether it was.

    A snapshot already stored as of a newer event is kept. The kind's snapshots of other
    column sets not written since :data:`FORGET_AFTER` before ``now`` are deleted. A frame
    that cannot be encoded, or is too large, or a write the database refuses, is logged and
    left unstored: the snapshot is a cache, and its loss costs only a read of the rows.
    ``dictionaries`` (other kinds' stored text dictionaries) are linked to the frame's
    (:func:`~busywork.store.frame_codec.encode_frame`), and gain the frame's.
    """
    payload = encode_frame(frame, ids, kind, {} if dictionaries is None else dictionaries)
    if payload is None or len(payload) > MAX_PAYLOAD_BYTES:
        why = "a text column holds other values" if payload is None else f"{len(payload)} bytes"
        log.info("frame snapshot business=%s kind=%s action=not_stored: %s", business, kind, why)
        return False
    now = now or datetime.now(UTC)
    row = {
        "business": business,
        "record_kind": kind.value,
        "columns_key": columns_key(str(name) for name in frame.columns),
        "newest_event": newest,
        "format_version": FORMAT_VERSION,
        "rows": len(frame),
        "written_at": now,
        "payload": payload,
    }
    try:
        with engine.begin() as connection, small_page_cache(connection):  # nor when written
            insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
            statement = insert(_SNAPSHOTS).values(row)
            excluded = statement.excluded
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["business", "record_kind", "columns_key"],
                    set_={name: excluded[name] for name in row if name not in _KEY},
                    where=_SNAPSHOTS.c.newest_event <= excluded.newest_event,
                )
            )
            connection.execute(
                sa.delete(_SNAPSHOTS).where(
                    _SNAPSHOTS.c.business == business,
                    _SNAPSHOTS.c.record_kind == kind.value,
                    _SNAPSHOTS.c.columns_key != row["columns_key"],
                    _SNAPSHOTS.c.written_at < now - FORGET_AFTER,
                )
            )
    except sa.exc.DBAPIError as exc:
        # The driver's own message, never the statement (whose parameter is the payload).
        reason = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else "refused"
        log.warning(
            "frame snapshot business=%s kind=%s action=not_stored: %s", business, kind, reason
        )
        return False
    return True


_KEY = ("business", "record_kind", "columns_key")


def stored_dictionaries(frames: Frames) -> Dictionaries:
    """The stored text dictionaries of ``frames``' columns that links join (:data:`JOINS`)."""
    joined = {*JOINS, *JOINS.values()}
    found: Dictionaries = {}
    for kind, frame in frames.items():
        for name in frame.columns:
            memory = getattr(frame[name].array, "_ndarray", None)
            stored = recall(memory) if (kind, name) in joined and memory is not None else None
            if stored is not None and stored.digest is not None:
                found[(kind, str(name))] = (stored.digest, stored.values)
    return found
