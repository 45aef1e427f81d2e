"""The recommendation JSON contract: the one document ``scan --json``, files and reports share.

The shape is stable and documented in the README; change it only by adding keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from alignment.admin_time import activity_of
from alignment.goals import ResolvedGoal
from alignment.rank import Ranked

CONTRACT_VERSION = 1


def recommendation(item: Ranked, currency: str) -> dict[str, Any]:
    """One recommendation object of the contract."""
    candidate = item.candidate
    return {
        "id": item.id,
        "kind": candidate.kind,
        "category": candidate.category,
        "title": candidate.title,
        "summary": candidate.summary,
        "suggested_automation": candidate.suggested_automation,
        "subject": {
            "type": candidate.subject.type,
            "id": candidate.subject.id,
            "name": candidate.subject.name,
            "source_id": candidate.subject.source_id,
            "alt_ids": list(candidate.subject.alt_ids),
        },
        "sources": list(candidate.sources),
        "evidence": {
            "record_ids": list(candidate.record_ids),
            "count": candidate.count,
            "period": {
                "start": candidate.period_start.isoformat(),
                "end": candidate.period_end.isoformat(),
            },
            "metrics": {key: _number(value) for key, value in sorted(candidate.metrics.items())},
            "matches": [
                {"left": link.left, "right": link.right, "score": link.score, "method": link.method}
                for link in candidate.links
            ],
        },
        "impact": {
            "hours_saved_per_month": round(candidate.hours_saved_per_month, 2),
            "activity": activity_of(candidate.kind),
            "cash_impact": round(candidate.cash_impact_per_month, 2),
            "currency": currency,
        },
        "goals": [
            {
                "goal": goal.goal,
                "weight": goal.weight,
                "contribution": goal.contribution,
                "metric": goal.metric,
                "kpi_change": goal.delta,
                "unit": goal.unit,
                "share_of_goal": goal.share,
                **({"note": goal.note} if goal.note else {}),
                "kpis": [
                    {
                        "metric": part.metric,
                        "label": part.label,
                        "kpi_change": part.delta,
                        "unit": part.unit,
                        "share_of_goal": part.share,
                        "contribution": part.contribution,
                    }
                    for part in goal.kpis
                ],
            }
            for goal in item.goals
        ],
        "aligned": item.aligned,
        "score": item.score,
        "score_interval": {
            "low": item.score_low,
            "point": item.score_point,
            "high": item.score_high,
        },
        "rank": item.rank,
        "confidence": round(candidate.confidence, 3),
        "effort": {"effort": item.costs.effort, "risk": item.costs.risk, "what": item.costs.label},
        "stability": None
        if item.stability is None
        else {
            "next": item.stability.next_id,
            "goal": item.stability.goal,
            "weight_factor": item.stability.factor,
        },
        "feedback_factor": item.feedback_factor,
        "explanation": item.explanation,
    }


def goal_summary(goal: ResolvedGoal, baselines: Mapping[str, float]) -> dict[str, Any]:
    """A declared goal as the ranking read it: objective (and why), weight, KPI."""
    measured = goal.baseline is None and goal.kpi.metric in baselines
    return {
        "id": goal.id,
        "name": goal.name,
        "objective": goal.objective.value,
        "objective_from": "config" if goal.mapping.explicit else "text",
        "matched_words": list(goal.mapping.cues),
        "weight": round(goal.weight, 4),
        "kpi": {
            "metric": goal.kpi.metric,
            "label": goal.kpi.label,
            "baseline": goal.baseline
            if goal.baseline is not None
            else baselines.get(goal.kpi.metric),
            "baseline_from": "config"
            if goal.baseline is not None
            else ("data" if measured else None),
            "target": goal.target,
            "horizon_months": goal.horizon_months,
        },
    }


def document(
    *,
    business: str,
    business_name: str,
    currency: str,
    generated_at: datetime,
    ranked: Sequence[Ranked],
    goals: Sequence[ResolvedGoal] = (),
    baselines: Mapping[str, float] | None = None,
    alignment: Mapping[str, Any] | None = None,
    adopted: Sequence[Mapping[str, Any]] = (),
    coverage: Mapping[str, Mapping[str, Any]] | None = None,
    admin_time: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """The whole document: business, time, goals as read, and recommendations in rank order.

    ``detectors`` holds, per detector, its ``coverage``: the facts it needs from the data,
    the share of the relevant rows carrying each (overall and per source), the thresholds,
    whether it could check at all and, if not, why in plain words. ``not_checked`` lists the
    detectors that could not, with that reason, for readers who want only that.
    ``admin_time`` holds the hours a month each activity takes in the data (the bound on
    every recommendation's ``impact.hours_saved_per_month`` for that ``impact.activity``).
    """
    return {
        "business": business,
        "business_name": business_name,
        "currency": currency,
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "contract_version": CONTRACT_VERSION,
        "goals": [goal_summary(goal, baselines or {}) for goal in goals],
        "admin_time": {
            activity: round(hours, 2) for activity, hours in sorted((admin_time or {}).items())
        },
        "alignment": dict(alignment or {}),
        "recommendations": [recommendation(item, currency) for item in ranked],
        "adopted": [dict(item) for item in adopted],
        "detectors": {
            kind: {"coverage": dict(data)} for kind, data in sorted((coverage or {}).items())
        },
        "not_checked": [
            {"kind": kind, "reason": data.get("reason")}
            for kind, data in sorted((coverage or {}).items())
            if data.get("checked") is False
        ],
    }


def _number(value: float) -> float | int:
    number = float(value)
    return int(number) if number.is_integer() else round(number, 4)
