"""KPI baselines for the ranking, kept current from the event log rather than re-measured.

The record-based baselines (DSO, billing, admin hours …) are measured over frames that
:class:`~busywork.store.snapshots.FrameSnapshots` keeps patched from the event log, and the
figures are remembered for the events, date and settings they were measured at: a tick with
nothing new measures nothing, and one after new events re-reads only the records those
events name. Baselines that come from findings are measured each time (they are cheap).
The figures equal :func:`~alignment.baselines.measure_baselines` on a fresh load
(``tests/test_ranking_baselines.py``).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence

from sqlalchemy.engine import Engine

from alignment.admin_time import admin_time
from alignment.baselines import BASELINE_COLUMNS, MEASURED, measure_baselines
from busywork.store.snapshots import FrameSnapshots
from detectors.base import Candidate, DetectionContext

#: Measured figures remembered per store and process (each a handful of floats).
MAX_REMEMBERED = 256

_SNAPSHOTS = FrameSnapshots(BASELINE_COLUMNS)
_Figures = OrderedDict[tuple[object, ...], dict[str, float]]
_remembered: weakref.WeakKeyDictionary[Engine, _Figures] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def ranking_baselines(
    engine: Engine,
    business: str,
    metrics: Iterable[str],
    context: DetectionContext,
    candidates: Sequence[Candidate],
) -> dict[str, float]:
    """What ``measure_baselines(metrics, <fresh frames>, context, candidates)`` returns."""
    wanted = list(metrics)
    from_records = sorted(set(wanted) & set(MEASURED))
    measured: dict[str, float] = {}
    if from_records:
        measured = _record_baselines(engine, business, from_records, context)
    from_findings = measure_baselines(
        [metric for metric in wanted if metric not in MEASURED], {}, context, candidates
    )
    found = {**measured, **from_findings}
    return {metric: found[metric] for metric in wanted if metric in found}


def forget() -> None:
    """Drop the kept frames and remembered figures (tests; a store restored from backup)."""
    _SNAPSHOTS.forget()
    with _lock:
        _remembered.clear()


def measured_admin_time(
    engine: Engine, business: str, context: DetectionContext
) -> dict[str, float]:
    """What ``admin_time(<fresh frames>, context)`` returns: hours a month per activity."""
    frames, newest = _SNAPSHOTS.frames(engine, business)
    key = ("admin_time", business, newest, repr(context))
    return _remember(engine, key, lambda: admin_time(frames, context))


def _record_baselines(
    engine: Engine, business: str, metrics: list[str], context: DetectionContext
) -> dict[str, float]:
    frames, newest = _SNAPSHOTS.frames(engine, business)
    # Everything a record baseline may read besides the records: the date, minutes per task.
    key = (business, newest, tuple(metrics), repr(context))
    return _remember(engine, key, lambda: measure_baselines(metrics, frames, context, []))


def _remember(
    engine: Engine, key: tuple[object, ...], measure: Callable[[], dict[str, float]]
) -> dict[str, float]:
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
