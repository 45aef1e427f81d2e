"""Customers invoiced by hand on a steady schedule for a near-identical amount."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

import pandas as pd

from busywork.store.records import RecordKind
from detectors import _cadence as cad
from detectors import _distinct as ds
from detectors import _documents as docs
from detectors import _frames as fr
from detectors import _origin
from detectors import _templates as tmpl
from detectors._codes import frequent_rows
from detectors._coverage import Fact
from detectors._facts import INVOICE_CUSTOMERS
from detectors._invoice_customers import CUSTOMER_COLUMNS, InvoiceCustomers, invoice_customers
from detectors._subject_keys import subject_keys
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

_VOID = frozenset({"void"})


@register
class RecurringInvoiceDetector(Detector):
    """Finds customers who are invoiced by hand every week, fortnight, month or quarter.

    For each customer, manual (non-void) sales invoices (no credit notes, refunds, fees …) are
    sorted by issue date and the gaps between them are matched to each cadence. A gap is on
    schedule when it is within the tolerance of one period, or of two periods (one skipped
    period, allowed once per run). A gap longer than two periods plus the tolerance ends a run;
    only the latest run counts. The cadence with the largest share of on-schedule gaps wins. A
    finding needs enough invoices in the run, a high on-schedule share, a stable amount (robust
    coefficient of variation: 1.4826 * median absolute deviation / median) and a run that is
    still going at ``context.as_of``. A customer keyed twice (two ids, a typo in one name, the
    same e-mail; :mod:`detectors._customers`) is one customer: the finding is filed under its
    first id, carries the other ids as ``alt_ids`` and the links that joined them. A customer
    with an active, scheduled invoice template (``recurring_template``, when given) is already
    automated and gets no finding. Where the source cannot say how the invoices were made (no
    ``origin``: a web-shop export), the finding does not claim they were made by hand: its
    confidence is lowered and its summary says what is unknown (:mod:`detectors._origin`).

    Metrics: ``cadence_days``, ``occurrences`` (invoices in the run), ``typical_amount``
    (median total), ``amount_cv``, ``regular_share`` (on-schedule gaps / gaps),
    ``skipped_periods``, ``median_gap_days`` and ``invoices_per_month``.

    Args:
        min_occurrences: Fewest manual invoices in the run for a finding.
        min_regular_share: Smallest share of gaps that must be on schedule (0-1).
        max_amount_cv: Largest robust coefficient of variation of the invoice totals.
        tolerance: Allowed deviation of a gap from the cadence, as a fraction of the cadence.
        min_tolerance_days: Floor on the allowed deviation in days (so weekly allows ±2 days).
        max_idle_periods: The latest invoice must be at most this many periods (plus the
            tolerance) before ``context.as_of`` for the run to count as still active.
    """

    kind: ClassVar[str] = "recurring_invoice"
    category: ClassVar[Category] = "repetitive_task"
    required_columns: ClassVar[dict[RecordKind, tuple[str, ...]]] = {
        RecordKind.INVOICE: (
            "source_id",
            "source",
            "customer_id",
            "customer_name",
            "issued_on",
            "total",
            "origin",
            "status",
            "description",
            "doc_type",
            "number",
            "created_at",
        ),
    }
    optional_columns: ClassVar[dict[RecordKind, tuple[str, ...]]] = {
        **tmpl.OPTIONAL_TEMPLATES,
        RecordKind.CUSTOMER: CUSTOMER_COLUMNS,
    }

    subject_columns: ClassVar[dict[RecordKind, str]] = {RecordKind.INVOICE: "customer_id"}
    #: Re-detected per subject at once; when a batch cannot be scoped, still at once.
    min_rerun: ClassVar[timedelta] = timedelta(0)
    subject_type: ClassVar[SubjectType | None] = "customer"

    facts: ClassVar[tuple[Fact, ...]] = (INVOICE_CUSTOMERS,)
    checks: ClassVar[str] = "repeat invoicing"

    def __init__(
        self,
        *,
        min_occurrences: int = 5,
        min_regular_share: float = 0.8,
        max_amount_cv: float = 0.15,
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
        invoices = _manual_invoices(docs.sales_invoices(frames[RecordKind.INVOICE]), context)
        invoices = tmpl.without_templated(
            invoices,
            frames,
            context,
            document="invoice",
            id_column="customer_id",
            name_column="customer_name",
        )
        if invoices.empty:
            return []
        resolved = invoice_customers(invoices, frames.get(RecordKind.CUSTOMER))
        invoices = invoices.assign(
            key=resolved.key, raw_id=invoices["customer_id"], customer_id=resolved.customer_id
        )
        # Only customers with enough invoices can have a run: counted on the keys' codes.
        invoices = invoices[frequent_rows(resolved.key_code, self.min_occurrences)]
        # Invoices to one customer keep one price; the bills' extra amount check is not needed.
        rules = cad.CadenceRules(**self.get_params(), require_near_amounts=False)
        runs = cad.find_runs(invoices, rules, fr.as_of(context).normalize())
        return [self._candidate(run, resolved, context) for run in runs]

    def _candidate(
        self, run: cad.Run, resolved: InvoiceCustomers, context: DetectionContext
    ) -> Candidate:
        """Build the finding for one customer's run."""
        evidence, unit, first, last = run.evidence, run.unit, run.first, run.last
        occurrences, per_month = run.occurrences, run.per_month
        cv, share = run.amount_cv, run.regular_share
        money = fr.format_money(run.typical_amount, context.currency)
        ids = evidence["customer_id"].dropna()
        customer_id = str(ids.iloc[-1]) if not ids.empty else None
        own = evidence[(evidence["raw_id"] == customer_id).to_numpy()]
        names = (own if not own.empty else evidence)["customer_name"].dropna()
        name = str(names.iloc[-1]) if not names.empty else customer_id or "Unknown customer"
        descriptions = evidence["description"].dropna().astype("str").value_counts()
        certainty = _origin.assess(
            evidence["origin"],
            number=evidence["number"],
            created_at=evidence["created_at"],
            timezone=context.timezone,
        )
        how = certainty.by_hand(" by hand")
        described = ""
        if not descriptions.empty:
            top = descriptions[descriptions == descriptions.max()].sort_index().index[0]
            described = f' The invoices are usually described as "{top}".'
        return Candidate(
            kind=self.kind,
            category=self.category,
            subject=Subject(
                "customer", customer_id, name, alt_ids=resolved.alt_ids.get(customer_id or "", ())
            ),
            title=f"{name} is invoiced{how} every {unit} ({occurrences} times, ~{money})",
            summary=(
                f"{occurrences} invoices to {name} were created{how} between "
                f"{first:%d %b %Y} and {last:%d %b %Y}, about one every "
                f"{run.median_gap:.0f} days ({share:.0%} of them on schedule), "
                f"typically {money} ({cad.spread_words(cv)}).{described}"
                + certainty.caveat("invoices")
            ),
            suggested_automation=(
                f"Set up a recurring invoice template for {name} in your accounting tool "
                f"(QuickBooks: Recurring transactions; Xero: Repeating invoices) that sends "
                f"{money} every {unit} automatically."
            ),
            record_ids=fr.sorted_strings(evidence["source_id"]),
            sources=fr.sorted_strings(evidence["source"]),
            period_start=fr.to_date(first),
            period_end=fr.to_date(last),
            hours_saved_per_month=round(per_month * context.minutes("create_invoice") / 60, 4),
            cash_impact_per_month=0.0,
            confidence=fr.clamp01(
                cad.run_confidence(occurrences, share, cv, self.max_amount_cv) * certainty.factor
            ),
            metrics=run.metrics("invoices_per_month"),
            links=resolved.links.get(customer_id or "", ()),
        )


