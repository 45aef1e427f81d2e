"""Customers invoiced by hand on a steady schedule for a near-identical amount."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from busywork.store.records import RecordKind
from detectors import _frames as fr
from detectors.base import Candidate, Category, DetectionContext, Detector, Frames, Subject
from detectors.registry import register

#: Cadences looked for: name, days per period, and the phrase used in messages.
CADENCES: tuple[tuple[str, float, str], ...] = (
    ("weekly", 7.0, "week"),
    ("fortnightly", 14.0, "two weeks"),
    ("monthly", fr.DAYS_PER_MONTH, "month"),
    ("quarterly", 365.25 / 4, "quarter"),
)


@register
class RecurringInvoiceDetector(Detector):
    """Finds customers who are invoiced by hand every week, fortnight, month or quarter.

    For each customer, manual (non-void) invoices are sorted by issue date and the gaps between
    them are matched to each cadence. A gap is on schedule when it is within the tolerance of
    one period, or of two periods (one skipped period, allowed once per run). A gap longer than
    two periods plus the tolerance ends a run; only the latest run counts. The cadence with the
    largest share of on-schedule gaps wins. A finding needs enough invoices in the run, a high
    on-schedule share, a stable amount (robust coefficient of variation: 1.4826 * median
    absolute deviation / median) and a run that is still going at ``context.as_of``.

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
        ),
    }

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
        invoices = _manual_invoices(frames[RecordKind.INVOICE], context)
        if invoices.empty:
            return []
        # Integer keys: every groupby below would otherwise re-factorize the text keys.
        invoices["key"] = pd.factorize(invoices["key"], sort=True)[0]
        gaps = fr.to_days(invoices.groupby("key", sort=False)["issued"].diff())
        today = fr.as_of(context).normalize()
        runs: dict[str, pd.Series[bool]] = {}
        summaries = []
        for name, days, _ in CADENCES:
            runs[name], summary = self._score_cadence(invoices, gaps, days, today)
            summaries.append(summary.assign(cadence=name, cadence_days=days))
        scores = pd.concat(summaries).reset_index()
        scores = scores[scores["qualifies"]].sort_values(
            ["key", "regular_share", "single", "occurrences", "cadence_days"],
            ascending=[True, False, False, False, True],
        )
        best = scores.drop_duplicates("key")
        candidates = []
        for row in best.itertuples(index=False):
            evidence = invoices[runs[str(row.cadence)] & (invoices["key"] == row.key)]
            candidates.append(self._candidate(evidence, row, context))
        return candidates

    def _score_cadence(
        self, invoices: pd.DataFrame, gaps: pd.Series[float], days: float, today: pd.Timestamp
    ) -> tuple[pd.Series[bool], pd.DataFrame]:
        """Mark each customer's latest run under one cadence and summarise it per customer."""
        key = invoices["key"]
        tol = max(self.min_tolerance_days, self.tolerance * days)
        periods = (gaps / days).round()
        close = (gaps - periods * days).abs() <= tol
        starts = gaps.isna() | (gaps > 2 * days + tol)
        run_no = starts.astype("int64").groupby(key).cumsum()
        in_run = run_no == run_no.groupby(key).transform("max")
        run_gap = in_run & ~starts
        single = run_gap & close & (periods == 1)
        skip = run_gap & close & (periods == 2)
        first_skip = skip & (skip.astype("int64").groupby(key).cumsum() == 1)
        amounts = invoices["total"].where(in_run)
        median = amounts.groupby(key).transform("median")
        deviation = (amounts - median).abs()
        frame = pd.DataFrame(
            {
                "key": key,
                "in_run": in_run,
                "gap": run_gap,
                "regular": single | first_skip,
                "single": single,
                "skip": first_skip,
                "last": invoices["issued"].where(in_run),
                "median": median,
                "deviation": deviation,
                "gap_days": gaps.where(run_gap),
            }
        )
        summary = frame.groupby("key").agg(
            occurrences=("in_run", "sum"),
            gaps=("gap", "sum"),
            regular=("regular", "sum"),
            single=("single", "sum"),
            skipped=("skip", "sum"),
            last=("last", "max"),
            typical_amount=("median", "first"),
            mad=("deviation", "median"),
            median_gap=("gap_days", "median"),
        )
        summary["regular_share"] = summary["regular"] / summary["gaps"].where(summary["gaps"] > 0)
        positive = summary["typical_amount"].where(summary["typical_amount"] > 0)
        summary["amount_cv"] = (1.4826 * summary["mad"] / positive).fillna(np.inf)
        idle_days = fr.to_days(today - summary["last"])
        summary["qualifies"] = (
            (summary["occurrences"] >= self.min_occurrences)
            & (summary["regular_share"].fillna(0.0) >= self.min_regular_share)
            & (summary["amount_cv"] <= self.max_amount_cv)
            & (idle_days <= self.max_idle_periods * days + tol)
        )
        return in_run, summary

    def _candidate(self, evidence: pd.DataFrame, row: Any, context: DetectionContext) -> Candidate:
        """Build the finding for one customer's run."""
        cadence_days = float(row.cadence_days)
        unit = next(phrase for cadence, _, phrase in CADENCES if cadence == row.cadence)
        first, last = evidence["issued"].min(), evidence["issued"].max()
        occurrences = len(evidence)
        # Each invoice stands for one period, so the run covers up to one period past the last.
        months = fr.months_covered(first, last + pd.Timedelta(days=cadence_days - 1))
        per_month = occurrences / months
        typical = float(row.typical_amount)
        cv = float(row.amount_cv)
        share = float(row.regular_share)
        money = fr.format_money(typical, context.currency)
        names = evidence["customer_name"].dropna()
        ids = evidence["customer_id"].dropna()
        customer_id = str(ids.iloc[-1]) if not ids.empty else None
        name = str(names.iloc[-1]) if not names.empty else customer_id or "Unknown customer"
        descriptions = evidence["description"].dropna().astype("str").value_counts()
        described = ""
        if not descriptions.empty:
            top = descriptions[descriptions == descriptions.max()].sort_index().index[0]
            described = f' The invoices are usually described as "{top}".'
        stability = max(0.0, 1.0 - 0.5 * cv / self.max_amount_cv) if self.max_amount_cv else 1.0
        confidence = 0.5 * fr.support_score(occurrences, 3.0) + 0.3 * share + 0.2 * stability
        return Candidate(
            kind=self.kind,
            category=self.category,
            subject=Subject("customer", customer_id, name),
            title=f"{name} is invoiced by hand every {unit} ({occurrences} times, ~{money})",
            summary=(
                f"{occurrences} invoices to {name} were created by hand between "
                f"{first:%d %b %Y} and {last:%d %b %Y}, about one every "
                f"{float(row.median_gap):.0f} days ({share:.0%} of them on schedule), "
                f"typically {money} (amounts vary by about {cv:.0%}).{described}"
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
            confidence=round(min(1.0, max(0.0, confidence)), 4),
            metrics={
                "cadence_days": round(cadence_days, 2),
                "occurrences": float(occurrences),
                "typical_amount": round(typical, 2),
                "amount_cv": round(cv, 4),
                "regular_share": round(share, 4),
                "skipped_periods": float(row.skipped),
                "median_gap_days": float(row.median_gap),
                "invoices_per_month": round(per_month, 4),
            },
        )


def _manual_invoices(raw: pd.DataFrame, context: DetectionContext) -> pd.DataFrame:
    """Manual, non-void invoices issued by ``context.as_of``, keyed by customer and sorted."""
    customer_id = fr.as_text(raw["customer_id"])
    customer_name = fr.as_text(raw["customer_name"])
    key = ("id:" + customer_id).fillna("name:" + fr.normalise_name(customer_name))
    frame = pd.DataFrame(
        {
            "key": key,
            "source_id": fr.as_text(raw["source_id"]),
            "source": fr.as_text(raw["source"]),
            "customer_id": customer_id,
            "customer_name": customer_name,
            "issued": fr.as_dates(raw["issued_on"]),
            "total": fr.as_money(raw["total"]),
            "description": fr.as_text(raw["description"]),
        }
    )
    today = fr.as_of(context).normalize()
    keep = (
        fr.is_manual(raw["origin"]).to_numpy()
        & (fr.lowered(raw["status"]) != "void").to_numpy()
        & frame["key"].notna().to_numpy()
        & (frame["issued"] <= today).to_numpy()
    )
    return frame[keep].sort_values(["key", "issued", "source_id"]).reset_index(drop=True)
