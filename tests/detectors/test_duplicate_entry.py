"""Tests for the duplicate entry (same invoice or bill entered twice) detector."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pandas as pd
import pytest

from busywork.store.records import RecordKind
from detectors import DuplicateEntryDetector
from detectors._matching import MATCHED
from detectors._shared import _current, detection_pass
from tests.detectors.catalogue_factories import bill, bills, duplicate_scenario
from tests.detectors.detector_factories import (
    TODAY,
    appointment,
    appointments,
    context,
    customer,
    customers,
    empty_frames,
    invoice,
    invoices,
)


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


def test_the_same_figure_in_two_currencies_is_two_sales() -> None:
    # An invoice in pounds and its twin in dollars on the same day, same number stem: two
    # sales to a customer billed in both. The same pair in one currency is a duplicate.
    day = TODAY - timedelta(days=20)
    rows = [
        invoice("INV-9", issued_on=day, total=250.0, description="Audit", currency="GBP"),
        invoice("INV-9-USD", issued_on=day, total=250.0, description="Audit", currency="USD"),
    ]
    frames = {RecordKind.INVOICE: invoices(rows), RecordKind.BILL: bills([])}
    assert DuplicateEntryDetector().detect(frames, context()) == []
    rows[1]["currency"] = " gbp"  # the same currency, written the way some exports do
    frames = {RecordKind.INVOICE: invoices(rows), RecordKind.BILL: bills([])}
    (finding,) = DuplicateEntryDetector().detect(frames, context())
    assert finding.record_ids == ("INV-9", "INV-9-USD")


def test_bills_in_two_currencies_with_one_reference_are_two_bills() -> None:
    day = TODAY - timedelta(days=60)
    rows = [
        bill("B-1", issued_on=day, total=99.0, number="REF-7"),
        {**bill("B-2", issued_on=day + timedelta(days=30), total=99.0, number="REF-7"),
         "currency": "EUR"},
    ]  # fmt: skip
    frames = {RecordKind.INVOICE: invoices([]), RecordKind.BILL: bills(rows)}
    assert DuplicateEntryDetector().detect(frames, context()) == []
    rows[1]["currency"] = "GBP"
    frames = {RecordKind.INVOICE: invoices([]), RecordKind.BILL: bills(rows)}
    (finding,) = DuplicateEntryDetector().detect(frames, context())
    assert finding.record_ids == ("B-1", "B-2")


def _two_cleans_on_one_day(sessions: int) -> dict[RecordKind, pd.DataFrame]:
    """Two identical invoices to Hana Morgan on one day, and ``sessions`` visits that day."""
    day = TODAY - timedelta(days=30)
    invs = [
        invoice(f"INV-{n}", issued_on=day, total=45.0, customer_id="C0241",
                customer_name="Hana Morgan", customer_email="hana@example.com",
                description=f"Domestic clean on {day.isoformat()}")
        for n in (114, 120)
    ]  # fmt: skip
    visits = [
        appointment(f"APT-{hour}", start_at=datetime.combine(day, time(hour)),
                    attendee_email="hana@example.com", attendee_name="Hana Morgan")
        for hour in (9, 14)[:sessions]
    ]  # fmt: skip
    return {
        RecordKind.INVOICE: invoices(invs),
        RecordKind.BILL: bills([]),
        RecordKind.APPOINTMENT: appointments(visits),
        RecordKind.CUSTOMER: customers([customer("C0241", "Hana Morgan", "hana@example.com")]),
    }


def test_two_sessions_on_one_day_billed_alike_are_two_sales() -> None:
    assert DuplicateEntryDetector().detect(_two_cleans_on_one_day(2), context()) == []


def test_the_sessions_check_asks_for_the_matching_it_declares() -> None:
    # A pass forgets the matching once no detector still to run declares it.
    with detection_pass():
        DuplicateEntryDetector().detect(_two_cleans_on_one_day(2), context())
        current = _current.get()
        assert current is not None
        assert MATCHED in current.asked
    assert MATCHED in DuplicateEntryDetector.shares


def test_one_session_billed_twice_is_still_a_duplicate() -> None:
    (finding,) = DuplicateEntryDetector().detect(_two_cleans_on_one_day(1), context())
    assert finding.record_ids == ("INV-114", "INV-120")


def test_another_customers_two_sessions_that_day_explain_nothing() -> None:
    frames = _two_cleans_on_one_day(1)
    day = TODAY - timedelta(days=30)
    others = [
        appointment(f"APT-O{hour}", start_at=datetime.combine(day, time(hour)),
                    attendee_email="olu@example.com", attendee_name="Olu Adeyemi")
        for hour in (10, 15)
    ]  # fmt: skip
    frames[RecordKind.APPOINTMENT] = pd.concat(
        [frames[RecordKind.APPOINTMENT], appointments(others)], ignore_index=True
    )
    frames[RecordKind.CUSTOMER] = pd.concat(
        [
            frames[RecordKind.CUSTOMER],
            customers([customer("C0300", "Olu Adeyemi", "olu@example.com")]),
        ],
        ignore_index=True,
    )
    (finding,) = DuplicateEntryDetector().detect(frames, context())
    assert finding.record_ids == ("INV-114", "INV-120")


def test_a_booking_tools_copy_is_not_a_second_session() -> None:
    frames = _two_cleans_on_one_day(1)
    booked = frames[RecordKind.APPOINTMENT].assign(origin="booking_link")
    copy = booked.assign(source_id="gcal-APT-9", origin="unknown")
    frames[RecordKind.APPOINTMENT] = pd.concat([booked, copy], ignore_index=True)
    (finding,) = DuplicateEntryDetector().detect(frames, context())
    assert finding.record_ids == ("INV-114", "INV-120")


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
