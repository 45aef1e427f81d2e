"""The same supplier bill keyed in by hand every period."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

import pandas as pd

from busywork.store.records import RecordKind
from detectors import _cadence as cad
from detectors import _frames as fr
from detectors import _origin
from detectors import _templates as tmpl
from detectors._coverage import Fact
from detectors._facts import BILL_VENDORS
from detectors.base import (
    Candidate,
    Category,
    DetectionContext,
    Detector,
    Frames,
    Subject,
    SubjectType,
)
from detectors.registry import register


@register
class RecurringBillDetector(Detector):
    """Finds vendors whose bills are keyed in by hand every week, fortnight, month or quarter.

    Manual, non-void bills issued by ``context.as_of`` are grouped by vendor (id, else the
    normalised name) and scored like recurring invoices: gaps matched to each cadence within
    the tolerance (one skipped period allowed), the latest run only, a stable amount (robust
    coefficient of variation) and a run still going at ``as_of``. Utility bills vary more
    than rent, so the default amount tolerance is wider than for invoices; a bank rule or a
    recurring bill copes with a varying amount. Bills made by a rule or an integration
    (automated origins) are never counted, and a vendor with an active, scheduled bill
    template (``recurring_template``, when given) is already automated.

    Metrics: ``cadence_days``, ``occurrences``, ``typical_amount``, ``amount_cv``,
    ``regular_share``, ``skipped_periods``, ``median_gap_days`` and ``bills_per_month``.

    Args:
        min_occurrences: Fewest manual bills in the run for a finding.
        min_regular_share: Smallest share of gaps that must be on schedule (0-1).
        max_amount_cv: Largest robust coefficient of variation of the bill totals.
        tolerance: Allowed deviation of a gap from the cadence, as a fraction of the cadence.
        min_tolerance_days: Floor on the allowed deviation in days.
        max_idle_periods: The latest bill must be at most this many periods (plus the
            tolerance) before ``context.as_of`` for the run to count as still active.
    """

    kind: ClassVar[str] = "recurring_bill"
    category: ClassVar[Category] = "repetitive_task"
    required_columns: ClassVar[dict[RecordKind, tuple[str, ...]]] = {
        RecordKind.BILL: (
            "source_id",
            "source",
            "vendor_id",
            "vendor_name",
            "issued_on",
            "total",
            "origin",
            "status",
            "description",
        ),
    }
    optional_columns: ClassVar[dict[RecordKind, tuple[str, ...]]] = tmpl.OPTIONAL_TEMPLATES

    subject_columns: ClassVar[dict[RecordKind, str]] = {RecordKind.BILL: "vendor_id"}
    #: Re-detected per subject at once; when a batch cannot be scoped, still at once.
    min_rerun: ClassVar[timedelta] = timedelta(0)
    subject_type: ClassVar[SubjectType | None] = "vendor"

    facts: ClassVar[tuple[Fact, ...]] = (BILL_VENDORS,)
    checks: ClassVar[str] = "repeat bills"

    def __init__(
        self,
        *,
        min_occurrences: int = 5,
        min_regular_share: float = 0.8,
        max_amount_cv: float = 0.35,
        tolerance: float = 0.25,
        min_tolerance_days: float = 2.0,
        max_idle_periods: float = 2.0,
    ) -> None:
        self.min_occurrences = min_occurrences
        self.min_regular_share = min_regular_share
        self.max_amount_cv = max_amount_cv
        self.tolerance = tolerance
        self.min_tolerance_days = min_tolerance_days
        self.max_idle_periods = max_idle_periods

    def _detect(self, frames: Frames, context: DetectionContext) -> list[Candidate]:
        bills = _manual_bills(frames[RecordKind.BILL], context)
        bills = tmpl.without_templated(
            bills,
            frames,
            context,
            document="bill",
            id_column="vendor_id",
            name_column="vendor_name",
        )
        if bills.empty:
            return []
        rules = cad.CadenceRules(**self.get_params())
        runs = cad.find_runs(bills, rules, fr.as_of(context).normalize())
        return [self._candidate(run, context) for run in runs]

    def _candidate(self, run: cad.Run, context: DetectionContext) -> Candidate:
        """Build the finding for one vendor's run."""
        evidence, unit, first, last = run.evidence, run.unit, run.first, run.last
        occurrences, per_month = run.occurrences, run.per_month
        typical, cv, share = run.typical_amount, run.amount_cv, run.regular_share
        money = fr.format_money(typical, context.currency)
        vendor_id = fr.last_text(evidence["vendor_id"])
        name = fr.last_text(evidence["vendor_name"]) or vendor_id or "Unknown vendor"
        # A source without origins cannot say the bills were keyed in by hand.
        certainty = _origin.assess(evidence["origin"], timezone=context.timezone)
        how = certainty.by_hand(" by hand")
        return Candidate(
            kind=self.kind,
            category=self.category,
            subject=Subject("vendor", vendor_id, name),
            title=f"{name}'s bill is keyed in{how} every {unit} ({occurrences} times, ~{money})",
            summary=(
                f"{occurrences} bills from {name} were entered{how} between "
                f"{first:%d %b %Y} and {last:%d %b %Y}, about one every "
                f"{run.median_gap:.0f} days ({share:.0%} on schedule), typically "
                f"{money} ({cad.spread_words(cv)})." + certainty.caveat("bills")
            ),
            suggested_automation=(
                f"Set up a repeating bill for {name} (QuickBooks: Recurring transactions; "
                f"Xero: Repeating bills), or a bank rule that codes its direct debit, so the "
                f"{unit}ly bill no longer has to be keyed in."
            ),
            record_ids=fr.sorted_strings(evidence["source_id"]),
            sources=fr.sorted_strings(evidence["source"]),
            period_start=fr.to_date(first),
            period_end=fr.to_date(last),
            hours_saved_per_month=round(per_month * context.minutes("enter_bill") / 60, 4),
            cash_impact_per_month=0.0,
            confidence=fr.clamp01(
                cad.run_confidence(occurrences, share, cv, self.max_amount_cv) * certainty.factor
            ),
            metrics=run.metrics("bills_per_month"),
        )


def _manual_bills(raw: pd.DataFrame, context: DetectionContext) -> pd.DataFrame:
    """Manual, non-void bills issued by ``context.as_of``, keyed by vendor."""
    vendor_id = fr.as_text(raw["vendor_id"])
    vendor_name = fr.as_text(raw["vendor_name"])
    frame = pd.DataFrame(
        {
            "key": fr.subject_key(vendor_id, vendor_name),
            "source_id": fr.as_text(raw["source_id"]),
            "source": fr.as_text(raw["source"]),
            "vendor_id": vendor_id,
            "vendor_name": vendor_name,
            "issued": fr.as_dates(raw["issued_on"]),
            "amount": fr.as_money(raw["total"]),
            "origin": raw["origin"].to_numpy(dtype=object, copy=True),  # not a view of raw
        },
        copy=False,
    )
    keep = (
        fr.is_manual(raw["origin"]).to_numpy()
        & (fr.lowered(raw["status"]) != "void").to_numpy()
        & frame["key"].notna().to_numpy()
        & (frame["issued"] <= fr.as_of(context).normalize()).to_numpy()
    )
    return frame[keep]