def _manual_invoices(raw: pd.DataFrame, context: DetectionContext) -> pd.DataFrame:
    """Manual, non-void invoices issued by ``context.as_of``, keyed by customer."""
    customer_id = fr.as_text(raw["customer_id"])
    customer_name = fr.as_text(raw["customer_name"])
    keys = subject_keys(raw, "customer_id", "customer_name")  # duplicate_entry's too
    frame = pd.DataFrame(
        {
            "key": keys.text,
            "source_id": fr.as_text(raw["source_id"]),
            "source": fr.as_text(raw["source"]),
            "customer_id": customer_id,
            "customer_name": customer_name,
            "issued": fr.as_dates(raw["issued_on"]),
            "amount": fr.as_money(raw["total"]),
            "description": fr.as_text(raw["description"]),
            "origin": raw["origin"].to_numpy(dtype=object, copy=True),  # not a view of raw
            "number": fr.as_text(raw["number"]),
            "created_at": fr.as_datetimes(raw["created_at"]),
        },
        copy=False,
    )
    today = fr.as_of(context).normalize()
    keep = (
        fr.is_manual(raw["origin"]).to_numpy()
        & ~ds.lowered_in(raw["status"], _VOID)
        & (keys.codes >= 0)
        & (frame["issued"] <= today).to_numpy()
    )
    return frame[keep]
