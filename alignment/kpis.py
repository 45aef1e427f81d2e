"""The KPI catalogue: what each objective is measured in, and which way is better.

A goal may name one of these metrics in ``kpi.metric``; when it names none, the
objective's default metric is used. Baselines that the goal does not give are measured from
the business's own records (:mod:`alignment.baselines`). Some objectives are served by
effects no single KPI sees (a cash goal gains from faster collection *and* from late fees
avoided), so a goal also counts the other KPIs of its objective (:func:`goal_kpis`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from config.models import Objective

Direction = Literal["lower", "higher"]


@dataclass(frozen=True)
class Kpi:
    """A measurable quantity a goal can target.

    ``noun`` follows a change in explanations ("−13.3 days *to collect*"); ``would`` says
    what an item moving this KPI would do, with ``{amount}`` for the size of the change
    ("cut {amount} of admin").
    """

    metric: str
    objective: Objective
    unit: str
    direction: Direction
    label: str
    noun: str
    would: str

    def improvement(self, baseline: float, target: float) -> float:
        """How far ``target`` is from ``baseline`` in the good direction (≤ 0: already met)."""
        return baseline - target if self.direction == "lower" else target - baseline


def _kpis(*items: Kpi) -> dict[str, Kpi]:
    return {item.metric: item for item in items}


#: Every metric a goal may target. ``{cur}`` in a unit is the business currency.
KPIS: Mapping[str, Kpi] = _kpis(
    Kpi(
        "dso_days",
        Objective.CASH_FLOW,
        "days",
        "lower",
        "days sales outstanding",
        "to collect",
        "get paid {amount} sooner",
    ),
    Kpi(
        "overdue_receivables",
        Objective.CASH_FLOW,
        "{cur}",
        "lower",
        "overdue receivables",
        "overdue",
        "bring in {amount} of overdue money",
    ),
    Kpi(
        "cash_at_stake_per_month",
        Objective.CASH_FLOW,
        "{cur}/month",
        "lower",
        "cash lost or left unbilled a month",
        "of cash lost",
        "stop losing {amount}",
    ),
    Kpi(
        "admin_hours_per_month",
        Objective.OWNER_TIME,
        "h/month",
        "lower",
        "admin hours a month",
        "of admin",
        "cut {amount} of admin",
    ),
    Kpi(
        "billed_revenue_per_month",
        Objective.REVENUE,
        "{cur}/month",
        "higher",
        "billed revenue a month",
        "billed",
        "bill {amount} more",
    ),
    Kpi(
        "leakage_per_month",
        Objective.REVENUE,
        "{cur}/month",
        "lower",
        "unbilled work a month",
        "unbilled",
        "stop {amount} of work going unbilled",
    ),
    Kpi(
        "no_show_rate",
        Objective.CUSTOMER_EXPERIENCE,
        "%",
        "lower",
        "no-show rate",
        "of no-shows",
        "cut no-shows by {amount}",
    ),
    Kpi(
        "time_to_invoice_days",
        Objective.CUSTOMER_EXPERIENCE,
        "days",
        "lower",
        "days from service to invoice",
        "to invoice",
        "invoice {amount} sooner",
    ),
    Kpi(
        "late_fees_per_month",
        Objective.COST,
        "{cur}/month",
        "lower",
        "late fees and avoidable cost a month",
        "of avoidable cost",
        "avoid {amount} of late fees and avoidable cost",
    ),
    Kpi(
        "duplicates_per_month",
        Objective.ERROR_REDUCTION,
        "records/month",
        "lower",
        "duplicate records a month",
        "duplicated",
        "prevent {amount} being keyed twice",
    ),
    Kpi(
        "manual_tasks_per_month",
        Objective.SCALABILITY,
        "tasks/month",
        "lower",
        "manual tasks a month",
        "done by hand",
        "take {amount} off the manual workload",
    ),
)

#: The metric used for a goal that does not name one.
DEFAULT_METRIC: Mapping[Objective, str] = {
    Objective.CASH_FLOW: "dso_days",
    Objective.OWNER_TIME: "admin_hours_per_month",
    Objective.ADMIN_TIME: "admin_hours_per_month",
    Objective.REVENUE: "leakage_per_month",
    Objective.CUSTOMER_EXPERIENCE: "time_to_invoice_days",
    Objective.COST: "late_fees_per_month",
    Objective.ERROR_REDUCTION: "duplicates_per_month",
    Objective.SCALABILITY: "manual_tasks_per_month",
}

#: Effects that count toward an objective besides its goal's own KPI, one group per effect.
#: The KPIs of one group measure the same money or time, so a goal counts at most one of
#: them: its own KPI if that is in the group, otherwise the group's first.
#: A cash goal gains from collecting sooner (DSO) and from cash no longer lost (late fees,
#: bills paid twice, sessions never billed, sessions lost to no-shows).
OBJECTIVE_MEASURES: Mapping[Objective, tuple[tuple[str, ...], ...]] = {
    Objective.CASH_FLOW: (
        ("dso_days", "overdue_receivables"),
        ("cash_at_stake_per_month", "late_fees_per_month", "leakage_per_month"),
    ),
}

#: How a goal on each objective is named in advice ("add a goal on owner time").
OBJECTIVE_WORDS: Mapping[Objective, str] = {
    Objective.CASH_FLOW: "cash flow",
    Objective.OWNER_TIME: "owner time",
    Objective.ADMIN_TIME: "admin time",
    Objective.REVENUE: "revenue",
    Objective.CUSTOMER_EXPERIENCE: "customer experience",
    Objective.COST: "cost",
    Objective.ERROR_REDUCTION: "errors",
    Objective.SCALABILITY: "scalability",
}


def kpi_for(objective: Objective, metric: str | None) -> Kpi:
    """The KPI a goal is measured by.

    Raises:
        KeyError: ``metric`` is not in the catalogue.
    """
    return KPIS[metric or DEFAULT_METRIC[objective]]


def goal_kpis(objective: Objective, own: Kpi) -> tuple[Kpi, ...]:
    """Every KPI a goal on ``objective`` measured by ``own`` counts, its own first."""
    others = [
        KPIS[group[0]] for group in OBJECTIVE_MEASURES.get(objective, ()) if own.metric not in group
    ]
    return (own, *others)


def format_amount(value: float, unit: str, currency: str) -> str:
    """``value`` in ``unit`` as a person would write it ("−6.5 days", "+840 GBP/month")."""
    unit = unit.replace("{cur}", currency)
    sign = "+" if value > 0 else "−" if value < 0 else ""
    magnitude = abs(value)
    if 0 < magnitude < 0.05:
        # "−0.0 h/month" reads as nothing at all; the change is real, just small.
        return f"under 0.1 {'points' if unit == '%' else unit}"
    number = f"{magnitude:,.0f}" if magnitude >= 100 else f"{magnitude:,.1f}"
    if unit == "%":
        return f"{sign}{number} points"
    return f"{sign}{number} {unit}"
