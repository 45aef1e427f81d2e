"""Tests for the duplicate entry (same invoice or bill entered twice) detector."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from busywork.store.records import RecordKind
from detectors import DuplicateEntryDetector
from tests.detectors.catalogue_factories import bill, bills, duplicate_scenario
from tests.detectors.detector_factories import TODAY, context, empty_frames, invoices


def test_bills_keyed_twice_are_found_and_voided_copies_are_not() -> None:
    frames = duplicate_scenario()
    found = {c.subject.id: c for c in DuplicateEntryDetector().detect(frames, context())}
    assert set(found) == {"ven-post", "cus-ben"}
    finding = found["ven-post"]

    assert finding.subject.type == "vendor"
    assert finding.subject.id == "ven-post"
    assert finding.metrics["duplicates"] == 2
    copies = frames[RecordKind.BILL]
    copies = copies[
        copies["source_id"].str.endswith("-again") & (copies["vendor_id"] == "ven-post")
    ]
    originals = [sid.removesuffix("-again") for sid in copies["source_id"]]
    assert finding.record_ids == tuple(sorted([*copies["source_id"], *originals]))
    # Both copies were paid, so that money went out twice.
    assert finding.metrics["paid_twice_amount"] == pytest.approx(copies["total"].sum())
    assert finding.cash_impact_per_month > 0
    assert finding.hours_saved_per_month > 0


def test_a_repeated_supplier_reference_is_a_duplicate_whatever_the_dates() -> None:
    day = TODAY - timedelta(days=90)
    rows = [
        bill("a1", issued_on=day, total=120.0, number="INV-77", source="xero"),
        bill("a2", issued_on=day + timedelta(days=40), total=120.0, number="INV-77",
             source="dext"),
        bill("b1", issued_on=day, total=75.0, number="INV-78"),
        bill("b2", issued_on=day + timedelta(days=2), total=75.0, number="INV-79"),
    ]  # fmt: skip
    frames = {RecordKind.BILL: bills(rows), RecordKind.INVOICE: invoices([])}
    (finding,) = DuplicateEntryDetector().detect(frames, context())
    assert finding.record_ids == ("a1", "a2", "b1", "b2")
    assert finding.metrics["cross_source"] == 1.0
    assert finding.sources == ("dext", "xero")


def test_one_repeat_is_a_finding_with_less_confidence_than_a_habit() -> None:
    frames = duplicate_scenario()
    found = {c.subject.id: c for c in DuplicateEntryDetector().detect(frames, context())}
    single, habit = found["cus-ben"], found["ven-post"]
    assert single.metrics["duplicates"] == 1
    assert single.confidence < 0.6 < habit.confidence
    assert single.title == (
        "Ben Fox's invoices were entered twice (1 duplicate: same customer, same total, "
        "same description)"
    )


def test_minimum_duplicates_is_a_threshold() -> None:
    frames = duplicate_scenario()
    found = DuplicateEntryDetector(min_duplicates=2).detect(frames, context())
    assert {c.subject.id for c in found} == {"ven-post"}
    assert DuplicateEntryDetector(min_duplicates=3).detect(frames, context()) == []


def test_empty_frames_give_nothing() -> None:
    assert DuplicateEntryDetector().detect(empty_frames(DuplicateEntryDetector), context()) == []


def test_input_is_not_modified() -> None:
    frames = duplicate_scenario()
    before = {kind: data.copy() for kind, data in frames.items()}
    DuplicateEntryDetector().detect(frames, context())
    for kind, data in frames.items():
        pd.testing.assert_frame_equal(data, before[kind])


def _same_day_charges(count: int, origin: str) -> dict[RecordKind, pd.DataFrame]:
    day = TODAY - timedelta(days=30)
    rows = [
        bill(f"c{n}", issued_on=day, total=3.92, origin=origin or "", description="Server hosting")
        for n in range(count)
    ]
    return {RecordKind.BILL: bills(rows), RecordKind.INVOICE: invoices([])}


@pytest.mark.parametrize(
    ("count", "origin", "reported"),
    [(2, "", False), (2, "manual", True), (3, "", True)],
    ids=["one-pair-unknown-origin", "one-pair-keyed-by-hand", "two-repeats-unknown-origin"],
)
def test_a_lone_pair_of_unknown_origin_is_no_evidence_of_double_entry(
    count: int, origin: str, reported: bool
) -> None:
    # Two identical charges on one day in a card ledger are ordinary (two servers billed
    # together); the same pair keyed by hand, or a habit of repeats, is a finding.
    found = DuplicateEntryDetector().detect(_same_day_charges(count, origin), context())
    assert bool(found) is reported
