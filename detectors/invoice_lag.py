"""The delay between delivering a service (an appointment ending) and invoicing it."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from busywork.store.records import RecordKind
from detectors import _frames as fr
from detectors._coverage import Fact
from detectors._facts import ATTENDEES, INVOICE_CUSTOMERS
from detectors._matching import MATCHED, matched
from detectors.appointment_to_invoice import AppointmentToInvoiceDetector
from detectors.base import Candidate, Category, DetectionContext, Detector, Frames, Subject
from detectors.registry import register


@register
class InvoiceLagDetector(Detector):
    """Finds a business that invoices its services days after delivering them.

    Held appointments that started in the trailing ``window_days`` are matched to customers
    exactly as ``appointment_to_invoice`` does (e-mail, then name, then a first-name prefix)
    and paired with the customer's next invoice issued within ``max_lag_days``. Only pairs
    with a hand-made invoice count: automated invoicing has no lag to remove. The lag is
    business days (context calendar) from the appointment's day to the invoice's issue date.
    The business is reported when at least ``min_pairs`` pairs have a median lag of
    ``min_median_lag_days`` or more.

    Cash impact is the cost of the delay: sum of invoice amount * calendar days of lag over
    the window, / ``window_days`` * ``context.cost_of_capital`` / 12. Invoicing the same day
    is a matter of habit or an integration, so no admin hours are claimed.

    Metrics: ``pairs``, ``median_lag_days`` and ``p90_lag_days`` (business days),
    ``share_over_threshold`` and ``amount_delayed``.

    Args:
        window_days: Length of the trailing window, in days, ending at ``context.as_of``.
        max_lag_days: Most calendar days from an appointment to the invoice that bills it.
        min_pairs: Fewest appointment-invoice pairs for a finding.
        min_median_lag_days: Smallest median lag, in business days, that is reported.
        min_prefix_chars: Shortest first name used for prefix name matching.
    """

    kind: ClassVar[str] = "invoice_lag"
    category: ClassVar[Category] = "bottleneck"
    required_columns: ClassVar[dict[RecordKind, tuple[str, ...]]] = {
        **AppointmentToInvoiceDetector.required_columns
    }

    facts: ClassVar[tuple[Fact, ...]] = (ATTENDEES, INVOICE_CUSTOMERS)
    checks: ClassVar[str] = "invoicing delay"
    shares: ClassVar[frozenset[str]] = frozenset((MATCHED,))

    def __init__(
        self,
        *,
        window_days: int = 180,
        max_lag_days: int = 21,
        min_pairs: int = 20,
        min_median_lag_days: float = 4.0,
        min_prefix_chars: int = 3,
    ) -> None:
        self.window_days = window_days
        self.max_lag_days = max_lag_days
        self.min_pairs = min_pairs
        self.min_median_lag_days = min_median_lag_days
        self.min_prefix_chars = min_prefix_chars

    def _detect(self, frames: Frames, context: DetectionContext) -> list[Candidate]:
        today = fr.as_of(context).normalize()
        match = matched(frames, context, self.min_prefix_chars)
        invoices, appts = match.invoices, match.appointments
        appts = appts[appts["date"] > today - pd.Timedelta(days=self.window_days)]
        if appts.empty or invoices.empty:
            return []
        paired = pd.merge_asof(  # both sorted by date, then id: ties pair the same way
            appts,
            invoices,
            left_on="date",
            right_on="issued",
            by="customer",
            direction="forward",
            tolerance=pd.Timedelta(days=self.max_lag_days),
        )
        hand = paired[paired["manual"].eq(True)].reset_index(drop=True)
        # One invoice may bill several sessions; the lag counts from its first session. The
        # pairs keep the appointments' order (date, then customer and id), so that is the
        # invoice's first row.
        hand = hand.drop_duplicates("invoice_id")
        if len(hand) < self.min_pairs:
            return []
        lags = fr.business_days(hand["date"], hand["issued"], context.calendar)
        median = float(np.median(lags))
        if median < self.min_median_lag_days:
            return []
        return [self._candidate(hand, lags, median, context)]

    def _candidate(
        self,
        hand: pd.DataFrame,
        lags: np.ndarray[tuple[int], np.dtype[np.int64]],
        median: float,
        context: DetectionContext,
    ) -> Candidate:
        """Build the business-wide finding."""
        slow = hand[lags >= self.min_median_lag_days]
        calendar_lag = fr.to_days(hand["issued"] - hand["date"])
        carried = float((hand["total"] * calendar_lag).sum()) / self.window_days
        p90 = float(np.percentile(lags, 90))
        share = float(np.mean(lags >= self.min_median_lag_days))
        severity = min(1.0, median / (2 * self.min_median_lag_days or 1.0))
        confidence = 0.5 * fr.support_score(len(hand), 20.0) + 0.3 * severity + 0.2 * share
        lag_text = fr.plural(median, "business day")
        return Candidate(
            kind=self.kind,
            category=self.category,
            subject=Subject("business", None, context.business),
            title=f"Sessions are invoiced a median {lag_text} after they happen",
            summary=(
                f"Of {len(hand)} appointments since {hand['date'].min():%d %b %Y} that were "
                f"invoiced by hand, half waited {lag_text} or more for their invoice and one in "
                f"ten waited {fr.plural(p90, 'business day')} or more; "
                f"{share:.0%} took {fr.plural(self.min_median_lag_days, 'business day')} or "
                "longer. Every day of lag is a day later that the money comes in."
            ),
            suggested_automation=(
                "Invoice at the end of each session: raise the invoice from the booking "
                "(a calendar-to-accounting integration, or your booking tool's invoicing) or "
                "take payment at checkout."
            ),
            record_ids=fr.sorted_strings(slow["appt_id"], slow["invoice_id"]),
            sources=fr.sorted_strings(slow["appt_source"], slow["invoice_source"]),
            period_start=fr.to_date(slow["date"].min()),
            period_end=fr.to_date(slow["issued"].max()),
            hours_saved_per_month=0.0,
            cash_impact_per_month=round(carried * context.cost_of_capital / 12, 2),
            confidence=fr.clamp01(confidence),
            metrics={
                "pairs": float(len(hand)),
                "median_lag_days": round(median, 2),
                "p90_lag_days": round(p90, 2),
                "share_over_threshold": round(share, 4),
                "amount_delayed": round(float(hand["total"].sum()), 2),
            },
        )
