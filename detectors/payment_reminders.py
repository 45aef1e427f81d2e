"""Customers who routinely pay late, so someone chases them by hand (or nobody does)."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd

from busywork.store.records import RecordKind
from detectors import _documents as docs
from detectors import _frames as fr
from detectors import _payments as pay
from detectors._codes import frequent_rows
from detectors._coverage import Fact
from detectors._facts import INVOICE_CUSTOMERS, PAYMENT_DATES
from detectors._invoice_customers import CUSTOMER_COLUMNS, InvoiceCustomers, invoice_customers
from detectors._ordering import sort_keyed
from detectors.base import Candidate, Category, DetectionContext, Detector, Frames, Subject
from detectors.registry import register


@register
class PaymentRemindersDetector(Detector):
    """Finds customers whose invoices are routinely paid late.

    Manual sales invoices (not void or draft; never credit notes, refunds or fees) issued in
    the trailing ``window_days`` are considered; invoices made by a subscription or an
    integration usually collect themselves and are left out. Lateness is business days
    (context calendar) from the due date (``issued_on + default_terms_days`` when missing) to
    the payment, or to ``as_of`` for invoices still open past their due date; open invoices
    not yet due have no lateness. An invoice is late when its lateness exceeds
    ``grace_days``. Payment facts are read through :func:`detectors._payments.payment_facts`,
    so a paid invoice without a date of its own takes the day its linked payments covered it,
    and an invoice the data says nothing about is neither paid nor late: it is left out.
    Without payment dates on enough invoices the detector does not report
    (``docs/data-coverage.md``).

    A customer is reported when it has at least ``min_invoices`` invoices with a lateness,
    at least ``min_late_share`` of them late, a median lateness of ``min_median_days_late``
    business days or more, and that median is at least ``min_ratio_to_business`` times the
    business-wide median: where every customer pays late, ``slow_collection`` reports the
    business as a whole instead of every customer separately. A customer keyed twice (two ids,
    a typo in one name, the same e-mail; :mod:`detectors._customers`) is one customer, filed
    under its first id with the other ids as ``alt_ids`` and the links that joined them.

    Cash impact is the cost of carrying the late money: sum of amount * calendar days late
    over the window, / ``window_days`` * ``context.cost_of_capital`` / 12. Hours saved are
    late invoices per month * the ``chase_payment`` minutes.

    Metrics: ``invoices_considered``, ``late_invoices``, ``late_share``,
    ``median_days_late`` (business days), ``business_median_days_late``,
    ``overdue_balance`` and ``late_amount``.

    Args:
        window_days: Length of the trailing window, in days, ending at ``context.as_of``.
        min_invoices: Fewest invoices with a lateness for a finding.
        min_late_share: Smallest share of those that are late (0-1).
        min_median_days_late: Smallest median lateness, in business days.
        min_ratio_to_business: How many times the business's median lateness the customer's
            median must reach.
        grace_days: Business days past due not yet counted as late.
        default_terms_days: Payment terms assumed when an invoice has no due date.
    """

    kind: ClassVar[str] = "payment_reminders"
    category: ClassVar[Category] = "repetitive_task"
    required_columns: ClassVar[dict[RecordKind, tuple[str, ...]]] = {
        RecordKind.INVOICE: (
            "source_id",
            "source",
            "customer_id",
            "customer_name",
            "issued_on",
            "due_on",
            "paid_at",
            "total",
            "balance",
            "status",
            "origin",
            "doc_type",
        ),
    }
    optional_columns: ClassVar[dict[RecordKind, tuple[str, ...]]] = {
        **pay.OPTIONAL_PAYMENTS,
        RecordKind.CUSTOMER: CUSTOMER_COLUMNS,
    }
    facts: ClassVar[tuple[Fact, ...]] = (PAYMENT_DATES, INVOICE_CUSTOMERS)
    checks: ClassVar[str] = "late payers"

    def __init__(
        self,
        *,
        window_days: int = 365,
        min_invoices: int = 6,
        min_late_share: float = 0.6,
        min_median_days_late: float = 10.0,
        min_ratio_to_business: float = 2.0,
        grace_days: int = 5,
        default_terms_days: int = 30,
    ) -> None:
        self.window_days = window_days
        self.min_invoices = min_invoices
        self.min_late_share = min_late_share
        self.min_median_days_late = min_median_days_late
        self.min_ratio_to_business = min_ratio_to_business
        self.grace_days = grace_days
        self.default_terms_days = default_terms_days

    def _detect(self, frames: Frames, context: DetectionContext) -> list[Candidate]:
        inv = self._prepare(frames, context)
        if inv.empty:
            return []
        resolved = invoice_customers(inv, frames.get(RecordKind.CUSTOMER))
        inv = inv.assign(key=resolved.key, key_code=resolved.key_code, raw_id=inv["customer_id"])
        inv = inv.assign(customer_id=resolved.customer_id)[resolved.key_code >= 0]
        today = fr.as_of(context).normalize()
        settled = inv["paid"].notna() & (inv["paid"] <= fr.as_of(context))
        end = inv["paid"].dt.normalize().where(settled, today)
        calendar_late = fr.to_days(end - inv["due"])
        # Paid with no payment date: settled at an unknown time, so no lateness to measure.
        paid_unknown = inv["paid_unknown"]
        rated = settled | ((calendar_late > 0) & ~paid_unknown)
        inv = inv.assign(
            end=end,
            settled=settled,
            calendar_late=calendar_late.clip(lower=0.0),
            late_days=fr.business_days_between(inv["due"], end, context.calendar).clip(lower=0),
        )[rated.to_numpy()]
        if inv.empty:
            return []
        inv["late"] = inv["late_days"] > self.grace_days
        business_median = float(inv["late_days"].median())
        # The business's median needs every invoice; a customer's figures need enough of them.
        inv = inv[frequent_rows(inv["key_code"].to_numpy(), self.min_invoices)]
        inv = sort_keyed(inv, "issued")
        stats = inv.groupby("key").agg(
            considered=("late", "size"), late=("late", "sum"), median=("late_days", "median")
        )
        stats["share"] = stats["late"] / stats["considered"]
        hits = stats[
            (stats["considered"] >= self.min_invoices)
            & (stats["share"] >= self.min_late_share)
            & (stats["median"] >= self.min_median_days_late)
            & (stats["median"] >= business_median * self.min_ratio_to_business)
        ]
        return [
            self._candidate(inv[inv["key"] == key], row, business_median, resolved, context)
            for key, row in hits.sort_index().iterrows()
        ]

    def _candidate(
        self,
        rows: pd.DataFrame,
        stats: pd.Series[float],
        business_median: float,
        resolved: InvoiceCustomers,
        context: DetectionContext,
    ) -> Candidate:
        """Build the finding for one customer."""
        late = rows[rows["late"]]
        customer_id = fr.last_text(rows["customer_id"])
        own = rows[(rows["raw_id"] == customer_id).to_numpy()]
        name = (
            fr.last_text((own if not own.empty else rows)["customer_name"])
            or customer_id
            or "Unknown customer"
        )
        median = float(stats["median"])
        share = float(stats["share"])
        considered = int(stats["considered"])
        months = fr.months_covered(rows["issued"].min(), fr.as_of(context))
        overdue = float(rows.loc[~rows["settled"], "balance"].clip(lower=0).sum())
        carried = float((rows["total"] * rows["calendar_late"]).sum()) / self.window_days
        cash = carried * context.cost_of_capital / 12
        severity = min(1.0, median / (2 * self.min_median_days_late or 1.0))
        confidence = 0.4 * fr.support_score(considered, 4.0) + 0.3 * share + 0.3 * severity
        currency = context.currency
        return Candidate(
            kind=self.kind,
            category=self.category,
            subject=Subject(
                "customer", customer_id, name, alt_ids=resolved.alt_ids.get(customer_id or "", ())
            ),
            title=(
                f"{name} pays late {share:.0%} of the time (median {plural_days(median)} past due)"
            ),
            summary=(
                f"{len(late)} of {considered} invoices to {name} since "
                f"{rows['issued'].min():%d %b %Y} were paid, or are still unpaid, more than "
                f"{self.grace_days} business days after their due date; the median is "
                f"{plural_days(median)} late against {plural_days(business_median)} for the "
                f"business as a whole. {fr.format_money(overdue, currency)} is overdue now."
            ),
            suggested_automation=(
                f"Turn on automatic payment reminders for {name} (QuickBooks: Automatic "
                f"invoice reminders; Xero: Invoice reminders) and add a pay-now link or a "
                f"direct debit mandate to their invoices."
            ),
            record_ids=fr.sorted_strings(late["source_id"]),
            sources=fr.sorted_strings(late["source"]),
            period_start=fr.to_date(late["issued"].min()),
            period_end=fr.to_date(late["end"].max()),
            hours_saved_per_month=round(
                len(late) / months * context.minutes("chase_payment") / 60, 4
            ),
            cash_impact_per_month=round(cash, 2),
            confidence=fr.clamp01(confidence),
            metrics={
                "invoices_considered": float(considered),
                "late_invoices": float(len(late)),
                "late_share": round(share, 4),
                "median_days_late": round(median, 2),
                "business_median_days_late": round(business_median, 2),
                "overdue_balance": round(overdue, 2),
                "late_amount": round(float(late["total"].sum()), 2),
            },
            links=resolved.links.get(customer_id or "", ()),
        )

    def _prepare(self, frames: Frames, context: DetectionContext) -> pd.DataFrame:
        """Manual, issued, non-void, non-draft invoices in the window that name a customer."""
        raw = docs.sales_invoices(frames[RecordKind.INVOICE])
        today = fr.as_of(context).normalize()
        window = pd.Timedelta(days=self.window_days)
        issued_on = fr.as_dates(raw["issued_on"])
        raw = fr.in_window(raw, issued_on, today - window, today, self.reads(RecordKind.INVOICE))
        facts = pay.payment_facts(raw, frames.get(RecordKind.PAYMENT))
        paid = facts["paid_at"]
        issued = fr.as_dates(raw["issued_on"])
        terms = pd.Timedelta(days=self.default_terms_days)
        total = fr.as_money(raw["total"])
        customer_id = fr.as_text(raw["customer_id"])
        customer_name = fr.as_text(raw["customer_name"])
        frame = pd.DataFrame(
            {
                "source_id": fr.as_text(raw["source_id"]),
                "source": fr.as_text(raw["source"]),
                "customer_id": customer_id,
                "customer_name": customer_name,
                "issued": issued,
                "due": fr.as_dates(raw["due_on"]).fillna(issued + terms),
                "paid": paid,
                "paid_unknown": ((facts["state"] == pay.PAID) & paid.isna()).to_numpy(),
                "total": total,
                "balance": fr.as_money(raw["balance"]).fillna(total),
                "status": fr.lowered(raw["status"]),
            }
        )
        status = frame["status"]
        keep = (
            fr.is_manual(raw["origin"])
            & ~status.isin(["void", "draft"])
            & (facts["state"] != pay.UNKNOWN)
            & fr.has_subject(customer_id, customer_name)
            & total.notna()
            & (issued > today - pd.Timedelta(days=self.window_days))
            & (issued <= today)
        )
        return frame[keep.to_numpy()]


def plural_days(days: float) -> str:
    """Days as text: "12 business days"."""
    return fr.plural(days, "business day")
