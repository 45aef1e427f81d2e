"""The KPI catalogue: what each objective is measured in, and which way is better.

A goal may name one of these metrics in ``kpi.metric``; when it names none, the
objective's default metric is used. Baselines that the goal does not give are measured from
the business's own records (:mod:`alignment.baselines`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from config.models import Objective

Direction = Literal["lower", "higher"]


@dataclass(frozen=True)
class Kpi:
    """A measurable quantity a goal can target."""

    metric: str
    objective: Objective
    unit: str
    direction: Direction
    label: str

    def improvement(self, baseline: float, target: float) -> float:
        """How far ``target`` is from ``baseline`` in the good direction (≤ 0: already met)."""
        return baseline - target if self.direction == "lower" else target - baseline


def _kpis(*items: Kpi) -> dict[str, Kpi]:
    return {item.metric: item for item in items}


#: Every metric a goal may target. ``{cur}`` in a unit is the business currency.
KPIS: Mapping[str, Kpi] = _kpis(
    Kpi("dso_days", Objective.CASH_FLOW, "days", "lower", "days sales outstanding"),
    Kpi("overdue_receivables", Objective.CASH_FLOW, "{cur}", "lower", "overdue receivables"),
    Kpi("admin_hours_per_month", Objective.OWNER_TIME, "h/month", "lower", "admin hours a month"),
    Kpi(
        "billed_revenue_per_month",
        Objective.REVENUE,
        "{cur}/month",
        "higher",
        "billed revenue a month",
    ),
    Kpi("leakage_per_month", Objective.REVENUE, "{cur}/month", "lower", "unbilled work a month"),
    Kpi("no_show_rate", Objective.CUSTOMER_EXPERIENCE, "%", "lower", "no-show rate"),
    Kpi(
        "time_to_invoice_days",
        Objective.CUSTOMER_EXPERIENCE,
        "days",
        "lower",
        "days from service to invoice",
    ),
    Kpi(
        "late_fees_per_month",
        Objective.COST,
        "{cur}/month",
        "lower",
        "late fees and avoidable cost a month",
    ),
    Kpi(
        "duplicates_per_month",
        Objective.ERROR_REDUCTION,
        "records/month",
        "lower",
        "duplicate records a month",
    ),
    Kpi(
        "manual_tasks_per_month",
        Objective.SCALABILITY,
        "tasks/month",
        "lower",
        "manual tasks a month",
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


def kpi_for(objective: Objective, metric: str | None) -> Kpi:
    """The KPI a goal is measured by.

    Raises:
        KeyError: ``metric`` is not in the catalogue.
    """
    return KPIS[metric or DEFAULT_METRIC[objective]]


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
