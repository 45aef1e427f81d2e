"""Candidates and goals for alignment tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from alignment.goals import ResolvedGoal, resolve_goals
from config.models import AlignmentConfig, GoalConfig
from detectors.base import Candidate, Subject


def candidate(kind: str = "recurring_invoice", subject: str = "C1", **overrides: Any) -> Candidate:
    values: dict[str, Any] = {
        "kind": kind,
        "category": "bottleneck"
        if kind in ("slow_collection", "invoice_lag")
        else "repetitive_task",
        "subject": Subject(
            "business" if kind in ("slow_collection", "invoice_lag") else "customer",
            subject,
            f"Customer {subject}",
        ),
        "title": f"{kind} for {subject}",
        "summary": "",
        "suggested_automation": "",
        "record_ids": tuple(f"R{i}" for i in range(12)),
        "sources": ("books",),
        "period_start": date(2025, 11, 1),
        "period_end": date(2026, 10, 31),
        "hours_saved_per_month": 2.0,
        "cash_impact_per_month": 0.0,
        "confidence": 0.9,
        "metrics": {},
    }
    values.update(overrides)
    return Candidate(**values)


def goals(*specs: dict[str, Any], **alignment: Any) -> list[ResolvedGoal]:
    resolved, _ = resolve_goals(
        [GoalConfig(**spec) for spec in specs], AlignmentConfig(**alignment)
    )
    return resolved


CASH = {"id": "cash", "name": "Get paid faster", "objective": "cash_flow"}
TIME = {"id": "time", "name": "Less admin", "objective": "owner_time"}
REVENUE = {"id": "revenue", "name": "Bill every session", "objective": "revenue"}
