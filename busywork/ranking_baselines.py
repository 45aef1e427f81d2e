"""KPI baselines for the ranking, kept current from the event log rather than re-measured.

The record-based figures (admin time per activity; DSO, billing, admin hours …) are
measured over frames that :class:`~busywork.store.snapshots.FrameSnapshots` keeps patched
from the event log, and remembered for the events, date and settings they were measured
at: a tick with nothing new measures nothing, and one after new events re-reads only the
records those events name. A detection pass hands over the frames it loaded
(:func:`keep_frames`), so the ranking after it reads no record. Baselines that come from
findings are measured each time (they are cheap). The figures equal
:func:`~alignment.baselines.measure_baselines` and :func:`~alignment.admin_time.admin_time`
on a fresh load (``tests/test_ranking_baselines.py``).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from alignment.admin_time import admin_time
from alignment.baselines import BASELINE_COLUMNS, MEASURED, measure_baselines
from busywork.store.records import RecordKind
from busywork.store.snapshots import FrameSnapshots
from detectors._shared import detection_pass
from detectors.base import Candidate, DetectionContext

#: Measured figures remembered per store and process (each a handful of floats).
MAX_REMEMBERED = 256


@dataclass(frozen=True)
class RecordFigures:
    """What the records measure: hours a month per activity, and record-based baselines."""

    admin_time: dict[str, float]
    baselines: dict[str, float]


_SNAPSHOTS = FrameSnapshots(BASELINE_COLUMNS)
_Remembered = OrderedDict[tuple[object, ...], RecordFigures]
_remembered: weakref.WeakKeyDictionary[Engine, _Remembered] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def record_figures(
    engine: Engine, business: str, metrics: Iterable[str], context: DetectionContext
) -> RecordFigures:
    """Admin time and the record-based baselines among ``metrics``, as on a fresh load.

    ``admin_time`` is what ``admin_time(<fresh frames>, context)`` returns, ``baselines``
    what ``measure_baselines(<those of metrics measured from records>, <fresh frames>,
    context, [])`` does.
    """
    frames, newest = _SNAPSHOTS.frames(engine, business)
    from_records = tuple(sorted(set(metrics) & set(MEASURED)))
    # Everything a figure may read besides the records: the date, minutes per task.
    key = (business, newest, from_records, repr(context))

    def measure() -> RecordFigures:
        # One pass over the frames: what admin time and the baselines both derive from
        # them (the invoices' payment facts, a column's codes) is computed once.
        with detection_pass():
            measured = admin_time(frames, context)
            return RecordFigures(
                measured, measure_baselines(from_records, frames, context, [], admin=measured)
            )

    return _remember(engine, key, measure)


def with_findings(
    figures: RecordFigures,
    metrics: Iterable[str],
    context: DetectionContext,
    candidates: Sequence[Candidate],
) -> dict[str, float]:
    """What ``measure_baselines(metrics, <fresh frames>, context, candidates)`` returns.

    ``figures`` must come from :func:`record_figures` for the same metrics and context.
    """
    wanted = list(metrics)
    from_findings = measure_baselines(
        [metric for metric in wanted if metric not in MEASURED], {}, context, candidates
    )
    found = {**figures.baselines, **from_findings}
    return {metric: found[metric] for metric in wanted if metric in found}


def ranking_baselines(
    engine: Engine,
    business: str,
    metrics: Iterable[str],
    context: DetectionContext,
    candidates: Sequence[Candidate],
) -> dict[str, float]:
    """What ``measure_baselines(metrics, <fresh frames>, context, candidates)`` returns."""
    wanted = list(metrics)
    figures = record_figures(engine, business, wanted, context)
    return with_findings(figures, wanted, context, candidates)


def newest_event(engine: Engine, business: str) -> int:
    """The newest event the kept frames must reflect; read it before loading frames to keep."""
    return _SNAPSHOTS.newest_event(engine, business)


def keep_frames(
    engine: Engine,
    business: str,
    frames: Mapping[RecordKind, pd.DataFrame],
    ids: Mapping[RecordKind, np.ndarray],
    newest: int,
) -> set[RecordKind]:
    """Measure later rankings over ``frames`` (whole kinds, loaded after :func:`newest_event`).

    Returns the kinds kept: those with every column the figures read (see
    :meth:`~busywork.store.snapshots.FrameSnapshots.adopt`).
    """
    return _SNAPSHOTS.adopt(engine, business, frames, ids, newest)


def narrow_frames(engine: Engine, business: str) -> None:
    """Keep only the columns the figures read of frames :func:`keep_frames` took whole."""
    _SNAPSHOTS.narrow(engine, business)


def release_frames(engine: Engine, business: str, kinds: set[RecordKind]) -> None:
    """Drop the kept frames of ``kinds`` before they are read again for :func:`keep_frames`."""
    _SNAPSHOTS.release(engine, business, kinds)


def forget() -> None:
    """Drop the kept frames and remembered figures (tests; a store restored from backup)."""
    _SNAPSHOTS.forget()
    with _lock:
        _remembered.clear()


def _remember(
    engine: Engine, key: tuple[object, ...], measure: Callable[[], RecordFigures]
) -> RecordFigures:
    """The figures remembered under ``key``, measured (and remembered) on first use."""
    with _lock:
        remembered = _remembered.setdefault(engine, OrderedDict())
        if key in remembered:
            remembered.move_to_end(key)
            return remembered[key]
    measured = measure()
    with _lock:
        remembered = _remembered.setdefault(engine, OrderedDict())
        remembered[key] = measured
        while len(remembered) > MAX_REMEMBERED:
            remembered.popitem(last=False)
    return measured
