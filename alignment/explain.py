"""A ranked item's breakdown and its explanation in plain words.

An aligned item says which goals it serves and through which KPI changes ("'Get paid
faster' (−227 GBP/month of cash lost to late fees)"). An item that serves no declared
goal says what it would change and which goal would rank it ("it would cut 12 h/month of
admin; add a goal on owner time to rank it"), so "not aligned" is never a dead end.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from alignment.effects import CASH_AT_STAKE, CASH_SOURCES
from alignment.feedback import FeedbackSummary
from alignment.goals import ResolvedGoal
from alignment.kpis import KPIS, OBJECTIVE_WORDS, format_amount
from alignment.scoring import Costs, reference
from config.models import Objective
from detectors.base import Candidate

#: Effects named in a not-aligned explanation, the most substantial first.
MAX_EFFECTS_NAMED = 3
#: KPIs that restate another KPI's money: named only when that one is not.
RESTATES: Mapping[str, tuple[str, ...]] = {
    "billed_revenue_per_month": ("leakage_per_month",),
    CASH_AT_STAKE: ("late_fees_per_month", "leakage_per_month", "billed_revenue_per_month"),
}


@dataclass(frozen=True)
class KpiContribution:
    """One KPI's part in a goal's points: its change and the share of the goal it earns."""

    metric: str
    label: str
    delta: float | None
    unit: str
    share: float
    contribution: float


@dataclass(frozen=True)
class GoalContribution:
    """What one goal adds to a candidate's score, and the KPI changes behind it.

    ``metric``, ``delta``, ``unit`` and ``note`` are the goal's own KPI's; ``kpis`` lists
    every KPI that earned a share, with its part of ``contribution``.
    """

    goal: str
    goal_name: str
    weight: float
    contribution: float
    metric: str
    delta: float | None
    unit: str
    share: float
    note: str = ""
    kpis: tuple[KpiContribution, ...] = ()


@dataclass(frozen=True)
class Scale:
    """What a substantial change is, to order effects by size: hourly cost, cost of capital."""

    admin_hourly_cost: float = 30.0
    cost_of_capital: float = 0.10


def explain(
    candidate: Candidate,
    contributions: Sequence[GoalContribution],
    costs: Costs,
    factor: float = 1.0,
    feedback: FeedbackSummary | None = None,
    *,
    deltas: Mapping[str, float] | None = None,
    goals: Sequence[ResolvedGoal] = (),
    currency: str = "",
    scale: Scale | None = None,
) -> str:
    """One or two plain sentences: the goals served and the numbers behind them, or why none."""
    served = sorted((c for c in contributions if c.share > 0), key=lambda c: -c.contribution)
    period = f"{candidate.period_start:%b %Y} to {candidate.period_end:%b %Y}"
    evidence = f"Based on {candidate.count} records from {period}."
    if not served:
        met = [c.goal_name for c in contributions if c.note == "target already met"]
        reason = f" ('{met[0]}' is already on target)" if met else ""
        advice = not_aligned(candidate, deltas or {}, goals, currency, scale or Scale())
        return (
            f"Serves none of your declared goals{reason}, so it is listed but not ranked:"
            f" {advice} {evidence}"
        )
    parts = [f"'{c.goal_name}' ({_changes(candidate, c, currency)})" for c in served]
    sentence = f"Serves {join(parts)}; set-up is {costs.label}. {evidence}"
    if feedback is not None and factor != 1.0:
        direction = "higher" if factor > 1 else "lower"
        sentence += f" Ranked {direction} because of your feedback on {feedback.describe()}."
    return sentence


def _changes(candidate: Candidate, goal: GoalContribution, currency: str) -> str:
    kpis = [part for part in goal.kpis if part.share > 0] or [
        KpiContribution(goal.metric, "", goal.delta, goal.unit, goal.share, goal.contribution)
    ]
    return ", ".join(
        _change(candidate, part.metric, part.delta or 0.0, part.unit, currency) for part in kpis
    )


def _change(candidate: Candidate, metric: str, delta: float, unit: str, currency: str) -> str:
    kpi = KPIS.get(metric)
    words = format_amount(delta, unit, currency)
    if kpi is None:
        return words
    source = CASH_SOURCES.get(candidate.kind) if metric == CASH_AT_STAKE else None
    return f"{words} {kpi.noun}" + (f" to {source}" if source else "")


def not_aligned(
    candidate: Candidate,
    deltas: Mapping[str, float],
    goals: Sequence[ResolvedGoal],
    currency: str,
    scale: Scale,
) -> str:
    """What the item would change, and the goal that would rank it.

    Effects are named largest first (by the share of a goal each would earn); a goal is
    suggested for every objective they serve that no declared goal covers.
    """
    improving = {
        metric: delta
        for metric, delta in deltas.items()
        if metric in KPIS and (delta < 0) == (KPIS[metric].direction == "lower") and delta
    }
    if not improving:
        return "it changes none of the measures we track."

    def size(metric: str) -> float:
        ref = reference(metric, scale.admin_hourly_cost, scale.cost_of_capital)
        return 1.0 - math.exp(-abs(improving[metric]) / ref)

    ordered = sorted(improving, key=lambda metric: (-size(metric), metric))
    named = [
        metric
        for metric in ordered
        if not any(other in improving for other in RESTATES.get(metric, ()))
    ][:MAX_EFFECTS_NAMED]
    effects = [_would(candidate, metric, improving[metric], currency) for metric in named]
    counted = {kpi.metric for goal in goals for kpi in goal.kpis}
    needed: list[Objective] = []
    remeasure: list[str] = []
    for metric in ordered:
        if metric in counted:
            continue  # a goal counts it already: that goal's target is met
        objective = KPIS[metric].objective
        same = [goal for goal in goals if goal.objective == objective]
        if same:
            remeasure.append(f"measure '{same[0].name}' by {KPIS[metric].label} ({metric})")
        elif objective not in needed:
            needed.append(objective)
    advice = []
    if needed:
        words = join([OBJECTIVE_WORDS[objective] for objective in needed], "or")
        advice.append(f"add a goal on {words}")
    advice += remeasure[:1]
    sentence = f"it would {join(effects)}"
    if advice:
        return f"{sentence}; {join(advice, 'or')} to rank it."
    return f"{sentence}, but the goals that count it are already on target."


def _would(candidate: Candidate, metric: str, delta: float, currency: str) -> str:
    kpi = KPIS[metric]
    amount = format_amount(abs(delta), kpi.unit, currency).lstrip("+")
    text = kpi.would.format(amount=amount)
    if metric == CASH_AT_STAKE:
        text += f" to {CASH_SOURCES.get(candidate.kind, 'lost or unbilled money')}"
    return text


def join(parts: Sequence[str], word: str = "and") -> str:
    """The parts as a phrase: "a", "a and b", "a, b and c"."""
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + f" {word} " + parts[-1]
