"""Ranking candidates against the business's goals: a weighted sum with its breakdown kept.

For each goal, a candidate's monthly effect in that goal's unit is mapped onto 0 to 1 with the
saturating curve ``1 - exp(-effect / reference)`` (references in :mod:`alignment.effects`), so
a score never depends on which other candidates happen to exist. The score is the
weight-normalised sum over goals, scaled to 0 to 100 and multiplied by the detector's
confidence. Candidates with no effect on any declared goal are ``aligned: false``.
Deterministic: ties break on the stable id.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from alignment.effects import OBJECTIVE_EFFECT, Effect, effects, reference
from config.models import GoalConfig
from detectors.base import Candidate


@dataclass(frozen=True)
class GoalContribution:
    """How much one goal contributed to a candidate's score, and the effect behind it."""

    goal: str
    goal_name: str
    weight: float
    contribution: float
    effect: Effect | None


@dataclass(frozen=True)
class Ranked:
    """A candidate with its score, rank and the breakdown that explains them."""

    id: str
    candidate: Candidate
    score: float
    rank: int | None
    aligned: bool
    goals: tuple[GoalContribution, ...]
    explanation: str


def rank(
    candidates: Sequence[Candidate],
    goals: Sequence[GoalConfig],
    *,
    business: str,
    currency: str,
    admin_hourly_cost: float = 30.0,
) -> list[Ranked]:
    """Score and order ``candidates``; aligned ones get ranks 1…n, the rest come after unranked."""
    measured = [effects(candidate, currency) for candidate in candidates]
    total_weight = sum(goal.weight for goal in goals) or 1.0
    scored: list[tuple[float, str, Candidate, tuple[GoalContribution, ...]]] = []
    for candidate, found in zip(candidates, measured, strict=True):
        breakdown = []
        for goal in goals:
            effect = found.get(OBJECTIVE_EFFECT[goal.objective])
            share = 0.0
            if effect is not None and effect.value > 0:
                share = 1.0 - math.exp(-effect.value / reference(effect.name, admin_hourly_cost))
            points = 100.0 * goal.weight / total_weight * share * candidate.confidence
            breakdown.append(
                GoalContribution(goal.id, goal.name, goal.weight, round(points, 2), effect)
            )
        score = round(sum(item.contribution for item in breakdown), 2)
        scored.append((score, candidate.stable_id(business), candidate, tuple(breakdown)))
    scored.sort(key=lambda item: (-item[0], item[1]))
    ranked: list[Ranked] = []
    next_rank = 1
    for score, rec_id, candidate, contributions in scored:
        aligned = any(item.contribution > 0 for item in contributions)
        ranked.append(
            Ranked(
                rec_id,
                candidate,
                score,
                next_rank if aligned else None,
                aligned,
                contributions,
                explain(candidate, contributions),
            )
        )
        next_rank += aligned
    return [item for item in ranked if item.aligned] + [item for item in ranked if not item.aligned]


def explain(candidate: Candidate, breakdown: Sequence[GoalContribution]) -> str:
    """One or two plain sentences: the goals served and the numbers behind them."""
    served = sorted(
        (item for item in breakdown if item.contribution > 0), key=lambda item: -item.contribution
    )
    period = f"{candidate.period_start:%b %Y} to {candidate.period_end:%b %Y}"
    evidence = f"Based on {candidate.count} records from {period}."
    if not served:
        return (
            f"Serves none of your declared goals, so it is listed but not recommended. {evidence}"
        )
    parts = [f"'{item.goal_name}' ({_effect_text(item.effect)})" for item in served if item.effect]
    return f"Serves {_join(parts)}. {evidence}"


def _effect_text(effect: Effect) -> str:
    labels = {
        "admin_hours": "{value:.1f} admin hours a month",
        "cash_sooner": "{value:,.0f} {unit} cost of slow cash",
        "revenue_recovered": "{value:,.0f} {unit} unbilled work",
        "cost_avoided": "{value:,.0f} {unit} avoidable cost",
        "errors_avoided": "{value:.1f} duplicate records a month",
        "customer_touchpoints": "{value:.1f} customer interactions a month",
        "manual_tasks": "{value:.1f} manual tasks a month",
    }
    return labels[effect.name].format(value=effect.value, unit=effect.unit)


def _join(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
