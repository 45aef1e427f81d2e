"""Adoption: noticing in the data that a recommendation was acted on, and what it delivered.

A recommendation counts as adopted when, after the last hand-made record in its evidence,
the same subject's records start arriving from an automated origin (a template, a
subscription, a recurring series, a booking link, an integration) and hand-made ones stop.
The KPI is then measured before and after: hand-made records per month over the evidence
period against the months since, priced at the configured minutes per task; the report
sets this realised saving beside the estimate made when the recommendation was issued.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd

from busywork.store.records import AUTOMATED_ORIGINS, RecordKind
from detectors.base import Candidate, DetectionContext

#: Fewest automated records after the evidence before a change counts as adopted.
MIN_AUTOMATED_AFTER = 2
#: Most hand-made records after the evidence that still count as adopted (a one-off extra).
MAX_MANUAL_AFTER = 1
DAYS_PER_MONTH = 30.44
_AUTOMATED = frozenset(origin.value for origin in AUTOMATED_ORIGINS)


@dataclass(frozen=True)
class Signal:
    """Where adoption of one kind shows: which records, matched how, dated by what."""

    record_kind: RecordKind
    subject_column: str
    date_column: str
    task: str


SIGNALS: Mapping[str, Signal] = {
    "recurring_invoice": Signal(RecordKind.INVOICE, "customer_id", "issued_on", "create_invoice"),
    "appointment_to_invoice": Signal(
        RecordKind.INVOICE, "customer_id", "issued_on", "create_invoice"
    ),
    "recurring_bill": Signal(RecordKind.BILL, "vendor_id", "issued_on", "enter_bill"),
    "recurring_journal_entry": Signal(
        RecordKind.JOURNAL_ENTRY, "accounts", "posted_on", "journal_entry"
    ),
    "manual_scheduling": Signal(
        RecordKind.APPOINTMENT, "attendee_email", "start_at", "book_appointment"
    ),
}


@dataclass(frozen=True)
class Adoption:
    """What adoption looked like and what it changed."""

    adopted_on: date
    automated_after: int
    manual_per_month_before: float
    manual_per_month_after: float
    estimated_hours_per_month: float
    realised_hours_per_month: float

    def to_json(self) -> dict[str, float | int | str]:
        """A JSON-safe dict for the store and the report."""
        return {
            "adopted_on": self.adopted_on.isoformat(),
            "automated_after": self.automated_after,
            "manual_per_month_before": round(self.manual_per_month_before, 2),
            "manual_per_month_after": round(self.manual_per_month_after, 2),
            "estimated_hours_per_month": round(self.estimated_hours_per_month, 2),
            "realised_hours_per_month": round(self.realised_hours_per_month, 2),
        }


def assess_adoption(
    candidate: Candidate, records: pd.DataFrame, context: DetectionContext
) -> Adoption | None:
    """Whether the subject's ``records`` (origin + the signal's date column) show adoption."""
    signal = SIGNALS.get(candidate.kind)
    if signal is None or records.empty:
        return None
    dates = pd.to_datetime(records[signal.date_column]).dt.tz_localize(None).dt.normalize()
    manual = ~records["origin"].fillna("unknown").isin(_AUTOMATED)
    start, end = pd.Timestamp(candidate.period_start), pd.Timestamp(candidate.period_end)
    as_of = (
        pd.Timestamp(context.as_of).tz_localize(None)
        if pd.Timestamp(context.as_of).tzinfo
        else pd.Timestamp(context.as_of)
    )
    after = (dates > end) & (dates <= as_of)
    automated_after = after & ~manual
    if (
        int(automated_after.sum()) < MIN_AUTOMATED_AFTER
        or int((after & manual).sum()) > MAX_MANUAL_AFTER
    ):
        return None
    before_months = max((end - start).days / DAYS_PER_MONTH, 1.0)
    after_months = max((as_of - end).days / DAYS_PER_MONTH, 1.0)
    rate_before = float((manual & (dates >= start) & (dates <= end)).sum()) / before_months
    rate_after = float((after & manual).sum()) / after_months
    minutes = context.minutes(signal.task)
    return Adoption(
        adopted_on=dates[automated_after].min().date(),
        automated_after=int(automated_after.sum()),
        manual_per_month_before=rate_before,
        manual_per_month_after=rate_after,
        estimated_hours_per_month=candidate.hours_saved_per_month,
        realised_hours_per_month=max(rate_before - rate_after, 0.0) * minutes / 60,
    )
