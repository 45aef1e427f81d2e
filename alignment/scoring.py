"""Turning KPI deltas into scores: shares of each goal's gap, costs, and two aggregations.

For a goal with a baseline and a target, a candidate's share is its improvement divided by
the gap still to close (capped at 1; a met target leaves nothing to gain). For a goal
without a target, the share saturates: ``1 - exp(-improvement / reference)``, where the
reference is what counts as a substantial change of that KPI (:data:`REFERENCES`).
A goal counts its own KPI (the one its target is in) and the other KPIs of its objective
(a cash goal: DSO and cash lost a month); their shares combine as 1 - Π(1 - share).

* ``weighted_sum``: benefit = Σ weight × share; score = 100 × benefit × (1 - cost), with
  cost = effort_weight × effort + risk_weight × risk.
* ``topsis``: each candidate is a point in goal space (its share of each goal); its
  closeness is its distance to the anti-ideal point (worst share on every goal) relative to
  its distances to the ideal and anti-ideal points, in weighted, vector-normalised units;
  score = 100 × closeness × (1 - cost). Costs multiply rather than enter as criteria, so a
  cheap automation that achieves little never outranks one that achieves a lot.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from alignment.goals import ResolvedGoal
from alignment.kpis import Kpi

#: Improvement of a KPI that earns about 63 % (1 - 1/e) of a goal without a target.
#: Money references are in admin-hour equivalents (× admin_hourly_cost) at score time.
REFERENCES: Mapping[str, float] = {
    "admin_hours_per_month": 4.0,
    "manual_tasks_per_month": 4.0,
    "duplicates_per_month": 2.0,
    "dso_days": 10.0,
    "time_to_invoice_days": 3.0,
    "no_show_rate": 5.0,
}
MONEY_REFERENCE_HOURS = 4.0
#: Days in an average month, to turn monthly billing into billing per day.
DAYS_PER_MONTH = 30.44
#: A stock of cash (overdue receivables) is compared through what it costs per month.
STOCK_METRICS = frozenset({"overdue_receivables"})


@dataclass(frozen=True)
class Costs:
    """Set-up effort and risk of an automation, both 0-1, and what the effort is."""

    effort: float
    risk: float
    label: str


#: Effort and risk per kind: a switch in a tool the business has, some configuration, or a
#: new integration.
KIND_COSTS: Mapping[str, Costs] = {
    "recurring_invoice": Costs(0.1, 0.05, "a setting in your accounting tool"),
    "payment_reminders": Costs(0.1, 0.1, "a setting in your accounting tool"),
    "recurring_bill": Costs(0.15, 0.05, "a setting in your accounting tool"),
    "recurring_journal_entry": Costs(0.15, 0.1, "a setting in your accounting tool"),
    "slow_collection": Costs(0.3, 0.1, "reminders and payment links to configure"),
    "no_show_reminders": Costs(0.15, 0.05, "a setting in your booking tool"),
    "manual_scheduling": Costs(0.2, 0.1, "a recurring series or a booking link"),
    "approval_backlog": Costs(0.35, 0.15, "approval rules to set up"),
    "appointment_to_invoice": Costs(0.5, 0.15, "a new integration between calendar and books"),
    "duplicate_entry": Costs(0.5, 0.2, "a new integration between two systems"),
    "invoice_lag": Costs(0.4, 0.1, "an integration or a change of routine"),
    "calendar_overload": Costs(0.5, 0.2, "a change of routine"),
    "month_end_crunch": Costs(0.4, 0.1, "a change of routine"),
}
DEFAULT_COSTS = Costs(0.4, 0.15, "a new automation")


@dataclass(frozen=True)
class KpiShare:
    """One KPI's part in a goal: its change and the share of the goal that change earns."""

    kpi: Kpi
    delta: float | None
    share: float
    note: str = ""


@dataclass(frozen=True)
class GoalShare:
    """One goal's view of one candidate: the KPI changes and the share of the goal they earn.

    ``delta`` and ``note`` are the goal's own KPI's; ``parts`` hold every KPI that counts
    (own first), and ``share`` combines them: 1 − Π(1 − part share).
    """

    goal: ResolvedGoal
    delta: float | None
    share: float
    note: str
    parts: tuple[KpiShare, ...] = ()


def reference(metric: str, admin_hourly_cost: float, cost_of_capital: float) -> float:
    """The size of improvement of ``metric`` that counts as substantial."""
    if metric in REFERENCES:
        return REFERENCES[metric]
    monthly_money = MONEY_REFERENCE_HOURS * max(admin_hourly_cost, 1.0)
    if metric in STOCK_METRICS:
        return monthly_money * 12 / max(cost_of_capital, 0.01)
    return monthly_money


