"""The steps after polling: detect (only what changed), then rank into the contract document."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy.engine import Connection, Engine

from alignment.admin_time import bound_hours
from alignment.adoption import SIGNALS, TEMPLATE_COLUMNS, assess_adoption, subject_key
from alignment.effects import Assumptions
from alignment.feedback import FeedbackSummary
from alignment.goals import resolve_goals
from alignment.rank import RankingSettings, rank
from busywork.contract import document
from busywork.delivery.feedback import feedback_day
from busywork.delivery.policy import channels, enqueue_immediate, items, open_findings
from busywork.logs import redact
from busywork.plan import Run, in_scope, load_for_detection, params_hash, plan_runs, scope_ids
from busywork.ranking_baselines import record_figures, with_findings
from busywork.store.coverage import save_coverage, stored_coverage
from busywork.store.events import advance_watermarks
from busywork.store.findings import (
    FindingChanges,
    adopted_findings,
    feedback_state,
    mark_adopted,
    open_candidates,
    resolved_candidates,
    upsert_findings,
)
from busywork.store.read import load_frames
from busywork.store.records import RecordKind
from config.default_goals import effective_goals
from config.models import WEEKDAYS, AppConfig
from detectors._coverage import Coverage, measure_pass
from detectors._shared import detection_pass
from detectors.base import (
    DEFAULT_MINUTES_PER_TASK,
    Candidate,
    DetectionContext,
    Detector,
    WorkingCalendar,
)
from detectors.registry import detector_classes

log = logging.getLogger(__name__)


def detection_context(config: AppConfig, as_of: datetime) -> DetectionContext:
    """What detectors may know about the business, from its config."""
    business = config.business
    hours = business.working_hours
    return DetectionContext(
        business=business.name,
        as_of=as_of,
        timezone=business.timezone,
        currency=business.currency,
        admin_hourly_cost=business.admin_hourly_cost,
        cost_of_capital=business.cost_of_capital,
        calendar=WorkingCalendar(
            weekdays=tuple(sorted(WEEKDAYS.index(day) for day in hours.days)),
            start=hours.start,
            end=hours.end,
            holidays=hours.holidays,
        ),
        minutes_per_task={**DEFAULT_MINUTES_PER_TASK, **business.minutes_per_task},
    )


def enabled_detectors(config: AppConfig) -> dict[str, Detector]:
    """Every registered detector not disabled in config, built with its configured parameters."""
    built: dict[str, Detector] = {}
    for kind, cls in detector_classes().items():
        settings = config.detectors.get(kind)
        if settings is not None and not settings.enabled:
            continue
        built[kind] = cls(**(settings.params if settings else {}))
    return built


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
    context = detection_context(config, as_of)
    candidates = _detect_pass(business, runs, frames, context, result)
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
    return result


def _detect_pass(
    business: str,
    runs: Mapping[str, Run],
    frames: Mapping[RecordKind, pd.DataFrame],
    context: DetectionContext,
    result: DetectResult,
) -> list[Candidate]:
    """Run ``runs`` on ``frames`` in one detection pass; what each did goes into ``result``.

    Coverage is measured once for the detectors that read the whole business; the
    detectors of the pass share what they derive alike (:mod:`detectors._shared`).
    """
    whole = [run.detector for run in runs.values() if run.subjects is None]
    with detection_pass():
        try:
            coverage = measure_pass(whole, frames, context)
        except Exception as exc:  # detectors then measure their own, and fail one by one
            log.warning(
                "coverage failed business=%s action=coverage_failed error=%s",
                business,
                redact(str(exc)),
            )
            coverage = {}
        return [
            found
            for kind, run in runs.items()
            for found in _run_one(business, kind, run, frames, context, coverage, result)
        ]


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


def check_adoption(
    engine: Engine, config: AppConfig, *, as_of: datetime, now: datetime
) -> list[str]:
    """Mark resolved findings adopted where the data now shows their subject automated.

    Every resolved finding is looked at again, so records or templates that arrive after
    the finding closed still count.
    """
    business = config.business.id
    pending = {
        finding_id: candidate
        for finding_id, candidate in resolved_candidates(engine, business, SIGNALS).items()
        if candidate.subject.id is not None
    }
    if not pending:
        return []
    context = detection_context(config, as_of)
    records = _subject_frames(engine, business, pending.values())
    templates = load_frames(engine, business, {RecordKind.RECURRING_TEMPLATE: TEMPLATE_COLUMNS})[
        RecordKind.RECURRING_TEMPLATE
    ]
    outcomes: dict[str, dict[str, Any]] = {}
    for finding_id, candidate in sorted(pending.items()):
        signal = SIGNALS[candidate.kind]
        frame = records[signal.record_kind]
        keys = subject_key(frame[signal.subject_column], signal.record_kind)
        adoption = assess_adoption(
            candidate, frame[keys == candidate.subject.id], context, templates
        )
        if adoption is not None:
            outcomes[finding_id] = adoption.to_json()
            log.info("finding adopted business=%s id=%s action=adopted", business, finding_id)
    if outcomes:
        mark_adopted(engine, business, outcomes, now)
    return sorted(outcomes)


def _subject_frames(
    engine: Engine, business: str, candidates: Iterable[Candidate]
) -> dict[RecordKind, pd.DataFrame]:
    """The records adoption reads, per record kind: only the subjects' where a column names them."""
    columns: dict[RecordKind, list[str]] = {}
    subjects: dict[RecordKind, tuple[str, set[str]]] = {}
    for candidate in candidates:
        signal = SIGNALS[candidate.kind]
        kind = signal.record_kind
        columns[kind] = list(dict.fromkeys([*columns.get(kind, []), *signal.columns]))
        if kind is not RecordKind.JOURNAL_ENTRY:  # journals match on normalised accounts
            subjects.setdefault(kind, (signal.subject_column, set()))[1].add(
                candidate.subject.id or ""
            )
    return load_frames(engine, business, columns, only=subjects)


