"""Which detectors run after a batch of events, and on which subjects.

A detector runs on every record when it is new, its parameters changed, it was asked to
(``force``) or it last ran a day ago: findings age without new records (a series stops, a
debt grows). Otherwise it runs only when events arrived on a record kind it reads, and then
as narrowly as it allows: a detector with ``subject_columns`` re-reads just the subjects the
events touched (an indexed read of a few rows), while one whose findings depend on the whole
business (DSO, backlog, calendar load) re-reads everything at most once per ``min_rerun``,
so the batches arriving in between are coalesced into one run.

Everything here is read from the store (event ids, watermarks), never from memory, so any
worker holding the business's lease plans the same runs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy.engine import Engine

from busywork.ranking_baselines import keep_frames, newest_event, release_frames
from busywork.store.events import (
    Watermark,
    latest_event_ids,
    touched_records,
    touched_subjects,
    watermarks,
)
from busywork.store.findings import cited_subjects, merged_subjects
from busywork.store.frame_patch import newest_event as store_newest_event
from busywork.store.read import load_frames
from busywork.store.records import RecordKind
from busywork.store.snapshot_writes import UnstoredSnapshots
from busywork.store.stored_frames import read_stored_frames
from detectors.base import Candidate, Detector, finding_id

#: Detectors re-run at least this often, even when no record changed.
REDETECT_AFTER = timedelta(days=1)


def params_hash(detector: Detector, as_of: datetime | None = None) -> str:
    """A short hash of the detector's parameters, and of ``as_of`` for a pinned scan.

    A scan pinned to a date (``--as-of``) must give that date's findings whatever ran
    before: a watermark written at another date, or by the live worker, no longer matches
    and the detector runs afresh. The live worker (``as_of`` None: the clock) keeps one hash.
    """
    params = detector.get_params()
    if as_of is not None:
        params = {**params, "__as_of__": as_of.isoformat()}
    text = json.dumps(params, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


#: Above this many new events on a kind, a scoped detector looks at every subject instead.
MAX_SCOPED_EVENTS = 5_000


def _needs_full_run(
    detector: Detector, mark: Watermark | None, now: datetime, as_of: datetime | None
) -> bool:
    if mark is None or mark.params_hash != params_hash(detector, as_of):
        return True
    # Findings age even without new records (a series stops, debts grow).
    return mark.ran_at is None or now - mark.ran_at >= REDETECT_AFTER


def _has_new_events(
    detector: Detector,
    mark: Watermark,
    latest: dict[str, int],
    kinds: Collection[RecordKind] | None = None,
) -> bool:
    """Whether events arrived on ``kinds`` (default: every kind the detector reads)."""
    watched = detector.requires() if kinds is None else kinds
    return any(latest.get(record.value, 0) > mark.last_event_id for record in watched)


@dataclass(frozen=True)
class Run:
    """A detector to run now: over every subject (``subjects`` None) or only over some."""

    detector: Detector
    subjects: frozenset[str] | None = None


def plan_runs(
    engine: Engine,
    business: str,
    detectors: dict[str, Detector],
    *,
    now: datetime,
    force: bool = False,
    as_of: datetime | None = None,
) -> tuple[dict[str, Run], int]:
    """Which detectors run now, on which subjects; and the newest event id they will have seen.

    A detector runs on everything when forced, new, re-parameterised, a day old, or last run
    as of another date than the pinned ``as_of`` (None: the live clock). Otherwise
    it runs only when events arrived on a record kind it reads: a detector with
    ``subject_columns`` re-runs on just the subjects those events touched (with every id of a
    subject known by several, ``Subject.alt_ids``); any other one re-reads everything, at most
    once per its ``min_rerun`` (batches in between coalesce).
    """
    latest = latest_event_ids(engine, business)
    newest = max(latest.values(), default=0)
    marks = watermarks(engine, business)
    runs: dict[str, Run] = {}
    for kind, detector in detectors.items():
        mark = marks.get(kind)
        if force or mark is None or _needs_full_run(detector, mark, now, as_of):
            runs[kind] = Run(detector)
            continue
        if not _has_new_events(detector, mark, latest):
            continue
        subjects = None
        unkeyed = detector.requires() - set(detector.subject_columns)
        if detector.scopable() and not _has_new_events(detector, mark, latest, unkeyed):
            subjects = touched_subjects(
                engine,
                business,
                detector.subject_columns,
                after=mark.last_event_id,
                upto=newest,
                max_events=MAX_SCOPED_EVENTS,
            )
        if subjects is not None:
            touched = touched_records(
                engine, business, detector.subject_columns, after=mark.last_event_id, upto=newest
            )
            subjects |= cited_subjects(engine, business, kind, touched)
            subjects |= merged_subjects(engine, business, kind, subjects)
            runs[kind] = Run(detector, frozenset(subjects))
        elif mark.ran_at is None or now - mark.ran_at >= detector.min_rerun:
            runs[kind] = Run(detector)
    return runs, newest


def load_for_runs(
    engine: Engine, business: str, runs: Sequence[Run]
) -> dict[RecordKind, pd.DataFrame]:
    """:func:`load_for_detection`'s frames, with the stored snapshots written before returning."""
    frames, unstored = load_for_detection(engine, business, runs)
    unstored.write(engine)
    return frames


