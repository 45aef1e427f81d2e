"""Goals as the ranking uses them: objectives read from free text, weights from priorities.

* **Free text.** A goal without an ``objective`` is mapped from its name and description
  with a small lexicon: each objective has cue words (stems), each cue found adds its weight,
  and the objective with the highest total wins. No cue, or a tie, is a configuration error
  asking for an explicit objective. The mapping and the cues that decided it are shown.
* **Weights.** Explicit weights are normalised to sum to 1. A priority order
  (``alignment.priority``) becomes rank-order-centroid weights, the standard way to turn a
  ranking into weights (w_i = 1/n · Σ_{k≥i} 1/k). Pairwise judgements
  (``alignment.pairwise``) become the principal eigenvector of the comparison matrix (AHP),
  with its consistency ratio reported. With none of these, goals weigh the same.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from alignment.kpis import KPIS, Kpi, goal_kpis, kpi_for
from busywork.errors import ConfigError
from config.models import AlignmentConfig, Comparison, GoalConfig, Objective

#: Cue stems per objective and how strongly each one points there.
LEXICON: Mapping[Objective, Mapping[str, float]] = {
    Objective.CASH_FLOW: {
        "paid": 2,
        "pay": 1.5,
        "cash": 2,
        "collect": 2,
        "debtor": 2,
        "receivabl": 2,
        "late payer": 2,
        "overdu": 2,
        "dso": 3,
        "chase": 1.5,
        "get paid": 3,
        "owed": 2,
    },
    Objective.OWNER_TIME: {
        "paperwork": 2.5,
        "admin": 2,
        "time": 1,
        "hour": 1.5,
        "weekend": 2,
        "sunday": 2,
        "saturday": 2,
        "evening": 2,
        "night": 1.5,
        "manual": 1.5,
        "busywork": 2,
        "typing": 1.5,
        "data entry": 2,
        "holiday": 1,
        "myself": 1,
        "free up": 2,
    },
    Objective.REVENUE: {
        "revenue": 3,
        "sales": 2,
        "income": 2,
        "unbill": 3,
        "bill every": 2.5,
        "leak": 2.5,
        "earn": 1.5,
        "turnover": 2,
        "grow": 1,
        "miss": 1,
    },
    Objective.CUSTOMER_EXPERIENCE: {
        "customer": 1.5,
        "client": 1.5,
        "no-show": 3,
        "no show": 3,
        "experience": 2,
        "satisf": 2,
        "respons": 1.5,
        "review": 1,
        "wait": 1,
        "faster invoic": 2,
    },
    Objective.COST: {
        "cost": 2.5,
        "fee": 2,
        "spend": 2,
        "expens": 2,
        "save money": 3,
        "overhead": 2,
        "cheaper": 2,
        "penalt": 2,
        "waste": 1.5,
    },
    Objective.ERROR_REDUCTION: {
        "error": 3,
        "mistake": 3,
        "duplicat": 3,
        "accura": 2.5,
        "typo": 2.5,
        "correct": 1.5,
        "wrong": 2,
        "double": 1.5,
    },
    Objective.SCALABILITY: {
        "scale": 3,
        "without hiring": 3,
        "more client": 2,
        "capacity": 2,
        "grow the business": 2,
        "expand": 2,
        "bigger": 1.5,
        "second location": 2,
    },
}
#: Random consistency index for AHP matrices of size n (Saaty).
RANDOM_INDEX = {
    1: 0.0,
    2: 0.0,
    3: 0.58,
    4: 0.90,
    5: 1.12,
    6: 1.24,
    7: 1.32,
    8: 1.41,
    9: 1.45,
    10: 1.49,
}


@dataclass(frozen=True)
class ObjectiveMapping:
    """How a free-text goal was read: the objective chosen and the cues behind it."""

    objective: Objective
    cues: tuple[str, ...]
    explicit: bool


@dataclass(frozen=True)
class ResolvedGoal:
    """A goal ready for scoring: objective, normalised weight and KPI."""

    id: str
    name: str
    objective: Objective
    weight: float
    kpi: Kpi
    baseline: float | None
    target: float | None
    horizon_months: int
    mapping: ObjectiveMapping

    @property
    def kpis(self) -> tuple[Kpi, ...]:
        """Every KPI that counts toward the goal: its own (the target's) first."""
        return goal_kpis(self.objective, self.kpi)


def map_objective(text: str) -> tuple[Objective | None, tuple[str, ...]]:
    """The objective ``text`` most plausibly means and the cues found (None if unclear)."""
    lowered = " " + re.sub(r"[^a-z0-9 -]+", " ", text.lower()) + " "
    totals: dict[Objective, float] = {}
    found: dict[Objective, list[str]] = {}
    for objective, cues in LEXICON.items():
        for cue, weight in cues.items():
            if re.search(r"(?<![a-z])" + re.escape(cue), lowered):
                totals[objective] = totals.get(objective, 0.0) + weight
                found.setdefault(objective, []).append(cue)
    if not totals:
        return None, ()
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None, tuple(sorted(cue for objective, _ in ranked[:2] for cue in found[objective]))
    best = ranked[0][0]
    return best, tuple(found[best])


def goal_weights(
    goals: Sequence[GoalConfig], alignment: AlignmentConfig
) -> tuple[dict[str, float], float | None]:
    """Normalised weights by goal id, and the AHP consistency ratio when pairwise was used."""
    ids = [goal.id for goal in goals]
    if not ids:
        return {}, None
    if all(goal.weight is not None for goal in goals):
        total = sum(goal.weight or 0.0 for goal in goals)
        return {goal.id: (goal.weight or 0.0) / total for goal in goals}, None
    if alignment.priority:
        return _rank_order_centroid(ids, alignment.priority), None
    if alignment.pairwise:
        return _ahp(ids, alignment.pairwise)
    return {goal_id: 1.0 / len(ids) for goal_id in ids}, None


def _rank_order_centroid(ids: Sequence[str], priority: Sequence[str]) -> dict[str, float]:
    # Goals missing from the order share the last places.
    order = list(dict.fromkeys(priority)) + [goal_id for goal_id in ids if goal_id not in priority]
    n = len(order)
    weights = {
        goal_id: sum(1.0 / k for k in range(i + 1, n + 1)) / n for i, goal_id in enumerate(order)
    }
    return {goal_id: weights[goal_id] for goal_id in ids}


def _ahp(
    ids: Sequence[str], comparisons: Sequence[Comparison]
) -> tuple[dict[str, float], float | None]:
    index = {goal_id: i for i, goal_id in enumerate(ids)}
    matrix = np.ones((len(ids), len(ids)))
    for item in comparisons:
        i, j = index[item.more], index[item.less]
        matrix[i, j], matrix[j, i] = item.by, 1.0 / item.by
    values, vectors = np.linalg.eig(matrix)
    principal = int(np.argmax(values.real))
    vector = np.abs(vectors[:, principal].real)
    weights = vector / vector.sum()
    n = len(ids)
    ratio = None
    if RANDOM_INDEX.get(n, 1.49) > 0:
        consistency_index = (values.real[principal] - n) / (n - 1)
        ratio = float(consistency_index / RANDOM_INDEX.get(n, 1.49))
    return {goal_id: float(weights[index[goal_id]]) for goal_id in ids}, ratio


def resolve_goals(
    goals: Sequence[GoalConfig], alignment: AlignmentConfig
) -> tuple[list[ResolvedGoal], float | None]:
    """Goals with objectives, weights and KPIs settled.

    Raises:
        ConfigError: a goal's objective cannot be read from its text, or its KPI is unknown.
    """
    weights, consistency = goal_weights(goals, alignment)
    resolved: list[ResolvedGoal] = []
    problems: list[str] = []
    for position, goal in enumerate(goals):
        if goal.objective is not None:
            mapping = ObjectiveMapping(goal.objective, (), explicit=True)
        else:
            objective, cues = map_objective(f"{goal.name} {goal.description or ''}")
            if objective is None:
                hint = f" (cues {', '.join(cues)} point two ways)" if cues else ""
                problems.append(
                    f"goals[{position}].objective: cannot tell what '{goal.name}' aims at{hint};"
                    " set objective"
                )
                continue
            mapping = ObjectiveMapping(objective, cues, explicit=False)
        try:
            kpi = kpi_for(mapping.objective, goal.kpi.metric if goal.kpi else None)
        except KeyError:
            problems.append(
                f"goals[{position}].kpi.metric: unknown metric"
                f" {goal.kpi.metric if goal.kpi else ''!r}; valid: {', '.join(KPIS)}"
            )
            continue
        resolved.append(
            ResolvedGoal(
                id=goal.id,
                name=goal.name,
                objective=mapping.objective,
                weight=weights[goal.id],
                kpi=kpi,
                baseline=goal.kpi.baseline if goal.kpi else None,
                target=goal.kpi.target if goal.kpi else None,
                horizon_months=goal.kpi.horizon_months if goal.kpi else 6,
                mapping=mapping,
            )
        )
    if problems:
        raise ConfigError("goals cannot be used for ranking", problems)
    return resolved, consistency
