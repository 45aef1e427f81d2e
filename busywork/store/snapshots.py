"""Record frames kept between ranking ticks, patched from the event log instead of re-read.

Ranking measures KPI baselines over a business's records at every tick; reading a
million records again each time costs seconds. A :class:`FrameSnapshots` keeps, per
business, the frames :func:`~busywork.store.read.load_frames` gave (with record ids) and
the id of the newest event they reflect. Every change to a record appends an event in
the same transaction (see :mod:`busywork.store.ingest`), and the log is append-only, so
the events after that id name every record that may differ: only those are read again and
spliced in by record id (:mod:`busywork.store.frame_patch`). The patched frames equal a
fresh load, row order included (``tests/store/test_snapshots.py``). The row store stays
the source of truth: a snapshot is a per-process cache, and a store another process wrote
to is patched the same way. A cold start reads the business's stored snapshots
(:mod:`busywork.store.stored_frames`) rather than every row.

Frames a detection pass loaded anyway (every record of the kinds kept, with ids) can be
handed over with :meth:`FrameSnapshots.adopt`, so the ranking that follows reads nothing.
They are taken whole, without a copy, while the pass holds them anyway, and narrowed to
the kept columns (:meth:`FrameSnapshots.narrow`) once it is done: a copy taken up front
was 38 MB on top of the peak of a million-record pass. Narrowing a frame decoded from a
stored snapshot copies nothing either (its columns are blocks of their own).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from busywork.store.frame_patch import newest_event, patch_frames
from busywork.store.read import frame_columns
from busywork.store.records import RecordKind
from busywork.store.stored_frames import load_stored_frames

#: Businesses per store whose frames one process keeps (least recently used go first).
MAX_BUSINESSES = 4


@dataclass
class _Snapshot:
    frames: dict[RecordKind, pd.DataFrame]
    ids: dict[RecordKind, np.ndarray]
    newest_event: int
    #: Whether ``frames`` are an adopted pass's, with more columns than kept.
    whole: bool = False


class FrameSnapshots:
    """Per-business record frames of fixed columns, kept current from the event log."""

    def __init__(self, columns: Mapping[RecordKind, tuple[str, ...]]) -> None:
        """Keep frames of ``columns`` (as :func:`load_frames` takes them)."""
        if RecordKind.BILL in columns and "paid_at" in columns[RecordKind.BILL]:
            # A bill's paid_at is filled from its payments: a payment event would not name it.
            raise ValueError("snapshots cannot keep bills' paid_at (derived from payments)")
        self.columns = dict(columns)
        # Keyed by the engine object itself: a store's frames die with its engine.
        self._kept: weakref.WeakKeyDictionary[Engine, OrderedDict[str, _Snapshot]] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def frames(self, engine: Engine, business: str) -> tuple[dict[RecordKind, pd.DataFrame], int]:
        """The business's current frames and the id of the newest event they reflect.

        The frames are shared: callers must not modify them (detectors and baselines never do).
        """
        kept = self.narrow(engine, business)
        newest = self.newest_event(engine, business)
        if kept is None or newest < kept.newest_event:
            kept = self._load(engine, business, newest, set(self.columns))
        else:
            missing = set(self.columns) - set(kept.frames)
            if missing:
                kept = _merged(kept, self._load(engine, business, newest, missing))
            if newest > kept.newest_event:
                kept = self._patch(engine, business, kept, newest)
        self._keep(engine, business, kept)
        return kept.frames, kept.newest_event

    def newest_event(self, engine: Engine, business: str) -> int:
        """The id of the newest event on a kept record kind (0: none).

        Read before loading frames that :meth:`adopt` is to keep: events committed during
        the load are then patched in again, which changes nothing.
        """
        return newest_event(engine, business, self.columns)

    def adopt(
        self,
        engine: Engine,
        business: str,
        frames: Mapping[RecordKind, pd.DataFrame],
        ids: Mapping[RecordKind, np.ndarray],
        newest_event: int,
    ) -> set[RecordKind]:
        """Keep the kept columns of ``frames``, loaded elsewhere, as of ``newest_event``.

        ``frames`` must hold every live record of their kinds, in id order, as
        :func:`load_frames` gives them (without ``id``: ``ids`` holds those), and
        ``newest_event`` must have been read (:meth:`newest_event`) before they were loaded.
        A kept kind they lack is read at the next :meth:`frames`. The frames are held whole
        until :meth:`narrow` (or the next :meth:`frames`) keeps a copy of their kept columns:
        they must not be modified. Returns the kinds taken.
        """
        taken = {
            kind: frames[kind]
            for kind, wanted in self.columns.items()
            if kind in frames and kind in ids and set(wanted) <= set(frames[kind].columns)
        }
        if not taken:
            return set()
        adopted = _Snapshot(taken, {kind: ids[kind] for kind in taken}, newest_event, whole=True)
        with self._lock:
            kept = self._kept.setdefault(engine, OrderedDict()).get(business)
        self._keep(engine, business, adopted if kept is None else _merged(kept, adopted))
        return set(taken)

    def narrow(self, engine: Engine, business: str) -> _Snapshot | None:
        """Hold only the kept columns of the business's adopted frames; returns what is kept.

        A frame decoded from a stored snapshot keeps those columns' own arrays; any other
        frame is copied (pointers to the same values): a view of it would hold its whole
        blocks, every text column in them, for as long as it is kept (:func:`_only`).
        """
        with self._lock:
            businesses = self._kept.setdefault(engine, OrderedDict())
            kept = businesses.get(business)
            if kept is None or not kept.whole:
                return kept
            narrowed = {
                kind: _only(frame, frame_columns(kind, self.columns[kind]))
                for kind, frame in kept.frames.items()
            }
            kept = _Snapshot(narrowed, kept.ids, kept.newest_event)
            businesses[business] = kept
            return kept

    def release(self, engine: Engine, business: str, kinds: set[RecordKind]) -> None:
        """Stop keeping ``kinds``' frames: they are about to be read again (and adopted).

        Dropped before that read, the old frames do not add to its peak memory.
        """
        with self._lock:
            businesses = self._kept.get(engine)
            kept = None if businesses is None else businesses.get(business)
            if businesses is None or kept is None:
                return
            left = {kind: frame for kind, frame in kept.frames.items() if kind not in kinds}
            if left:
                ids = {kind: kept.ids[kind] for kind in left}
                businesses[business] = _Snapshot(left, ids, kept.newest_event, kept.whole)
            else:
                del businesses[business]

    def _keep(self, engine: Engine, business: str, kept: _Snapshot) -> None:
        with self._lock:
            businesses = self._kept.setdefault(engine, OrderedDict())
            businesses[business] = kept
            businesses.move_to_end(business)
            while len(businesses) > MAX_BUSINESSES:
                businesses.popitem(last=False)

    def forget(self) -> None:
        """Drop every kept frame."""
        with self._lock:
            self._kept.clear()

    def _load(
        self, engine: Engine, business: str, newest: int, kinds: set[RecordKind]
    ) -> _Snapshot:
        wanted = {kind: columns for kind, columns in self.columns.items() if kind in kinds}
        loaded, ids = load_stored_frames(engine, business, wanted, newest)
        return _Snapshot(loaded, ids, newest)

    def _patch(self, engine: Engine, business: str, kept: _Snapshot, newest: int) -> _Snapshot:
        patched = patch_frames(
            engine,
            business,
            self.columns,
            kept.frames,
            kept.ids,
            after=kept.newest_event,
            upto=newest,
        )
        if patched is None:
            return self._load(engine, business, newest, set(self.columns))
        return _Snapshot(patched.frames, patched.ids, newest)


def _only(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``columns`` of ``frame``, holding nothing else of it.

    A frame decoded from a stored snapshot holds each column in a block of its own: its
    columns' own arrays are taken, not copied. A text column then keeps its memory, and the
    codes it was decoded with (:mod:`busywork.store.text_dictionary`): the ranking's
    selections of it are coded without hashing their text. Any other frame is copied
    (pointers): a view of it would hold its whole blocks, every column in them.
    """
    if frame._mgr.nblocks == frame.shape[1]:
        return pd.DataFrame({name: frame[name] for name in columns}, copy=False)
    return frame[columns].copy()


def _merged(kept: _Snapshot, other: _Snapshot) -> _Snapshot:
    """``kept`` with ``other``'s kinds replaced or added, as of the older of the two.

    Patching from the older event re-reads whatever changed after it, on either side.
    """
    return _Snapshot(
        {**kept.frames, **other.frames},
        {**kept.ids, **other.ids},
        min(kept.newest_event, other.newest_event),
        kept.whole or other.whole,
    )