def load_for_detection(
    engine: Engine, business: str, runs: Sequence[Run]
) -> tuple[dict[RecordKind, pd.DataFrame], UnstoredSnapshots]:
    """The frames ``runs`` read (narrowed to their subjects when every run is scoped alike).

    The kinds read whole come through the stored snapshots (:func:`read_stored_frames`:
    one columnar blob per kind, patched from the event log), the narrowed ones from the
    row store. The snapshots found missing or far behind are returned, to be written
    (:meth:`UnstoredSnapshots.write`) once the detection no longer waits on them. The
    kinds read whole are handed to the ranking too (:func:`keep_frames`): the ranking
    that follows detection measures its baselines on them instead of reading them again.
    """
    columns: dict[RecordKind, set[str]] = {}
    for run in runs:
        for record_kind, wanted in run.detector.input_columns().items():
            columns.setdefault(record_kind, set()).update(wanted)
    only: dict[RecordKind, tuple[str, frozenset[str]]] = {}
    for record_kind in columns:
        readers = [run for run in runs if record_kind in run.detector.input_columns()]
        keys = {run.detector.subject_columns.get(record_kind) for run in readers}
        column = keys.pop() if len(keys) == 1 else None
        if column is not None and all(run.subjects is not None for run in readers):
            only[record_kind] = (column, frozenset().union(*(r.subjects or () for r in readers)))
    newest = newest_event(engine, business)  # before the load: later events get patched in
    release_frames(engine, business, set(columns) - set(only))  # replaced by this load
    whole = {kind: sorted(names) for kind, names in columns.items() if kind not in only}
    # Read before the load too: the stored snapshots are patched up to it, or written as of it.
    frames, ids, unstored = read_stored_frames(
        engine, business, whole, store_newest_event(engine, business, whole)
    )
    narrowed = {kind: sorted(columns[kind]) for kind in only}
    scoped = load_frames(engine, business, narrowed, only=only, with_ids=True) if only else {}
    keep_frames(engine, business, frames, ids, newest)
    for kind, frame in scoped.items():
        ids[kind] = frame.pop("id").to_numpy()
        frames[kind] = frame
    return {kind: frames[kind] for kind in columns}, unstored


def in_scope(run: Run, found: list[Candidate]) -> list[Candidate]:
    """The findings of ``run`` about its subjects (all of them for an unscoped run)."""
    if run.subjects is None:
        return found
    return [candidate for candidate in found if candidate.subject.id in run.subjects]


def scope_ids(business: str, runs: dict[str, Run]) -> dict[str, set[str]]:
    """Per scoped run, the ids its subjects' findings have: only those may be resolved."""
    return {
        kind: {
            finding_id(business, kind, run.detector.subject_type or "", subject)
            for subject in run.subjects
        }
        for kind, run in runs.items()
        if run.subjects is not None
    }
