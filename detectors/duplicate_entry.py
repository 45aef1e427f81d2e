"""The same invoice or bill entered twice by hand, in one system or in two."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from busywork.store.records import RecordKind
from detectors import _frames as fr
from detectors._coverage import Fact
from detectors.base import Candidate, Category, DetectionContext, Detector, Frames, Subject
from detectors.registry import register


@register
class DuplicateEntryDetector(Detector):
    """Finds customers and vendors with invoices or bills entered twice.

    Two manual, non-void records of the same kind are duplicates when they are for the same
    customer (or vendor), for the same amount to the cent, and either issued at most
    ``max_gap_days`` apart with the same description (blank counts as the same), or, for
    bills, carry the same supplier reference (``number``) whatever their dates. Records from
    two different sources (e.g. Stripe and the books) that match are the classic "entered in
    two systems by hand"; automated records are never counted. A subject is reported with
    at least ``min_duplicates`` duplicate records: one pair can be two real sessions on the
    same day at the same price, a habit of double entry repeats.

    Cash impact: duplicate bills that were paid twice are money lost until recovered, spread
    over the months covered; duplicate invoices cost a credit note and goodwill but no cash.
    Hours saved: duplicates per month * the ``reconcile_duplicate`` minutes.

    Metrics: ``duplicates`` (records that repeat an earlier one), ``duplicate_amount``,
    ``paid_twice_amount``, ``cross_source`` (duplicates found in a second system) and
    ``records_checked``.

    Args:
        max_gap_days: Most calendar days between two entries of the same record.
        min_duplicates: Fewest duplicate records for a finding.
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
        ),
    }

    facts: ClassVar[tuple[Fact, ...]] = ()
    checks: ClassVar[str] = "double entry"

    def __init__(self, *, max_gap_days: int = 3, min_duplicates: int = 2) -> None:
        self.max_gap_days = max_gap_days
        self.min_duplicates = min_duplicates

    def _detect(self, frames: Frames, context: DetectionContext) -> list[Candidate]:
        today = fr.as_of(context).normalize()
        invoices = _records(frames[RecordKind.INVOICE], "customer", today)
        bills = _records(frames[RecordKind.BILL], "vendor", today)
        marked = pd.concat(
            [self._mark(invoices, by_number=False), self._mark(bills, by_number=True)],
            ignore_index=True,
        )
        if marked.empty:
            return []
        counts = marked.groupby(["party", "key"])["duplicate"].sum()
        hits = counts[counts >= max(1, self.min_duplicates)]
        groups = marked[marked.set_index(["party", "key"]).index.isin(hits.index)]
        by_subject = dict(tuple(groups.groupby(["party", "key"], sort=False)))
        checked = {
            "customer": invoices["key"].value_counts(),
            "vendor": bills["key"].value_counts(),
        }
        return [
            self._candidate(by_subject[(party, key)], int(checked[party][key]), context)
            for party, key in sorted(hits.index)
        ]

    def _mark(self, records: pd.DataFrame, *, by_number: bool) -> pd.DataFrame:
        """Flag each record that repeats an earlier one, and the record it repeats.

        Only records sharing their subject and amount with another can be either, so the
        rest are set aside first: a few per cent of a ledger, whose sort is then cheap.
        """
        records = records[records.duplicated(["key", "cents"], keep=False).to_numpy()]
        if records.empty:
            return records.assign(duplicate=False, original=False, cross=False)
        records = records.sort_values(["key", "cents", "issued", "source_id"]).reset_index(
            drop=True
        )
        same = ["key", "cents", "description"]
        groups = records.groupby(same, dropna=False, sort=False)
        gap = fr.to_days(groups["issued"].diff())
        duplicate = (gap <= self.max_gap_days).to_numpy(copy=True)
        cross = duplicate & (groups["source"].shift() != records["source"]).to_numpy()
        if by_number:
            numbered = records["number"].notna()
            repeat = records[numbered].duplicated(["key", "cents", "number"], keep="first")
            duplicate[repeat[repeat].index.to_numpy()] = True
            by_ref = records[numbered].groupby(["key", "cents", "number"], sort=False)["source"]
            other = (by_ref.transform("nunique") > 1).reindex(records.index, fill_value=False)
            cross |= duplicate & other.to_numpy()
        # The record each duplicate repeats is evidence too (it is the one to keep).
        rows = pd.Series(np.arange(len(records)), index=records.index)
        previous = rows.groupby([records[c] for c in same], dropna=False, sort=False).shift()
        repeated = previous[pd.Series(duplicate, index=records.index) & previous.notna()]
        original = np.zeros(len(records), dtype=bool)
        original[repeated.to_numpy(dtype=np.int64)] = True
        if by_number:
            first_ref = (
                rows[numbered]
                .groupby([records.loc[numbered, c] for c in ("key", "cents", "number")], sort=False)
                .transform("first")
            )
            original[first_ref[repeat].to_numpy(dtype=np.int64)] = True
        original &= ~duplicate
        return records.assign(duplicate=duplicate, original=original, cross=cross)

    def _candidate(self, group: pd.DataFrame, checked: int, context: DetectionContext) -> Candidate:
        """Build the finding for one customer or vendor from its repeated records."""
        party = str(group["party"].iloc[0])
        dupes = group[group["duplicate"]]
        involved = group[group["duplicate"] | group["original"]]
        evidence = involved if not involved.empty else dupes
        party_id = fr.last_text(group["party_id"])
        name = fr.last_text(group["party_name"]) or party_id or f"Unknown {party}"
        count = len(dupes)
        first, last = evidence["issued"].min(), evidence["issued"].max()
        months = fr.months_covered(first, fr.as_of(context))
        paid_twice = float(dupes.loc[dupes["paid"] & (party == "vendor"), "total"].sum())
        cross = int(dupes["cross"].sum())
        kind = "invoices" if party == "customer" else "bills"
        confidence = 0.55 + 0.3 * fr.support_score(count, 1.0) + 0.15 * (cross > 0)
        return Candidate(
            kind=self.kind,
            category=self.category,
            subject=Subject("customer" if party == "customer" else "vendor", party_id, name),
            title=f"{name}'s {kind} were entered twice ({fr.plural(count, 'duplicate')})",
            summary=(
                f"{count} of the {kind} for {name} between {first:%d %b %Y} and "
                f"{last:%d %b %Y} repeat an earlier one: same amount, same description, "
                f"entered within {self.max_gap_days} days"
                + (f"; {cross} of them in a second system" if cross else "")
                + (
                    f". {fr.format_money(paid_twice, context.currency)} was paid twice."
                    if paid_twice
                    else "."
                )
            ),
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


def _records(raw: pd.DataFrame, party: str, today: pd.Timestamp) -> pd.DataFrame:
    """Manual, non-void records keyed by customer or vendor, with the amount in cents."""
    party_id = fr.as_text(raw[f"{party}_id"])
    party_name = fr.as_text(raw[f"{party}_name"])
    total = fr.as_money(raw["total"])
    status = fr.lowered(raw["status"])
    frame = pd.DataFrame(
        {
            "party": party,
            "key": fr.subject_key(party_id, party_name),
            "party_id": party_id,
            "party_name": party_name,
            "source_id": fr.as_text(raw["source_id"]),
            "source": fr.as_text(raw["source"]),
            "issued": fr.as_dates(raw["issued_on"]),
            "total": total,
            "cents": np.round(total * 100),
            "description": fr.lowered(raw["description"]).fillna(""),
            "number": fr.lowered(raw["number"]) if "number" in raw else None,
            "paid": (status == "paid").to_numpy(),
        }
    )
    keep = (
        fr.is_manual(raw["origin"])
        & (status != "void")
        & frame["key"].notna()
        & total.notna()
        & (frame["issued"] <= today)
    )
    return frame[keep.to_numpy()]
