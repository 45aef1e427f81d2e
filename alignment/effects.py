"""What a candidate automation would change, in each KPI's own unit.

Every finding is turned into *KPI deltas*: "DSO −6.5 days", "−3.2 admin hours/month",
"+840 GBP/month billed". Time and task counts come straight from the detector's
evidence; effects that depend on how well an automation works (how much lateness automatic
reminders remove, how many no-shows a reminder prevents) use the documented, configurable
:class:`Assumptions`.

Every money effect reaches a cash KPI exactly once. Money that arrives late (slow
collection, late payers, invoicing lag) is measured through DSO; money that is lost (late
fees, bills paid twice, sessions never billed, sessions lost to no-shows) through
``cash_at_stake_per_month``. A finding with money but neither (a kind added later) puts
its ``cash_impact_per_month`` into ``cash_at_stake_per_month``, so no money goes uncounted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from detectors.base import Candidate

#: Days in an average month, for per-month rates.
DAYS_PER_MONTH = 30.44


@dataclass(frozen=True)
class Assumptions:
    """How much of a problem an automation removes, where the data cannot say.

    Args:
        reminder_effect: Share of payment lateness removed by automatic reminders and
            payment links.
        no_show_effect: Share of no-shows prevented by automatic appointment reminders.
        invoicing_lag_effect: Share of the service-to-invoice delay removed by invoicing
            from the booking.
    """

    reminder_effect: float = 0.35
    no_show_effect: float = 0.30
    invoicing_lag_effect: float = 0.9


Deltas = dict[str, float]
#: The cash KPI that counts money lost, and the ones that count money arriving late.
CASH_AT_STAKE = "cash_at_stake_per_month"
LATE_CASH_METRICS = frozenset({"dso_days", "overdue_receivables"})
#: What the money at stake is, per kind, for explanations ("lost to late fees").
CASH_SOURCES: Mapping[str, str] = {
    "approval_backlog": "late fees",
    "duplicate_entry": "bills paid twice",
    "appointment_to_invoice": "sessions never billed",
    "no_show_reminders": "sessions lost to no-shows",
}
#: A customer's share of the business's receivables when the data cannot tell.
ASSUMED_CUSTOMER_SHARE = 0.25


def _months(candidate: Candidate) -> float:
    return max((candidate.period_end - candidate.period_start).days / DAYS_PER_MONTH, 1.0)


def _metric(candidate: Candidate, name: str, default: float = 0.0) -> float:
    return float(candidate.metrics.get(name, default))


def _collection(candidate: Candidate, assume: Assumptions, business: Mapping[str, float]) -> Deltas:
    days_late = _metric(candidate, "median_days_late")
    late_share = _metric(candidate, "late_share", 1.0)
    overdue = _metric(candidate, "overdue_receivables")
    weight = 1.0
    if candidate.subject.type != "business":
        # One customer moves the business's DSO only in proportion to what they owe.
        total = business.get("overdue_receivables")
        weight = min(overdue / total, 1.0) if total and overdue else ASSUMED_CUSTOMER_SHARE
    return {
        "dso_days": -assume.reminder_effect * days_late * late_share * weight,
        "overdue_receivables": -assume.reminder_effect * overdue,
    }


def _appointment_invoicing(
    candidate: Candidate, assume: Assumptions, _business: Mapping[str, float]
) -> Deltas:
    leakage = _metric(candidate, "leakage_per_month")
    lag_days = _metric(candidate, "median_lag_days") * 7 / 5  # business days -> calendar days
    return {
        "leakage_per_month": -leakage,
        "billed_revenue_per_month": leakage,
        CASH_AT_STAKE: -leakage,
        "time_to_invoice_days": -assume.invoicing_lag_effect * lag_days,
    }


def _invoice_lag(
    candidate: Candidate, assume: Assumptions, _business: Mapping[str, float]
) -> Deltas:
    lag_days = (
        _metric(candidate, "median_lag_days", _metric(candidate, "median_lag_business_days"))
        * 7
        / 5
    )
    return {
        "time_to_invoice_days": -assume.invoicing_lag_effect * lag_days,
        "dso_days": -assume.invoicing_lag_effect
        * lag_days
        * _metric(candidate, "affected_share", 1.0),
    }


def _no_shows(candidate: Candidate, assume: Assumptions, _business: Mapping[str, float]) -> Deltas:
    # The KPI (and its measured baseline) counts no-shows; the finding's misses also count
    # late cancellations, which reminders prevent too but which are no no-shows.
    appointments = _metric(candidate, "appointments")
    points = 100 * _metric(candidate, "no_shows") / appointments if appointments else 0.0
    recovered = assume.no_show_effect * candidate.cash_impact_per_month
    return {
        "no_show_rate": -assume.no_show_effect * points,
        "billed_revenue_per_month": recovered,
        CASH_AT_STAKE: -recovered,
    }


def _avoidable_cost(
    candidate: Candidate, _assume: Assumptions, _business: Mapping[str, float]
) -> Deltas:
    return {
        "late_fees_per_month": -candidate.cash_impact_per_month,
        CASH_AT_STAKE: -candidate.cash_impact_per_month,
    }


def _duplicates(
    candidate: Candidate, _assume: Assumptions, _business: Mapping[str, float]
) -> Deltas:
    return {
        "duplicates_per_month": -candidate.count / _months(candidate),
        "late_fees_per_month": -candidate.cash_impact_per_month,
        CASH_AT_STAKE: -candidate.cash_impact_per_month,
    }


#: Kinds whose money is money arriving late, measured through DSO.
LATE_CASH_KINDS = frozenset({"slow_collection", "payment_reminders", "invoice_lag"})

#: Kind-specific effects, on top of the time and task effects every finding has.
KIND_EFFECTS: Mapping[str, Callable[[Candidate, Assumptions, Mapping[str, float]], Deltas]] = {
    "slow_collection": _collection,
    "payment_reminders": _collection,
    "appointment_to_invoice": _appointment_invoicing,
    "invoice_lag": _invoice_lag,
    "no_show_reminders": _no_shows,
    "approval_backlog": _avoidable_cost,
    "duplicate_entry": _duplicates,
}


def kpi_deltas(
    candidate: Candidate,
    assumptions: Assumptions | None = None,
    business: Mapping[str, float] | None = None,
) -> Deltas:
    """The candidate's expected change of every KPI it touches (negative = goes down).

    ``business`` holds the business's measured KPI levels (e.g. ``overdue_receivables``),
    used to scale a single customer's effect on business-wide KPIs.
    """
    assume = assumptions or Assumptions()
    deltas: Deltas = {}
    if candidate.hours_saved_per_month > 0:
        deltas["admin_hours_per_month"] = -candidate.hours_saved_per_month
    if candidate.category == "repetitive_task":
        deltas["manual_tasks_per_month"] = -candidate.count / _months(candidate)
    effect = KIND_EFFECTS.get(candidate.kind)
    if effect is not None:
        measured = business or {}
        deltas.update(
            {
                metric: value
                for metric, value in effect(candidate, assume, measured).items()
                if value
            }
        )
    if candidate.cash_impact_per_month > 0 and not (
        deltas.keys() & (LATE_CASH_METRICS | {CASH_AT_STAKE})
    ):
        deltas[CASH_AT_STAKE] = -candidate.cash_impact_per_month
    return {metric: value for metric, value in deltas.items() if value}


def cash_at_stake(candidate: Candidate) -> float:
    """The money a month the finding shows being lost now, before any automation.

    Late money (collection, invoicing lag) is DSO's, not lost money, and counts 0 here.
    """
    if candidate.kind == "appointment_to_invoice":
        return _metric(candidate, "leakage_per_month")
    if candidate.kind in LATE_CASH_KINDS:
        return 0.0
    return max(candidate.cash_impact_per_month, 0.0)
