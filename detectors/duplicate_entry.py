"""The same invoice or bill entered twice, in one system or in two."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd

from busywork.store.records import RecordKind
from detectors import _documents as docs
from detectors import _frames as fr
from detectors import _origin
from detectors._coverage import Fact
from detectors._matching import MATCHED
from detectors._repeats import mark_repeats, without_sessions
from detectors._reversals import find_reversals
from detectors._same_amount import ledger
from detectors._sessions import SESSION_COLUMNS
from detectors.base import Candidate, Category, DetectionContext, Detector, Frames, Subject
from detectors.registry import register


@register
class DuplicateEntryDetector(Detector):
    """Finds customers and vendors with invoices or bills entered twice.

    Two manual, non-void records of the same kind are duplicates when they are for the same
    customer (or vendor), for the same amount to the cent in the same currency (the same
    figure in pounds and in dollars is two sales), and either issued at most
    ``max_gap_days`` apart with the same content, or, for bills, carry the same supplier
    reference (``number``) whatever their dates. The content is the description; an
    invoice without one is compared by its lines (``invoice_line``, when given: same items,
    quantities and amounts in any order); blank counts as the same. Only sales invoices are
    compared (never credit notes, refunds or fees). Records from two different sources
    (e.g. Stripe and the books) that match are the classic "entered in two systems by
    hand"; automated records are never counted. One repeat is enough for a finding
    (``min_duplicates``), with a lower confidence than a habit of repeats: a single pair
    can still be two real sessions on the same day at the same price. Where the source
    does not say how the records were made (no ``origin``), a lone repeat without a matching
    supplier reference or second system is not reported at all: in a card
    ledger or a shop export two identical charges on one day are ordinary.

    Identical invoices are two sales when the calendar says so: a run of ``n`` of them
    is not reported when the customer had ``n`` held sessions on one day in the
    ``max_session_lag_days`` before (appointments and customers are read when given; see
    :mod:`detectors._sessions`).

    Credit notes, refunds and fees are never evidence. An invoice that a credit note of the
    same customer cancels to the cent within ``max_reversal_days`` is set aside before
    comparing: that invoice and the one keyed again after it are a correction, one sale,
    not an invoice entered twice.

    Where the source cannot say how the records were made (no ``origin``), the finding
    says so and its confidence is lowered (see :mod:`detectors._origin`).

    Cash impact: duplicate bills that were paid twice are money lost until recovered, spread
    over the months covered; duplicate invoices cost a credit note and goodwill but no cash.
    Hours saved: duplicates per month * the ``reconcile_duplicate`` minutes.

    Metrics: ``duplicates`` (records that repeat an earlier one), ``duplicate_amount``,
    ``paid_twice_amount``, ``cross_source`` (duplicates found in a second system) and
    ``records_checked``.

    Args:
        max_gap_days: Most calendar days between two entries of the same record.
        min_duplicates: Fewest duplicate records for a finding.
        max_reversal_days: Most calendar days from an invoice to the credit note cancelling
            it (such an invoice is set aside).
        max_session_lag_days: Most calendar days from a session to the invoice billing it.
    """

    kind: ClassVar[str] = "duplicate_entry"
    category: ClassVar[Category] = "repetitive_task"
    required_columns: ClassVar[dict[RecordKind, tuple[str, ...]]] = {
        RecordKind.INVOICE: (
            "source_id",
            "source",
            "customer_id",
            "customer_name",
            "issued_on",
            "total",
            "status",
            "origin",
            "description",
            "number",
            "created_at",
            "doc_type",
            "currency",
            "customer_email",
        ),
        RecordKind.BILL: (
            "source_id",
            "source",
            "vendor_id",
            "vendor_name",
            "number",
            "issued_on",
            "total",
            "status",
            "origin",
            "description",
            "currency",
        ),
    }
    optional_columns: ClassVar[dict[RecordKind, tuple[str, ...]]] = {
        RecordKind.INVOICE_LINE: ("invoice_id", "item", "description", "quantity", "amount"),
        RecordKind.APPOINTMENT: SESSION_COLUMNS[RecordKind.APPOINTMENT],
        RecordKind.CUSTOMER: SESSION_COLUMNS[RecordKind.CUSTOMER],
    }

    facts: ClassVar[tuple[Fact, ...]] = ()
    checks: ClassVar[str] = "double entry"
    shares: ClassVar[frozenset[str]] = frozenset((MATCHED,))

    def __init__(
        self,
        *,
        max_gap_days: int = 3,
        min_duplicates: int = 1,
        max_reversal_days: int = 14,
        max_session_lag_days: int = 14,
    ) -> None:
        self.max_gap_days = max_gap_days
        self.min_duplicates = min_duplicates
        self.max_reversal_days = max_reversal_days
        self.max_session_lag_days = max_session_lag_days

    def _detect(self, frames: Frames, context: DetectionContext) -> list[Candidate]:
        today = fr.as_of(context).normalize()
        raw = frames[RecordKind.INVOICE]
        reversals = find_reversals(raw, today, self.max_reversal_days)
        sales = docs.sales_invoices(raw)
        # A cancelled invoice and the one keyed again are a correction: one sale, not two.
        if not reversals.empty:
            sales = sales[~fr.as_text(sales["source_id"]).isin(reversals["invoice_id"]).to_numpy()]
        invoices = ledger(sales, "customer", today, frames.get(RecordKind.INVOICE_LINE))
        bills = ledger(frames[RecordKind.BILL], "vendor", today, None)
        repeated_sales = mark_repeats(invoices.repeats, self.max_gap_days, by_number=False)
        repeated_sales = without_sessions(
            repeated_sales, frames, context, self.max_session_lag_days
        )
        repeated_bills = mark_repeats(bills.repeats, self.max_gap_days, by_number=True)
        marked = pd.concat([repeated_sales, repeated_bills], ignore_index=True)
        totals = marked.groupby(["party", "key"])["duplicate"].sum()
        hits = totals[totals >= max(1, self.min_duplicates)]
        if hits.empty:
            return []
        # Split out only the subjects with enough duplicates: most subjects have none.
        of_hits = pd.MultiIndex.from_frame(marked[["party", "key"]]).isin(hits.index)
        by_subject = dict(tuple(marked[of_hits].groupby(["party", "key"], sort=False)))
        checked = {
            "customer": invoices.checked(key for party, key in hits.index if party == "customer"),
            "vendor": bills.checked(key for party, key in hits.index if party == "vendor"),
        }
        return [
            self._candidate(
                party, by_subject[(party, key)], int(checked[party].get(key, 0)), context
            )
            for party, key in sorted(hits.index)
            if _supported(by_subject[(party, key)])
        ]

    def _candidate(
        self, party: str, group: pd.DataFrame, checked: int, context: DetectionContext
    ) -> Candidate:
        """Build the finding for one customer or vendor from its repeated records."""
        dupes = group[group["duplicate"]]
        evidence = group[group["duplicate"] | group["original"]]
        party_id = fr.last_text(group["party_id"])
        name = fr.last_text(group["party_name"]) or party_id or f"Unknown {party}"
        count = len(dupes)
        first, last = evidence["issued"].min(), evidence["issued"].max()
        months = fr.months_covered(first, fr.as_of(context))
        paid_twice = float(dupes.loc[dupes["paid"] & (party == "vendor"), "total"].sum())
        cross = int(dupes["cross"].sum())
        kind = "invoices" if party == "customer" else "bills"
        certainty = _origin.assess(
            evidence["origin"],
            number=evidence["number"] if party == "customer" else None,
            created_at=evidence["created_at"] if party == "customer" else None,
            lines_per_document=evidence["line_count"].dropna() if party == "customer" else None,
            timezone=context.timezone,
        )
        if count >= 2:
            confidence = 0.55 + 0.3 * fr.support_score(count, 1.0) + 0.15 * (cross > 0)
        else:
            confidence = 0.45 + 0.15 * (cross > 0)
        confidence *= certainty.factor
        matched = _what_matched(party, dupes)
        return Candidate(
            kind=self.kind,
            category=self.category,
            subject=Subject("customer" if party == "customer" else "vendor", party_id, name),
            title=f"{name}'s {kind} were entered twice ({fr.plural(count, 'duplicate')}: "
            f"{matched})",
            summary=self._summary(name, kind, dupes, (first, last), cross, matched)
            + _paid_twice(paid_twice, str(dupes["currency"].iloc[0]) or context.currency)
            + certainty.caveat(kind),
            suggested_automation=(
                "Connect the two systems with an integration (e.g. Stripe or the bank feed "
                "into the books) so each record is entered once, and turn on the duplicate "
                "warning in your accounting tool."
            ),
            record_ids=fr.sorted_strings(evidence["source_id"]),
            sources=fr.sorted_strings(evidence["source"]),
            period_start=fr.to_date(first),
            period_end=fr.to_date(last),
            hours_saved_per_month=round(
                count / months * context.minutes("reconcile_duplicate") / 60, 4
            ),
            cash_impact_per_month=round(paid_twice / months, 2),
            confidence=fr.clamp01(confidence),
            metrics={
                "duplicates": float(count),
                "duplicate_amount": round(float(dupes["total"].sum()), 2),
                "paid_twice_amount": round(paid_twice, 2),
                "cross_source": float(cross),
                "records_checked": float(checked),
            },
        )

    def _summary(
        self,
        name: str,
        kind: str,
        dupes: pd.DataFrame,
        period: tuple[pd.Timestamp, pd.Timestamp],
        cross: int,
        matched: str,
    ) -> str:
        """What repeated, in a bookkeeper's words."""
        first, last = period
        text = (
            f"{len(dupes)} of the {kind} for {name} between {first:%d %b %Y} and "
            f"{last:%d %b %Y} repeat an earlier one ({matched}), entered within "
            f"{self.max_gap_days} days"
        )
        if cross:
            text += f"; {cross} of them in a second system"
        return text + "."


