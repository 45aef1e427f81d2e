"""Customers paying late: days sales outstanding or median lateness above a threshold."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd

from busywork.store.records import RecordKind
from detectors import _documents as docs
from detectors import _frames as fr
from detectors import _payments as pay
from detectors._coverage import Fact
from detectors._facts import PAYMENT_DATES
from detectors.base import Candidate, Category, DetectionContext, Detector, Frames, Subject
from detectors.registry import register


@register
class SlowCollectionDetector(Detector):
    """Finds a business whose invoices are collected slowly (a receivables bottleneck).

    Invoices (not void or draft) issued in the trailing ``window_days`` up to
    ``context.as_of`` are considered. Payment facts are read through
    :func:`detectors._payments.payment_facts`: an invoice is settled when its payment date
    (its own, or the day its linked payments covered it) is on or before ``as_of``; one the
    data calls paid without a date is settled at an unknown time; one the data says nothing
    about is left out altogether. A missing ``due_on`` is taken as
    ``issued_on + default_terms_days``. Without payment dates on enough invoices the detector
    does not report (fact ``payment_dates``, see ``docs/data-coverage.md``).

    * Lateness is days from due date to payment date for settled invoices and days from due
      date to ``as_of`` for open invoices already past due; open invoices not yet due have no
      lateness yet and are left out of it. An invoice is late when lateness > ``grace_days``.
    * DSO uses the standard period formula: receivables outstanding at ``as_of``
      (any issue date) / amount billed in the window * ``window_days``. Money figures use
      invoices in ``context.currency`` (all invoices if none are in it).
    * Cash impact is the cost of carrying overdue money: the average balance held beyond its
      due date over the window (sum of amount * days overdue / ``window_days``) *
      ``context.cost_of_capital`` / 12.

    Metrics: ``dso_days``, ``median_days_late``, ``late_share`` (late / invoices with a
    lateness), ``overdue_receivables`` (past-due balance at ``as_of``),
    ``invoices_considered``, ``late_invoices``, ``avg_collection_days`` (issue to payment,
    weighted by amount), ``avg_overdue_balance`` and ``billed_in_window``.

    Args:
        window_days: Length of the trailing window, in days, ending at ``context.as_of``.
        dso_threshold_days: Fire when DSO is at least this many days.
        late_threshold_days: Fire when the median lateness is at least this many days.
        min_invoices: Fewest invoices issued in the window for a finding.
        grace_days: Days past due that are not yet counted as late.
        default_terms_days: Payment terms assumed when an invoice has no due date.
    """

    kind: ClassVar[str] = "slow_collection"
    category: ClassVar[Category] = "bottleneck"
    required_columns: ClassVar[dict[RecordKind, tuple[str, ...]]] = {
        RecordKind.INVOICE: (
            "source_id",
            "source",
            "issued_on",
            "due_on",
            "paid_at",
            "total",
            "balance",
            "status",
            "currency",
            "doc_type",
        ),
    }
    optional_columns: ClassVar[dict[RecordKind, tuple[str, ...]]] = pay.OPTIONAL_PAYMENTS
    facts: ClassVar[tuple[Fact, ...]] = (PAYMENT_DATES,)
    checks: ClassVar[str] = "payment speed"

    def __init__(
        self,
        *,
        window_days: int = 180,
        dso_threshold_days: float = 45.0,
        late_threshold_days: float = 10.0,
        min_invoices: int = 10,
        grace_days: int = 5,
        default_terms_days: int = 30,
    ) -> None:
        self.window_days = window_days
        self.dso_threshold_days = dso_threshold_days
        self.late_threshold_days = late_threshold_days
        self.min_invoices = min_invoices
        self.grace_days = grace_days
        self.default_terms_days = default_terms_days

    def _detect(self, frames: Frames, context: DetectionContext) -> list[Candidate]:
        inv = self._prepare(docs.sales_only(frames), context)
        as_of = fr.as_of(context)
        today = as_of.normalize()
        window_start = today - pd.Timedelta(days=self.window_days)
        in_window = (inv["issued"] > window_start) & (inv["issued"] <= today)
        considered = int(in_window.sum())
        if considered < self.min_invoices:
            return []

        settled = inv["paid"].notna() & (inv["paid"] <= as_of)
        paid_unknown = inv["paid_unknown"]
        is_open = (inv["issued"] <= today) & ~settled & ~paid_unknown
        end = inv["paid"].dt.normalize().where(settled, today)
        days_late = fr.to_days(end - inv["due"])
        has_lateness = in_window & (settled | (is_open & (days_late > 0)))
        late = has_lateness & (days_late > self.grace_days)
        median_late = float(days_late[has_lateness].median()) if has_lateness.any() else 0.0
        late_share = float(late.sum() / has_lateness.sum()) if has_lateness.any() else 0.0

        money = inv["in_currency"] if inv["in_currency"].any() else pd.Series(True, inv.index)
        outstanding = inv["total"].where(inv["paid"] > as_of, inv["balance"]).clip(lower=0.0)
        receivables = float(outstanding[is_open & money].sum())
        overdue = float(outstanding[is_open & money & (inv["due"] < today)].sum())
        billed = float(inv["total"][in_window & money].sum())
        dso = receivables / billed * self.window_days if billed > 0 else 0.0
        overdue_days = fr.to_days(end.clip(upper=today) - inv["due"]).clip(lower=0.0)
        avg_overdue = float((inv["total"] * overdue_days)[in_window & money].sum())
        avg_overdue /= self.window_days
        paid_in_window = in_window & settled & money
        weights = inv["total"][paid_in_window]
        collection = fr.to_days(end - inv["issued"])[paid_in_window]
        avg_collection = (
            float((collection * weights).sum() / weights.sum()) if weights.sum() else 0.0
        )

        if dso < self.dso_threshold_days and median_late < self.late_threshold_days:
            return []
        evidence = inv[late]
        if evidence.empty:
            evidence = inv[in_window & is_open]
        if evidence.empty:
            evidence = inv[in_window]
        first_issued = inv["issued"][in_window].min()
        months = fr.months_covered(first_issued, today)
        late_count = int(late.sum())
        ratio = max(
            dso / self.dso_threshold_days if self.dso_threshold_days > 0 else 2.0,
            median_late / self.late_threshold_days if self.late_threshold_days > 0 else 2.0,
        )
        severity = min(1.0, max(0.0, ratio - 0.5))
        confidence = 0.4 * fr.support_score(considered, 10.0) + 0.4 * severity + 0.2 * late_share
        cash = avg_overdue * context.cost_of_capital / 12
        currency = context.currency
        return [
            Candidate(
                kind=self.kind,
                category=self.category,
                subject=Subject("business", None, context.business),
                title=(
                    f"{context.business}'s invoices take about {dso:.0f} days to collect "
                    f"(median {median_late:.0f} days late)"
                ),
                summary=(
                    f"Of {considered} invoices issued in the last {self.window_days} days, "
                    f"{late_count} ({late_share:.0%} of those already due) were paid, or are "
                    f"still unpaid, more than {self.grace_days} days after their due date. "
                    f"The median invoice is {median_late:.0f} days late, days sales "
                    f"outstanding is {dso:.0f} days and "
                    f"{fr.format_money(overdue, currency)} was overdue on {today:%d %b %Y}."
                ),
                suggested_automation=(
                    "Turn on automatic payment reminders in your accounting tool (QuickBooks: "
                    "Automatic invoice reminders; Xero: Invoice reminders) 3 days before, on, "
                    "and 7 and 14 days after the due date, and add an online pay-now link to "
                    "every invoice."
                ),
                record_ids=fr.sorted_strings(evidence["source_id"]),
                sources=fr.sorted_strings(evidence["source"]),
                period_start=fr.to_date(evidence["issued"].min()),
                period_end=fr.to_date(end[evidence.index].max()),
                hours_saved_per_month=round(
                    late_count / months * context.minutes("chase_payment") / 60, 4
                ),
                cash_impact_per_month=round(cash, 2),
                confidence=round(min(1.0, max(0.0, confidence)), 4),
                metrics={
                    "dso_days": round(dso, 2),
                    "median_days_late": round(median_late, 2),
                    "late_share": round(late_share, 4),
                    "overdue_receivables": round(overdue, 2),
                    "invoices_considered": float(considered),
                    "late_invoices": float(late_count),
                    "avg_collection_days": round(avg_collection, 2),
                    "avg_overdue_balance": round(avg_overdue, 2),
                    "billed_in_window": round(billed, 2),
                },
            )
        ]

    def _prepare(self, frames: Frames, context: DetectionContext) -> pd.DataFrame:
        """Typed, non-void, non-draft invoices with due and payment dates filled in."""
        raw = frames[RecordKind.INVOICE]
        issued = fr.as_dates(raw["issued_on"])
        due = fr.as_dates(raw["due_on"]).fillna(issued + pd.Timedelta(days=self.default_terms_days))
        status = fr.lowered(raw["status"])
        facts = pay.payment_facts(raw, frames.get(RecordKind.PAYMENT))
        paid = facts["paid_at"]
        total = fr.as_money(raw["total"])
        currency = fr.lowered(raw["currency"])
        frame = pd.DataFrame(
            {
                "source_id": fr.as_text(raw["source_id"]),
                "source": fr.as_text(raw["source"]),
                "issued": issued,
                "due": due,
                "paid": paid,
                "paid_unknown": ((facts["state"] == pay.PAID) & paid.isna()).to_numpy(),
                "total": total,
                "balance": fr.as_money(raw["balance"]).fillna(total),
                "status": status,
                "in_currency": currency.isna() | (currency == context.currency.lower()),
            },
            copy=False,
        )
        known = facts["state"] != pay.UNKNOWN
        keep = ~status.isin(["void", "draft"]) & issued.notna() & total.notna() & known
        return frame[keep.to_numpy()]
