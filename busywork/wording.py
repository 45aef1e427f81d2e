"""Plain words for what the owner reads: money, ranges, dates, kinds and KPI changes.

Every screen the owner sees (terminal table, HTML report, e-mail) says money, dates and
effects the same way, so the formats live here and nowhere else.
"""

from __future__ import annotations

import math
from datetime import date, datetime

#: Symbols written before the amount; any other currency is written as its ISO code.
CURRENCY_SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€", "AUD": "A$", "CAD": "C$", "NZD": "NZ$"}
#: How far either side of an estimate its range reaches. Hours are counts from the records
#: times the configured minutes per task, and money is priced from configured rates: the
#: counts are measured, the rates are estimates, so a range says so instead of false precision.
ESTIMATE_SPREAD = 0.25

#: What each detector kind is called in plain words.
KIND_LABELS = {
    "recurring_invoice": "Invoices typed by hand on a schedule",
    "recurring_bill": "Supplier bills keyed by hand every period",
    "recurring_journal_entry": "Journals keyed by hand every period",
    "payment_reminders": "Customers who routinely pay late",
    "duplicate_entry": "Records entered twice",
    "appointment_to_invoice": "Sessions invoiced by hand afterwards",
    "manual_scheduling": "Clients booked by hand, one session at a time",
    "no_show_reminders": "Missed appointments",
    "slow_collection": "Slow collection of invoices",
    "invoice_lag": "Invoices sent days after the work",
    "approval_backlog": "Bills waiting for approval",
    "calendar_overload": "Overbooked calendars",
    "month_end_crunch": "Month-end rush of journals",
}

CATEGORY_LABELS = {"repetitive_task": "Repetitive task", "bottleneck": "Bottleneck"}


def money(amount: float, currency: str) -> str:
    """``amount`` in whole units of ``currency``: ``£97,591``, ``$12``, ``CHF 1,200``."""
    code = (currency or "").strip().upper()
    # Half away from zero, as a bookkeeper rounds (Python's round() goes to the even number).
    whole = math.floor(abs(amount) + 0.5)
    sign = "−" if amount < 0 and whole else ""
    symbol = CURRENCY_SYMBOLS.get(code)
    number = f"{whole:,d}"
    if symbol:
        return f"{sign}{symbol}{number}"
    return f"{sign}{code} {number}".strip()


def _nice(value: float) -> float:
    """Round to two significant figures, so a range does not pretend to more."""
    if value <= 0:
        return 0.0
    digits = 1 - math.floor(math.log10(value))
    return round(value, digits) if digits > 0 else float(round(value, digits))


def estimate_range(value: float) -> tuple[float, float]:
    """The low and high ends of an estimate, ``ESTIMATE_SPREAD`` either side, rounded."""
    if value <= 0:
        return 0.0, 0.0
    return _nice(value * (1 - ESTIMATE_SPREAD)), _nice(value * (1 + ESTIMATE_SPREAD))


def hours_range(hours: float) -> str:
    """``"65–110 h a month"``; ``""`` for no saving; very small savings say so, not "0.0"."""
    if hours < 0.05:
        return ""
    low, high = estimate_range(hours)
    if high < 0.5:
        return "under half an hour a month"
    return f"{_number(low)}–{_number(high)} h a month"


def money_range(amount: float, currency: str) -> str:
    """``"£490–£810 a month"``, or ``""`` when there is no money at stake."""
    low, high = estimate_range(amount)
    if high < 1:
        return ""
    return f"{money(low, currency)}–{money(high, currency)} a month"


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:,.1f}"


def long_date(value: str | date | None) -> str:
    """``"31 October 2026"`` from an ISO date or datetime; ``""`` when absent or unreadable."""
    if value is None or value == "":
        return ""
    try:
        day = value if isinstance(value, date) else datetime.fromisoformat(str(value))
    except ValueError:
        return ""
    return f"{day.day} {day:%B %Y}"


def long_datetime(value: str | None) -> str:
    """``"3 December 2026 at 10:02 UTC"`` from an ISO datetime; ``""`` when unreadable."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return ""
    zone = moment.tzname() or ""
    return f"{moment.day} {moment:%B %Y at %H:%M} {zone}".strip()


def kind_label(kind: str) -> str:
    """The plain name of a detector kind (the key itself, tidied, when unknown)."""
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def _amount(value: float, currency: str) -> str:
    return money(abs(value), currency)


#: How a change in each KPI reads: (words when it goes down, words when it goes up).
_CHANGES = {
    "dso_days": ("cash collected {n} days sooner", "cash collected {n} days later"),
    "overdue_receivables": ("{m} less overdue", "{m} more overdue"),
    "admin_hours_per_month": ("{n} fewer admin hours a month", "{n} more admin hours a month"),
    "billed_revenue_per_month": ("{m} less billed a month", "{m} more billed a month"),
    "leakage_per_month": ("{m} less unbilled work a month", "{m} more unbilled work a month"),
    "no_show_rate": ("{n} points fewer no-shows", "{n} points more no-shows"),
    "time_to_invoice_days": ("invoices out {n} days sooner", "invoices out {n} days later"),
    "late_fees_per_month": ("{m} less in late fees a month", "{m} more in late fees a month"),
    "duplicates_per_month": ("{n} fewer duplicates a month", "{n} more duplicates a month"),
    "manual_tasks_per_month": ("{n} fewer manual tasks a month", "{n} more manual tasks a month"),
}


def kpi_change(metric: str, change: float | None, currency: str, label: str = "") -> str:
    """What a finding does to a KPI, in words; ``""`` when it does not move it."""
    if change is None or abs(change) < 0.05:
        return ""
    name = label or metric
    down, up = _CHANGES.get(metric, (f"{name} down {{n}}", f"{name} up {{n}}"))
    words = down if change < 0 else up
    n = abs(change)
    return words.format(n=f"{n:,.0f}" if n >= 10 else f"{n:,.1f}", m=_amount(change, currency))