def _paid_twice(amount: float, currency: str) -> str:
    """The sentence on money paid twice, in the duplicates' own currency ("" when none)."""
    return f" {fr.format_money(amount, currency)} was paid twice." if amount else ""


def _supported(group: pd.DataFrame) -> bool:
    """Whether a subject's repeats are evidence of double entry rather than of two real events.

    A lone repeat matched only by amount and content on nearby days, among records whose
    origin the source does not say (a card ledger, a till, a web shop), is as likely two real
    charges or sales on one day (two servers billed together, two identical orders) as one
    record entered twice. Such a pair is not reported; a second repeat, the same supplier
    reference, a copy in a second system or a known manual origin is. Credit notes are never
    evidence: an invoice they cancel is set aside before comparing.
    """
    dupes = group[group["duplicate"]]
    if len(dupes) != 1:
        return True
    if bool(dupes["cross"].any()) or bool((dupes["matched"] == "number").any()):
        return True
    return _origin.assess(group[group["duplicate"] | group["original"]]["origin"]).known_manual


def _what_matched(party: str, dupes: pd.DataFrame) -> str:
    """What the repeats had in common: "same customer, same total, same 4 lines"."""
    who = "same customer" if party == "customer" else "same supplier"
    parts = [who, "same total"]
    if dupes.empty:
        return ", ".join(parts)
    how = set(dupes["matched"])
    if how == {"lines"}:
        counts = sorted(set(dupes["line_count"].dropna().astype(int)))
        lines = fr.plural(counts[0], "line") if len(counts) == 1 else "lines"
        parts.append(f"same {lines}")
    elif how == {"description"}:
        parts.append("same description")
    elif how == {"number"}:
        parts.append("same supplier reference")
    elif how <= {"lines", "description"}:
        parts.append("same description or lines")
    return ", ".join(parts)
