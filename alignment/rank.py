"""Ranking candidates against the goals: scores with intervals, breakdowns and stability.

``rank`` is a pure function: candidates, resolved goals, settings and measured baselines
in; ranked items out, each keeping everything that explains its place (the KPI change per
goal, the share of the goal it earns, effort and risk, the score's interval, how far the
weights would have to move for it to lose its place). Input order never matters (candidates
are sorted by stable id first) and ties break on the id.

Uncertainty: a candidate's effects are scaled by ``exp(∓1.28 σ)`` with
``σ = (1 - confidence) + 1/√count``, giving the 10th and 90th percentiles of a log-normal
error on the effect; with ``rank_on: conservative`` the ranking uses the low end, so a
thinly evidenced item does not jump the queue.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from alignment.effects import CASH_AT_STAKE, Assumptions, kpi_deltas
from alignment.explain import GoalContribution, KpiContribution, Scale, explain
from alignment.feedback import FeedbackSummary, feedback_factor
from alignment.goals import ResolvedGoal
from alignment.scoring import (
    DEFAULT_COSTS,
    KIND_COSTS,
    Costs,
    GoalShare,
    aggregate,
    cash_reference,
    goal_share,
)
from config.models import Objective
from detectors.base import Candidate

Z_90 = 1.2816
#: The widest weight change searched when measuring a rank's stability.
MAX_WEIGHT_FACTOR = 10.0


@dataclass(frozen=True)
class RankingSettings:
    """Everything besides candidates and goals that decides the ranking."""

    method: str = "weighted_sum"
    rank_on: str = "conservative"
    effort_weight: float = 0.3
    risk_weight: float = 0.2
    assumptions: Assumptions = field(default_factory=Assumptions)
    admin_hourly_cost: float = 30.0
    cost_of_capital: float = 0.10
    currency: str = "USD"


@dataclass(frozen=True)
class Stability:
    """The smallest single-goal weight change that would cost an item its place.

    ``factor`` multiplies the weight of ``goal``; None means no change up to
    ×/÷ :data:`MAX_WEIGHT_FACTOR` of any one goal's weight moves it below ``next_id``.
    """

    next_id: str
    goal: str | None
    factor: float | None


@dataclass(frozen=True)
class Ranked:
    """A candidate with its score, rank and the breakdown that explains them."""

    id: str
    candidate: Candidate
    score: float
    score_point: float
    score_low: float
    score_high: float
    rank: int | None
    aligned: bool
    goals: tuple[GoalContribution, ...]
    costs: Costs
    feedback_factor: float
    stability: Stability | None
    explanation: str


def rank(
    candidates: Sequence[Candidate],
    goals: Sequence[ResolvedGoal],
    *,
    business: str,
    settings: RankingSettings | None = None,
    baselines: Mapping[str, float] | None = None,
    feedback: Mapping[str, FeedbackSummary] | None = None,
) -> list[Ranked]:
    """Score and order ``candidates``; aligned ones get ranks 1…n, the rest follow unranked."""
    settings = settings or RankingSettings()
    baselines = baselines or {}
    ordered = sorted(candidates, key=lambda candidate: candidate.stable_id(business))
    ids = [candidate.stable_id(business) for candidate in ordered]
    weights = np.array([goal.weight for goal in goals], dtype=float)
    costs = [KIND_COSTS.get(candidate.kind, DEFAULT_COSTS) for candidate in ordered]
    factors = np.array(
        [feedback_factor((feedback or {}).get(c.kind)) for c in ordered], dtype=float
    )
    deltas = [kpi_deltas(candidate, settings.assumptions, baselines) for candidate in ordered]
    spread = [_sigma(candidate) for candidate in ordered]

    def shares_at(scale: Sequence[float]) -> tuple[np.ndarray, list[list[GoalShare]]]:
        table = [
            [
                goal_share(
                    goal,
                    {k: v * scale[i] for k, v in deltas[i].items()},
                    _baseline(goal, baselines),
                    admin_hourly_cost=settings.admin_hourly_cost,
                    cost_of_capital=settings.cost_of_capital,
                    scales=_scales(goal, baselines),
                )
                for goal in goals
            ]
            for i in range(len(ordered))
        ]
        matrix = np.array([[item.share for item in row] for row in table], dtype=float).reshape(
            len(ordered), len(goals)
        )
        return matrix, table

    def scores(matrix: np.ndarray, goal_weights: np.ndarray) -> np.ndarray:
        raw = aggregate(
            settings.method,
            matrix,
            goal_weights,
            costs,
            effort_weight=settings.effort_weight,
            risk_weight=settings.risk_weight,
        )
        rounded: np.ndarray = np.round(raw * factors, 2)
        return rounded

    point_matrix, table = shares_at([1.0] * len(ordered))
    low_matrix, _ = shares_at([math.exp(-Z_90 * s) for s in spread])
    high_matrix, _ = shares_at([math.exp(Z_90 * s) for s in spread])
    point, low, high = (
        scores(point_matrix, weights),
        scores(low_matrix, weights),
        scores(high_matrix, weights),
    )
    key_matrix = low_matrix if settings.rank_on == "conservative" else point_matrix
    keys = low if settings.rank_on == "conservative" else point
    aligned = point_matrix.sum(axis=1) > 0 if len(goals) else np.zeros(len(ordered), dtype=bool)
    order = sorted(range(len(ordered)), key=lambda i: (not aligned[i], -keys[i], ids[i]))
    aligned_order = [i for i in order if aligned[i]]
    stability = _stability(aligned_order, ids, lambda w: scores(key_matrix, w), weights, goals)
    ranked: list[Ranked] = []
    for position, i in enumerate(order):
        contributions = _contributions(
            table[i], weights, point[i], point_matrix[i], settings.currency
        )
        ranked.append(
            Ranked(
                id=ids[i],
                candidate=ordered[i],
                score=float(keys[i]),
                score_point=float(point[i]),
                score_low=float(low[i]),
                score_high=float(high[i]),
                rank=position + 1 if aligned[i] else None,
                aligned=bool(aligned[i]),
                goals=contributions,
                costs=costs[i],
                feedback_factor=float(factors[i]),
                stability=stability.get(i),
                explanation=explain(
                    ordered[i],
                    contributions,
                    costs[i],
                    float(factors[i]),
                    (feedback or {}).get(ordered[i].kind),
                    deltas=deltas[i],
                    goals=goals,
                    currency=settings.currency,
                    scale=Scale(settings.admin_hourly_cost, settings.cost_of_capital),
                ),
            )
        )
    return ranked


def _baseline(goal: ResolvedGoal, measured: Mapping[str, float]) -> float | None:
    return goal.baseline if goal.baseline is not None else measured.get(goal.kpi.metric)


def _scales(goal: ResolvedGoal, measured: Mapping[str, float]) -> dict[str, float]:
    """References that depend on the business: cash lost, against its own billing."""
    if goal.objective is not Objective.CASH_FLOW:
        return {}
    size = cash_reference(measured.get("billed_revenue_per_month"), goal.horizon_months)
    return {CASH_AT_STAKE: size} if size else {}


def _sigma(candidate: Candidate) -> float:
    return (1.0 - min(max(candidate.confidence, 0.0), 1.0)) + 1.0 / math.sqrt(
        max(candidate.count, 1)
    )


def _contributions(
    row: Sequence[GoalShare], weights: np.ndarray, score: float, shares: np.ndarray, currency: str
) -> tuple[GoalContribution, ...]:
    # Points per goal are the score split in proportion to weight × share, so they add up;
    # a goal's points are split between its KPIs in proportion to their shares.
    parts = weights * shares
    total = float(parts.sum())
    points = [float(score) * float(parts[g]) / total if total > 0 else 0.0 for g in range(len(row))]
    return tuple(
        GoalContribution(
            goal=item.goal.id,
            goal_name=item.goal.name,
            weight=round(float(weights[g]), 4),
            contribution=round(points[g], 2),
            metric=item.goal.kpi.metric,
            delta=None if item.delta is None else round(item.delta, 2),
            unit=item.goal.kpi.unit.replace("{cur}", currency),
            share=round(item.share, 4),
            note=item.note,
            kpis=_kpi_contributions(item, points[g], currency),
        )
        for g, item in enumerate(row)
    )


def _kpi_contributions(
    item: GoalShare, points: float, currency: str
) -> tuple[KpiContribution, ...]:
    total = sum(part.share for part in item.parts)
    return tuple(
        KpiContribution(
            metric=part.kpi.metric,
            label=part.kpi.label,
            delta=round(part.delta, 2),
            unit=part.kpi.unit.replace("{cur}", currency),
            share=round(part.share, 4),
            contribution=round(points * part.share / total, 2) if total > 0 else 0.0,
        )
        for part in item.parts
        if part.delta is not None
    )


def _stability(
    aligned_order: Sequence[int],
    ids: Sequence[str],
    score_with: Callable[[np.ndarray], np.ndarray],
    weights: np.ndarray,
    goals: Sequence[ResolvedGoal],
) -> dict[int, Stability]:
    found: dict[int, Stability] = {}
    for here, below in itertools.pairwise(aligned_order):
        best: tuple[float, str, float] | None = None
        for g, goal in enumerate(goals):
            factor = _flip_factor(here, below, g, score_with, weights)
            if factor is not None and (best is None or abs(math.log(factor)) < best[0]):
                best = (abs(math.log(factor)), goal.id, factor)
        found[here] = Stability(
            ids[below], best[1] if best else None, round(best[2], 2) if best else None
        )
    return found


def _flip_factor(
    here: int,
    below: int,
    goal: int,
    score_with: Callable[[np.ndarray], np.ndarray],
    weights: np.ndarray,
) -> float | None:
    """The weight factor on ``goal`` closest to 1 at which ``below`` overtakes ``here``."""

    def margin(log_factor: float) -> float:
        changed = weights.copy()
        changed[goal] *= math.exp(log_factor)
        scores = score_with(changed / changed.sum())
        return float(scores[here] - scores[below])

    candidates = []
    for edge in (math.log(MAX_WEIGHT_FACTOR), -math.log(MAX_WEIGHT_FACTOR)):
        if margin(edge) >= 0:
            continue
        inside, outside = 0.0, edge
        for _ in range(30):
            middle = (inside + outside) / 2
            inside, outside = (middle, outside) if margin(middle) >= 0 else (inside, middle)
        candidates.append(math.exp(outside))
    return min(candidates, key=lambda f: abs(math.log(f))) if candidates else None