def cash_reference(billed_per_month: float | None, horizon_months: int) -> float | None:
    """The cash lost a month that matters to a cash goal as much as collecting sooner does.

    Collecting :data:`REFERENCES` ``["dso_days"]`` days sooner brings that many days of
    billing in once; a monthly loss of the returned amount adds up to the same cash over the
    goal's horizon. None when the business's billing is unknown.
    """
    if not billed_per_month or billed_per_month <= 0:
        return None
    freed = REFERENCES["dso_days"] * billed_per_month / DAYS_PER_MONTH
    return freed / max(horizon_months, 1)


def kpi_share(
    kpi: Kpi,
    delta: float | None,
    *,
    baseline: float | None,
    target: float | None,
    admin_hourly_cost: float,
    cost_of_capital: float,
    scale: float | None = None,
) -> KpiShare:
    """How much of a goal measured by ``kpi`` the change ``delta`` earns (0-1).

    ``scale`` replaces the KPI's reference (see :func:`reference`) when given.
    """
    if delta is None:
        return KpiShare(kpi, None, 0.0)
    improvement = -delta if kpi.direction == "lower" else delta
    if improvement <= 0:
        return KpiShare(kpi, delta, 0.0, "moves this KPI the wrong way")
    if target is not None and baseline is not None:
        gap = kpi.improvement(baseline, target)
        if gap <= 0:
            return KpiShare(kpi, delta, 0.0, "target already met")
        return KpiShare(kpi, delta, min(improvement / gap, 1.0))
    size = scale or reference(kpi.metric, admin_hourly_cost, cost_of_capital)
    return KpiShare(kpi, delta, 1.0 - math.exp(-improvement / size))


def goal_share(
    goal: ResolvedGoal,
    deltas: Mapping[str, float],
    baseline: float | None,
    *,
    admin_hourly_cost: float,
    cost_of_capital: float,
    scales: Mapping[str, float] | None = None,
) -> GoalShare:
    """How much of ``goal`` the KPI ``deltas`` achieve (0-1), over every KPI it counts.

    The goal's own KPI is measured against its target when it has one; the other KPIs of
    its objective (:func:`alignment.kpis.goal_kpis`) have no target and saturate.
    ``scales`` overrides the reference of some metrics for this goal.
    """
    scales = scales or {}
    own, *others = goal.kpis
    parts = [
        kpi_share(
            own,
            deltas.get(own.metric),
            baseline=baseline,
            target=goal.target,
            admin_hourly_cost=admin_hourly_cost,
            cost_of_capital=cost_of_capital,
            scale=scales.get(own.metric),
        ),
        *(
            kpi_share(
                kpi,
                deltas.get(kpi.metric),
                baseline=None,
                target=None,
                admin_hourly_cost=admin_hourly_cost,
                cost_of_capital=cost_of_capital,
                scale=scales.get(kpi.metric),
            )
            for kpi in others
        ),
    ]
    # Shares of separate effects combine like independent chances: never above 1, and
    # close to their sum while they are small.
    share = 1.0 - math.prod(1.0 - part.share for part in parts)
    return GoalShare(goal, parts[0].delta, share, parts[0].note, tuple(parts))


def weighted_sum(shares: np.ndarray, weights: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """100 × Σ weight × share × (1 - cost), one score per row of ``shares``."""
    if shares.size == 0:
        return np.zeros(shares.shape[0])
    scores: np.ndarray = 100.0 * (shares @ weights) * (1.0 - cost)
    return scores


def topsis(shares: np.ndarray, weights: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """100 × TOPSIS closeness in goal space × (1 - cost), one score per row."""
    n = shares.shape[0]
    if n == 0 or shares.shape[1] == 0:
        return np.zeros(n)
    norms = np.linalg.norm(shares, axis=0)
    weighted = np.divide(shares, norms, out=np.zeros_like(shares), where=norms > 0) * weights
    to_best = np.linalg.norm(weighted - weighted.max(axis=0), axis=1)
    to_worst = np.linalg.norm(weighted - weighted.min(axis=0), axis=1)
    total = to_best + to_worst
    closeness = np.divide(to_worst, total, out=np.full(n, 0.5), where=total > 0)
    # A candidate that earns nothing on any goal is worth nothing, however cheap it is.
    closeness = np.where(shares.sum(axis=1) > 0, closeness, 0.0)
    return 100.0 * closeness * (1.0 - cost)


def aggregate(
    method: str,
    shares: np.ndarray,
    weights: np.ndarray,
    costs: Sequence[Costs],
    *,
    effort_weight: float,
    risk_weight: float,
) -> np.ndarray:
    """Scores (0-100) for the rows of ``shares`` with the chosen ``method``."""
    effort = np.array([cost.effort for cost in costs], dtype=float)
    risk = np.array([cost.risk for cost in costs], dtype=float)
    total_cost = effort_weight * effort + risk_weight * risk
    if method == "topsis":
        return topsis(shares, weights, total_cost)
    return weighted_sum(shares, weights, total_cost)
