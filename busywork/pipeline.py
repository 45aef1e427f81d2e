"""The steps after polling: detect (only what changed), then rank into the contract document."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection, Engine

from alignment.adoption import SIGNALS, assess_adoption
from alignment.baselines import BASELINE_COLUMNS, MEASURED, measure_baselines
from alignment.effects import Assumptions
from alignment.feedback import FeedbackSummary
from alignment.goals import resolve_goals
from alignment.rank import RankingSettings, rank
from busywork.contract import document
from busywork.delivery.policy import channels, enqueue_immediate, items, open_findings
from busywork.logs import redact
from busywork.store.events import Watermark, advance_watermarks, latest_event_ids, watermarks
from busywork.store.findings import (
    FindingChanges,
    adopted_findings,
    feedback_state,
    mark_adopted,
    open_candidates,
    stored_candidates,
    upsert_findings,
)
from busywork.store.read import load_frames
from busywork.store.records import RecordKind
from busywork.store.subjects import subject_records
from config.models import WEEKDAYS, AppConfig
from detectors.base import (
    DEFAULT_MINUTES_PER_TASK,
    Candidate,
    DetectionContext,
    Detector,
    WorkingCalendar,
)
from detectors.registry import detector_classes

log = logging.getLogger(__name__)
#: Detectors re-run at least this often, even when no record changed.
REDETECT_AFTER = timedelta(days=1)


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


def params_hash(detector: Detector) -> str:
    """A short hash of the detector's parameters."""
    text = json.dumps(detector.get_params(), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _is_due(
    detector: Detector, mark: Watermark | None, latest: dict[str, int], now: datetime
) -> bool:
    if mark is None or mark.params_hash != params_hash(detector):
        return True
    if mark.ran_at is None or now - mark.ran_at >= REDETECT_AFTER:
        return True  # findings age even without new records (a series stops, debts grow)
    return any(latest.get(record.value, 0) > mark.last_event_id for record in detector.requires())


def detect(
    engine: Engine, config: AppConfig, *, as_of: datetime, now: datetime, force: bool = False
) -> DetectResult:
    """Run the detectors that are due: new events on their inputs, new parameters, or a day old.

    With ``force`` every enabled detector runs.
    """
    business = config.business.id
    detectors = enabled_detectors(config)
    latest = latest_event_ids(engine, business)
    marks = watermarks(engine, business)
    newest = max(latest.values(), default=0)
    due = {
        kind: detector
        for kind, detector in detectors.items()
        if force or _is_due(detector, marks.get(kind), latest, now)
    }
    result = DetectResult()
    if not due:
        return result
    columns: dict[RecordKind, set[str]] = {}
    for detector in due.values():
        for record_kind, wanted in detector.input_columns().items():
            columns.setdefault(record_kind, set()).update(wanted)
    frames = load_frames(engine, business, {kind: sorted(names) for kind, names in columns.items()})
    context = detection_context(config, as_of)
    candidates: list[Candidate] = []
    for kind, detector in due.items():
        try:
            found = detector.detect(frames, context)
        except Exception as exc:  # one broken detector must never stop the others
            result.failed[kind] = redact(f"{type(exc).__name__}: {exc}")
            log.exception(
                "detector failed business=%s detector=%s action=detect_failed", business, kind
            )
            continue
        candidates += found
        result.ran.append(kind)
        log.info(
            "detector ran business=%s detector=%s action=detected findings=%d",
            business,
            kind,
            len(found),
        )
    with engine.begin() as connection:
        result.changes = upsert_findings(connection, business, result.ran, candidates, now)
        advance_watermarks(
            connection, business, {kind: params_hash(due[kind]) for kind in result.ran}, newest, now
        )
        if result.changes.new or result.changes.changed:
            # In the transaction that changed the findings: committed together or not at all.
            queue_immediate(engine, connection, config, now=now, as_of=as_of)
    if result.changes.resolved:
        result.adopted = check_adoption(
            engine, config, result.changes.resolved, as_of=as_of, now=now
        )
    return result


def check_adoption(
    engine: Engine, config: AppConfig, resolved: list[str], *, as_of: datetime, now: datetime
) -> list[str]:
    """Mark resolved findings whose subject's records now come from an automation as adopted."""
    business = config.business.id
    context = detection_context(config, as_of)
    outcomes: dict[str, dict[str, Any]] = {}
    for finding_id, candidate in stored_candidates(engine, business, resolved).items():
        signal = SIGNALS.get(candidate.kind)
        if signal is None or candidate.subject.id is None:
            continue
        records = subject_records(
            engine,
            business,
            signal.record_kind,
            signal.subject_column,
            candidate.subject.id,
            [signal.date_column],
        )
        adoption = assess_adoption(candidate, records, context)
        if adoption is not None:
            outcomes[finding_id] = adoption.to_json()
            log.info("finding adopted business=%s id=%s action=adopted", business, finding_id)
    if outcomes:
        mark_adopted(engine, business, outcomes, now)
    return sorted(outcomes)


def queue_immediate(
    engine: Engine, connection: Connection, config: AppConfig, *, now: datetime, as_of: datetime
) -> list[str]:
    """Queue deliveries of new or changed findings to ``immediate`` channels, in ``connection``."""
    if not channels(config):
        return []
    enabled = set(enabled_detectors(config))
    candidates, prints = open_findings(connection, config.business.id, enabled)
    ranked = recommendations(engine, config, generated_at=now, as_of=as_of, candidates=candidates)
    return enqueue_immediate(connection, config, items(ranked, prints), now)


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
    state = feedback_state(engine, business.id, generated_at.date())
    candidates = [c for c in candidates if c.stable_id(business.id) not in state.hidden]
    feedback = {
        kind: FeedbackSummary(kind, state.accepted.get(kind, 0), state.dismissed.get(kind, 0))
        for kind in set(state.accepted) | set(state.dismissed)
    }
    goals, consistency = resolve_goals(config.goals, config.alignment)
    # Overdue receivables scale one customer's effect on business-wide DSO, so always measure it.
    missing = {goal.kpi.metric for goal in goals if goal.baseline is None} | {"overdue_receivables"}
    frames = load_frames(engine, business.id, BASELINE_COLUMNS) if missing & set(MEASURED) else {}
    context = detection_context(config, as_of or generated_at)
    baselines = measure_baselines(missing, frames, context, candidates)
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
    )