def queue_immediate(
    engine: Engine, connection: Connection, config: AppConfig, *, now: datetime, as_of: datetime
) -> list[str]:
    """Queue deliveries of new or changed findings to ``immediate`` channels, in ``connection``."""
    if not channels(config):
        return []
    enabled = set(enabled_detectors(config))
    candidates, prints = open_findings(connection, config.business.id, enabled)
    ranked = recommendations(engine, config, generated_at=now, as_of=as_of, candidates=candidates)
    return enqueue_immediate(connection, config, items(ranked, prints), now, as_of=as_of)


def ranking_settings(config: AppConfig) -> RankingSettings:
    """The ranking settings a business's config asks for."""
    alignment, business = config.alignment, config.business
    return RankingSettings(
        method=alignment.method,
        rank_on=alignment.rank_on,
        effort_weight=alignment.effort_weight,
        risk_weight=alignment.risk_weight,
        assumptions=Assumptions(**alignment.assumptions.model_dump()),
        admin_hourly_cost=business.admin_hourly_cost,
        cost_of_capital=business.cost_of_capital,
        currency=business.currency,
    )


def recommendations(
    engine: Engine,
    config: AppConfig,
    *,
    generated_at: datetime,
    as_of: datetime | None = None,
    candidates: Sequence[Candidate] | None = None,
) -> dict[str, Any]:
    """Rank every open finding of enabled detectors into the contract document.

    ``candidates`` replaces the stored open findings (the delivery step passes those its
    own transaction sees).
    """
    business = config.business
    enabled = set(enabled_detectors(config))
    if candidates is None:
        candidates = [
            candidate
            for candidate in open_candidates(engine, business.id)
            if candidate.kind in enabled
        ]
    # Snoozes end on the scan's day (--as-of), not the wall clock's.
    state = feedback_state(
        engine, business.id, feedback_day(as_of or generated_at, business.timezone)
    )
    candidates = [c for c in candidates if c.stable_id(business.id) not in state.hidden]
    feedback = {
        kind: FeedbackSummary(kind, state.accepted.get(kind, 0), state.dismissed.get(kind, 0))
        for kind in set(state.accepted) | set(state.dismissed)
    }
    goals, consistency = resolve_goals(effective_goals(config), config.alignment)
    # Overdue receivables scale one customer's effect on business-wide DSO, and billing sets
    # how much lost cash weighs against collecting sooner, so both are always measured.
    missing = {goal.kpi.metric for goal in goals if goal.baseline is None} | {
        "overdue_receivables",
        "billed_revenue_per_month",
    }
    context = detection_context(config, as_of or generated_at)
    figures = record_figures(engine, business.id, missing, context)
    # No finding saves more hours than its activity takes in the data.
    measured_admin = figures.admin_time
    candidates = bound_hours(candidates, measured_admin)
    baselines = with_findings(figures, missing, context, candidates)
    ranked = rank(
        candidates,
        goals,
        business=business.id,
        settings=ranking_settings(config),
        baselines=baselines,
        feedback=feedback,
    )
    ranked = [
        item for item in ranked if item.score >= config.delivery.min_score or not item.aligned
    ]
    coverage = {
        kind: data for kind, data in stored_coverage(engine, business.id).items() if kind in enabled
    }
    return document(
        business=business.id,
        business_name=business.name,
        currency=business.currency,
        generated_at=generated_at,
        ranked=ranked,
        goals=goals,
        baselines=baselines,
        adopted=[
            {
                "id": finding_id,
                "kind": c.kind,
                "title": c.title,
                "subject": c.subject.name,
                **outcome,
            }
            for finding_id, c, outcome in adopted_findings(engine, business.id)
        ],
        alignment={
            "method": config.alignment.method,
            "rank_on": config.alignment.rank_on,
            "consistency_ratio": None if consistency is None else round(consistency, 3),
        },
        coverage=coverage,
        admin_time=measured_admin,
    )
