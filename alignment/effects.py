"""What a candidate automation changes, in the units a goal's KPI is measured in.

Each finding is turned into *effects*: admin hours per month given back, cash per month
freed or earned sooner, revenue per month no longer leaking, errors avoided, and so on.
A goal's objective decides which effects count towards it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from config.models import Objective
from detectors.base import Candidate

#: Kinds whose cash impact is money collected sooner (counts for cash flow).
CASH_TIMING_KINDS = frozenset(
    {"slow_collection", "payment_reminders", "invoice_lag", "approval_backlog"}
)
#: Kinds that touch the customer's experience of the business.
CUSTOMER_FACING_KINDS = frozenset(
    {
        "no_show_reminders",
        "invoice_lag",
        "manual_scheduling",
        "payment_reminders",
        "appointment_to_invoice",
    }
)
#: Kinds whose cash impact is money avoided (fees, duplicate payments).
COST_KINDS = frozenset({"approval_backlog", "duplicate_entry"})


@dataclass(frozen=True)
class Effect:
    """One measured effect of a candidate, with its unit for explanations."""

    name: str
    value: float
    unit: str


#: Which effect counts towards which objective.
OBJECTIVE_EFFECT: Mapping[Objective, str] = {
    Objective.OWNER_TIME: "admin_hours",
    Objective.ADMIN_TIME: "admin_hours",
    Objective.CASH_FLOW: "cash_sooner",
    Objective.REVENUE: "revenue_recovered",
    Objective.CUSTOMER_EXPERIENCE: "customer_touchpoints",
    Objective.COST: "cost_avoided",
    Objective.ERROR_REDUCTION: "errors_avoided",
    Objective.SCALABILITY: "manual_tasks",
}


#: An effect this size scores about 63 % of a goal's points (1 - 1/e); money is priced as
#: this many admin hours, so "4 hours" and "4 hours' worth of money" weigh the same.
REFERENCE_HOURS_PER_MONTH = 4.0
REFERENCE_RECORDS_PER_MONTH = 4.0


def reference(effect: str, admin_hourly_cost: float) -> float:
    """The size of effect that counts as substantial, in the effect's own unit."""
    if effect == "admin_hours":
        return REFERENCE_HOURS_PER_MONTH
    if effect in ("cash_sooner", "revenue_recovered", "cost_avoided"):
        return REFERENCE_HOURS_PER_MONTH * max(admin_hourly_cost, 1.0)
    return REFERENCE_RECORDS_PER_MONTH


def effects(candidate: Candidate, currency: str) -> dict[str, Effect]:
    """The candidate's effects by name, per month; absent effects are not in the dict."""
    metrics = candidate.metrics
    months = max((candidate.period_end - candidate.period_start).days / 30.44, 1.0)
    per_month = candidate.count / months
    found: dict[str, Effect] = {}
    if candidate.hours_saved_per_month > 0:
        found["admin_hours"] = Effect("admin_hours", candidate.hours_saved_per_month, "h/month")
    if candidate.kind in CASH_TIMING_KINDS and candidate.cash_impact_per_month > 0:
        found["cash_sooner"] = Effect(
            "cash_sooner", candidate.cash_impact_per_month, f"{currency}/month"
        )
    leakage = float(metrics.get("leakage_per_month", 0.0))
    if leakage > 0:
        found["revenue_recovered"] = Effect("revenue_recovered", leakage, f"{currency}/month")
    if candidate.kind in COST_KINDS and candidate.cash_impact_per_month > 0:
        found["cost_avoided"] = Effect(
            "cost_avoided", candidate.cash_impact_per_month, f"{currency}/month"
        )
    if candidate.kind == "duplicate_entry":
        found["errors_avoided"] = Effect("errors_avoided", per_month, "records/month")
    if candidate.kind in CUSTOMER_FACING_KINDS:
        found["customer_touchpoints"] = Effect("customer_touchpoints", per_month, "records/month")
    if candidate.category == "repetitive_task":
        found["manual_tasks"] = Effect("manual_tasks", per_month, "records/month")
    return found
