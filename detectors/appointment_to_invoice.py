"""Appointments followed, days later, by an invoice typed up by hand for the same person."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

import numpy as np
import pandas as pd

from busywork.store.records import RecordKind
from detectors import _distinct as ds
from detectors import _frames as fr
from detectors._coverage import Fact
from detectors._facts import ATTENDEES, INVOICE_CUSTOMERS
from detectors._matching import MATCHED, matched
from detectors.base import Candidate, Category, DetectionContext, Detector, Frames, Subject
from detectors.registry import register

#: How much a match method is trusted, for the confidence score.
_MATCH_WEIGHT = {"email": 1.0, "name": 0.85, "prefix": 0.6, "entity": 0.6}


@register
class AppointmentToInvoiceDetector(Detector):
    """Finds customers whose appointments are each invoiced by hand a few days later.

    Attendees are matched to customers by e-mail first (trimmed, case-insensitive; the
    customer's own e-mail and any ``customer_email`` on their invoices count), then by
    normalised full name (accents, punctuation and titles removed), then by last name plus a
    first name that is a prefix of the other ("Jon" / "Jonathan", at least
    ``min_prefix_chars`` long). Addresses or names that point at more than one customer are
    not used. Appointments that were cancelled, no-shows or start after ``context.as_of``
    are ignored.

    Each appointment is paired with the customer's next non-void invoice issued within
    ``max_lag_days`` (same day included). A pair with a manual/unknown-origin invoice was
    invoiced by hand; automated invoices (e.g. ``integration``) were not. Appointments whose
    window has fully passed with no invoice of any origin are leakage, priced at the
    customer's median invoice total. A customer is reported with at least ``min_pairs``
    hand-invoiced appointments billed by at least ``min_pairs`` distinct invoices: the work
    repeated is typing an invoice, so two rows of one session (a calendar copy the mirror
    rules could not recognise) followed by one invoice count once.

    Metrics: ``pairs`` (hand-invoiced appointments), ``hand_invoices`` (distinct invoices),
    ``median_lag_days`` (business days, working calendar of the context), ``uninvoiced``,
    ``leakage_per_month``, ``automated_pairs``, ``booked_by_hand`` (appointments with a
    manual/unknown origin) and ``email_match_share``.

    Args:
        max_lag_days: Most calendar days from an appointment to the invoice that bills it.
        min_pairs: Fewest hand-invoiced appointments, and distinct hand-made invoices billing
            them, for a finding.
        min_prefix_chars: Shortest first name used for prefix name matching.
    """

    kind: ClassVar[str] = "appointment_to_invoice"
    category: ClassVar[Category] = "repetitive_task"
    required_columns: ClassVar[dict[RecordKind, tuple[str, ...]]] = {
        RecordKind.APPOINTMENT: (
            "source_id",
            "source",
            "start_at",
            "end_at",
            "status",
            "attendee_email",
            "attendee_name",
            "origin",
            "mirror_id",
        ),
        RecordKind.INVOICE: (
            "source_id",
            "source",
            "customer_id",
            "customer_name",
            "customer_email",
            "issued_on",
            "total",
            "origin",
            "status",
            "doc_type",
        ),
        RecordKind.CUSTOMER: ("source", "source_id", "name", "email"),
    }

    facts: ClassVar[tuple[Fact, ...]] = (ATTENDEES, INVOICE_CUSTOMERS)
    checks: ClassVar[str] = "invoicing of appointments"
    shares: ClassVar[frozenset[str]] = frozenset((MATCHED,))

    def __init__(
        self, *, max_lag_days: int = 14, min_pairs: int = 4, min_prefix_chars: int = 3
    ) -> None:
        self.max_lag_days = max_lag_days
        self.min_pairs = min_pairs
        self.min_prefix_chars = min_prefix_chars

    def _detect(self, frames: Frames, context: DetectionContext) -> list[Candidate]:
        today = fr.as_of(context).normalize()
        match = matched(frames, context, self.min_prefix_chars)
        invoices, appts = match.invoices, match.appointments
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
        paired["hand"] = paired["manual"].eq(True)
        has_invoice = ~ds.missing(paired["invoice_id"])  # once: a null test reads every row
        paired["automated"] = has_invoice & ~paired["hand"]
        lag_window_over = paired["date"] + pd.Timedelta(days=self.max_lag_days) <= today
        paired["uninvoiced"] = ~has_invoice & lag_window_over
        hand = np.flatnonzero(paired["hand"].to_numpy())
        customer = paired["customer"].to_numpy()[hand]  # codes >= 0
        # Two appointments billed by one invoice are one invoice typed, not two: the same
        # session seen twice (a calendar copy) must not double the evidence.
        pairs = np.bincount(customer)
        # Invoices are counted only for the few customers with enough pairs: counting the
        # distinct invoice ids of every customer hashed each pair's id text. Only the two
        # columns counted are copied, of those customers' rows.
        many = np.flatnonzero((pairs >= self.min_pairs) & (pairs > 0))
        frequent = paired[["customer", "invoice_id"]].take(hand[np.isin(customer, many)])
        invoiced = frequent.groupby("customer")["invoice_id"].nunique()
        found = invoiced.index[invoiced >= self.min_pairs]
        # Narrow once to the customers found, then split: not one full scan per customer.
        rows_of = dict(tuple(paired[paired["customer"].isin(found)].groupby("customer")))
        mine = invoices[invoices["customer"].isin(found)]
        totals_of = dict(tuple(mine.groupby("customer")["total"]))
        chosen = sorted(found, key=lambda code: str(match.customer_ids[code]))
        return [
            replace(
                self._candidate(
                    str(match.customer_ids[code]),
                    match.labels[code],
                    rows_of[code],
                    totals_of[code],
                    context,
                    match.alt_ids[code],
                ),
                links=match.evidence(code),
            )
            for code in chosen
        ]

    def _candidate(
        self,
        customer: str,
        name: str | None,
        rows: pd.DataFrame,
        totals: pd.Series[float],
        context: DetectionContext,
        alt_ids: tuple[str, ...] = (),
    ) -> Candidate:
        """Build the finding for one customer."""
        hand = rows[rows["hand"]]
        leaked = rows[rows["uninvoiced"]]
        evidence_dates = pd.concat([hand["date"], hand["issued"], leaked["date"]])
        first, last = evidence_dates.min(), evidence_dates.max()
        months = fr.months_covered(first, last)
        pairs = len(hand)
        hand_invoices = int(hand["invoice_id"].nunique())
        lags = fr.business_days(hand["date"], hand["issued"], context.calendar)
        median_lag = float(np.median(lags))
        typical = float(totals.median()) if totals.notna().any() else 0.0
        leakage = len(leaked) * typical / months
        automated = int(rows["automated"].sum())
        weights = rows["method"][rows["hand"] | rows["uninvoiced"]].map(_MATCH_WEIGHT)
        confidence = (
            0.5 * fr.support_score(pairs, 3.0)
            + 0.25 * pairs / (pairs + automated)
            + 0.25 * float(weights.mean())
        )
        label = name or customer
        money = context.currency
        leak_text = ""
        if len(leaked):
            verb = "was" if len(leaked) == 1 else "were"
            leak_text = (
                f" {fr.plural(len(leaked), 'other appointment')} {verb} never invoiced, worth "
                f"about {fr.format_money(leakage, money)} a month at the usual "
                f"{fr.format_money(typical, money)}."
            )
        lag_text = fr.plural(median_lag, "business day")
        return Candidate(
            kind=self.kind,
            category=self.category,
            subject=Subject("customer", customer, label, source_id=customer, alt_ids=alt_ids),
            title=(
                f"Appointments with {label} are invoiced by hand ({pairs} times, ~{lag_text} later)"
            ),
            summary=(
                f"{pairs} appointments with {label} between {first:%d %b %Y} and "
                f"{last:%d %b %Y} were followed by {fr.plural(hand_invoices, 'invoice')} "
                f"created by hand, a median of {lag_text} later.{leak_text}"
            ),
            suggested_automation=(
                f"Connect your calendar or booking tool to your accounting tool so every "
                f"completed appointment with {label} creates a draft invoice automatically "
                f"(for example a Zapier or Make flow 'appointment ended -> create draft invoice "
                f"in QuickBooks/Xero'), then review and send the drafts once a week."
            ),
            record_ids=fr.sorted_strings(hand["appt_id"], hand["invoice_id"], leaked["appt_id"]),
            sources=fr.sorted_strings(
                hand["appt_source"], hand["invoice_source"], leaked["appt_source"]
            ),
            period_start=fr.to_date(first),
            period_end=fr.to_date(last),
            hours_saved_per_month=round(
                hand_invoices / months * context.minutes("create_invoice") / 60, 4
            ),
            cash_impact_per_month=round(leakage, 2),
            confidence=round(min(1.0, max(0.0, confidence)), 4),
            metrics={
                "pairs": float(pairs),
                "hand_invoices": float(hand_invoices),
                "median_lag_days": median_lag,
                "uninvoiced": float(len(leaked)),
                "leakage_per_month": round(leakage, 2),
                "automated_pairs": float(automated),
                "booked_by_hand": float(rows["booked_by_hand"].sum()),
                "email_match_share": round(float((rows["method"] == "email").mean()), 4),
            },
        )
