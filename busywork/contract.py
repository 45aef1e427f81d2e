"""The recommendation JSON contract: the one document ``scan --json``, files and reports share.

The shape is stable and documented in the README; change it only by adding keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

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
        },
        "impact": {
            "hours_saved_per_month": round(candidate.hours_saved_per_month, 2),
            "cash_impact": round(candidate.cash_impact_per_month, 2),
            "currency": currency,
        },
        "goals": [
            {"goal": goal.goal, "weight": goal.weight, "contribution": goal.contribution}
            for goal in item.goals
        ],
        "aligned": item.aligned,
        "score": item.score,
        "rank": item.rank,
        "confidence": round(candidate.confidence, 3),
        "explanation": item.explanation,
    }


def document(
    *,
    business: str,
    business_name: str,
    currency: str,
    generated_at: datetime,
    ranked: Sequence[Ranked],
) -> dict[str, Any]:
    """The whole document: business, time, and recommendations in rank order."""
    return {
        "business": business,
        "business_name": business_name,
        "currency": currency,
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "contract_version": CONTRACT_VERSION,
        "recommendations": [recommendation(item, currency) for item in ranked],
    }


def _number(value: float) -> float | int:
    number = float(value)
    return int(number) if number.is_integer() else round(number, 4)
