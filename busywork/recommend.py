"""Open findings ranked against the business's goals into the contract document."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection, Engine

from alignment.admin_time import bound_hours
from alignment.effects import Assumptions
from alignment.feedback import FeedbackSummary
from alignment.goals import resolve_goals
from alignment.rank import RankingSettings, rank
from busywork.configured import detection_context, enabled_detectors
from busywork.contract import document
from busywork.delivery.feedback import feedback_day
from busywork.delivery.policy import channels, enqueue_immediate, items, open_findings
from busywork.ranking_baselines import record_figures, with_findings
from busywork.store.coverage import stored_coverage
from busywork.store.findings import adopted_findings, feedback_state, open_candidates
from config.default_goals import effective_goals
from config.models import AppConfig
from detectors.base import Candidate


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
