"""The step after polling: detect only what changed, store the findings, queue what is due.

Ranking into the contract document is :mod:`busywork.recommend`; the detectors and their
context come from :mod:`busywork.configured`; adoption of resolved findings is
:mod:`busywork.adoption_check`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy.engine import Connection, Engine

from busywork.adoption_check import check_adoption
from busywork.allocator import release_free_pages
from busywork.configured import detection_context, enabled_detectors
from busywork.logs import redact
from busywork.plan import Run, in_scope, load_for_detection, params_hash, plan_runs, scope_ids
from busywork.ranking_baselines import narrow_frames
from busywork.recommend import queue_immediate, recommendations
from busywork.store.coverage import save_coverage
from busywork.store.events import advance_watermarks
from busywork.store.findings import FindingChanges, upsert_findings
from busywork.store.gc_pause import gc_frozen
from busywork.store.records import RecordKind
from config.models import AppConfig
from detectors._coverage import Coverage, measure_pass
from detectors._shared import detection_pass, release_unneeded
from detectors.base import Candidate, DetectionContext

#: What callers import from here (some found here before they had modules of their own).
__all__ = [
    "COVERAGE",
    "DetectResult",
    "check_adoption",
    "detect",
    "detect_pass",
    "detection_context",
    "enabled_detectors",
    "queue_immediate",
    "recommendations",
]

log = logging.getLogger(__name__)


@dataclass
class DetectResult:
    """Which detectors ran, which failed, and how the findings changed."""

    ran: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    changes: FindingChanges = field(default_factory=FindingChanges)
    adopted: list[str] = field(default_factory=list)
    #: Detectors that ran on some subjects only: how many.
    scoped: dict[str, int] = field(default_factory=dict)
    #: Per detector that read the whole business: its data coverage (``Coverage.to_json``).
    coverage: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Seconds of each detector of the pass (its freeing after it included), and of the
    #: data coverage measured for them first (:data:`COVERAGE`): wall seconds, unless
    #: :func:`detect_pass` was given another clock.
    seconds: dict[str, float] = field(default_factory=dict)


#: The key of :attr:`DetectResult.seconds` that times the coverage measured once per pass.
COVERAGE = "data_coverage"


def detect(
    engine: Engine,
    config: AppConfig,
    *,
    as_of: datetime,
    now: datetime,
    force: bool = False,
    in_transaction: Callable[[Connection, list[str]], None] | None = None,
) -> DetectResult:
    """Run the detectors that are due (see :func:`plan_runs`); with ``force`` every one runs.

    ``as_of`` other than ``now`` pins the scan to that date: findings stored as of another
    date are never served for it (the watermarks remember the date they were made at).
    The coverage of the facts the detectors need is measured once, over the whole
    business, for the detectors that read all of it, and stored with their watermarks.
    ``in_transaction`` is called inside the transaction that writes the findings and their
    outbox rows, with the ids of the deliveries it queued: the caller fences the write and
    defers the sending there, so both commit with the findings or not at all. The stored
    frame snapshots a cold load leaves unwritten are written last (a failure is logged).
    """
    business = config.business.id
    pinned = None if as_of == now else as_of
    runs, newest = plan_runs(
        engine, business, enabled_detectors(config), now=now, force=force, as_of=pinned
    )
    result = DetectResult()
    if not runs:
        return result
    frames, unstored = load_for_detection(engine, business, list(runs.values()))
    try:
        context = detection_context(config, as_of)
        candidates = detect_pass(business, runs, frames, context, result)
        ran = {kind: runs[kind] for kind in result.ran}
        with engine.begin() as connection:
            result.changes = upsert_findings(
                connection, business, result.ran, candidates, now, scopes=scope_ids(business, ran)
            )
            advance_watermarks(
                connection,
                business,
                {kind: params_hash(run.detector, pinned) for kind, run in ran.items()},
                newest,
                now,
            )
            save_coverage(connection, business, result.coverage)
            queued: list[str] = []
            if result.changes.new or result.changes.changed:
                # In the transaction that changed the findings: committed together or not at all.
                queued = queue_immediate(engine, connection, config, now=now, as_of=as_of)
            if in_transaction is not None:
                in_transaction(connection, queued)
        result.adopted = check_adoption(engine, config, as_of=as_of, now=now)
        # The frames' snapshots, if a load read rows, once the findings no longer wait on them.
        unstored.write(engine)
    finally:
        # The ranking kept the frames whole while the pass held them: now only its columns.
        narrow_frames(engine, business)
    return result


def detect_pass(
    business: str,
    runs: Mapping[str, Run],
    frames: Mapping[RecordKind, pd.DataFrame],
    context: DetectionContext,
    result: DetectResult,
    clock: Callable[[], float] | None = None,
) -> list[Candidate]:
    """Run ``runs`` on ``frames`` in one detection pass; what each did goes into ``result``.

    Coverage is measured once for the detectors that read the whole business; the
    detectors of the pass share what they derive alike (:mod:`detectors._shared`), and a
    shared result is forgotten once no detector still to run declares it. The heap's free
    pages go back to the system after the load, the coverage and each detector, so the
    pass's peak is its heaviest detector's. ``bench/detect_1m.py`` and
    ``bench/detector_passes.py`` time this very pass.

    Args:
        business: whose frames these are (for the log).
        runs: the detectors to run, by kind, in order.
        frames: the business's records, by kind.
        context: what the detectors are told (date, timezone, settings).
        result: where the failures and each detector's seconds go.
        clock: what :attr:`DetectResult.seconds` is read from: wall seconds
            (``time.perf_counter``) by default; a benchmark gives ``time.process_time``.
    """
    read = clock or time.perf_counter
    whole = [run.detector for run in runs.values() if run.subjects is None]
    release_free_pages()  # what the load freed: each detector's peak comes on top of the rest
    with detection_pass(), gc_frozen():  # the objects loaded so far: no cycles to find
        began = read()
        try:
            coverage = measure_pass(whole, frames, context)
        except Exception as exc:  # detectors then measure their own, and fail one by one
            log.warning(
                "coverage failed business=%s action=coverage_failed error=%s",
                business,
                redact(str(exc)),
            )
            coverage = {}
        release_free_pages()
        result.seconds[COVERAGE] = read() - began
        found: list[Candidate] = []
        shares = [run.detector.shares for run in runs.values()]
        for at, (kind, run) in enumerate(runs.items()):
            began = read()
            found += _run_one(business, kind, run, frames, context, coverage, result)
            if release_unneeded(shares[at], shares[at + 1 :]):
                release_free_pages()  # what no later detector asks for: not under their peaks
            result.seconds[kind] = read() - began
        return found


def _run_one(
    business: str,
    kind: str,
    run: Run,
    frames: Mapping[RecordKind, pd.DataFrame],
    context: DetectionContext,
    coverage: Mapping[str, Coverage],
    result: DetectResult,
) -> list[Candidate]:
    """One detector's findings in scope; a failure is recorded, never raised."""
    try:
        found = in_scope(run, run.detector.detect(frames, context, coverage.get(kind)))
    except Exception as exc:  # one broken detector must never stop the others
        result.failed[kind] = redact(f"{type(exc).__name__}: {exc}")
        log.exception(
            "detector failed business=%s detector=%s action=detect_failed", business, kind
        )
        return []
    finally:
        release_free_pages()  # the detector's intermediate results, freed as it returned
    result.ran.append(kind)
    if kind in coverage:
        result.coverage[kind] = coverage[kind].to_json()
    if run.subjects is not None:
        result.scoped[kind] = len(run.subjects)
    log.info(
        "detector ran business=%s detector=%s action=detected findings=%d subjects=%s",
        business,
        kind,
        len(found),
        "all" if run.subjects is None else len(run.subjects),
    )
    if kind in coverage and not coverage[kind].checked:
        log.info(
            "detector not checked business=%s detector=%s action=not_checked reason=%s",
            business,
            kind,
            coverage[kind].reason,
        )
    return found
