"""Tests for the payment reminders (customers who routinely pay late) detector."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from busywork.store.records import RecordKind
from detectors import PaymentRemindersDetector
from tests.detectors.catalogue_factories import late_payer_rows, payment_scenario
from tests.detectors.detector_factories import (
    TODAY,
    context,
    customer,
    customers,
    empty_frames,
    invoice,
    invoices,
)


def test_the_late_payer_is_found_and_the_template_customer_is_not() -> None:
    (finding,) = PaymentRemindersDetector().detect(payment_scenario(), context())

    assert finding.subject.type == "customer"
    assert finding.subject.id == "cus-late"
    assert finding.subject.name == "Slowpay Ltd"
    # Every one of its invoices in the last year was paid a month or more late.
    rows = [r for r in late_payer_rows() if r["customer_id"] == "cus-late"]
    in_window = [r["source_id"] for r in rows if r["issued_on"] > TODAY - timedelta(days=365)]
    assert finding.record_ids == tuple(sorted(in_window))
    assert finding.metrics["late_share"] == 1.0
    assert finding.metrics["median_days_late"] >= 20
    assert finding.metrics["business_median_days_late"] <= 2
    assert finding.hours_saved_per_month > 0
    assert finding.cash_impact_per_month > 0
    assert "reminders" in finding.suggested_automation


def test_cash_impact_is_cost_of_carrying_the_late_money() -> None:
    (finding,) = PaymentRemindersDetector().detect(payment_scenario(), context())
    rows = [r for r in late_payer_rows() if r["customer_id"] == "cus-late"]
    carried = sum(
        r["total"] * (r["paid_at"].date() - r["due_on"]).days
        for r in rows
        if r["issued_on"] > TODAY - timedelta(days=365)
    )
    assert finding.cash_impact_per_month == pytest.approx(carried / 365 * 0.10 / 12, abs=0.01)


def test_where_everyone_is_late_no_customer_stands_out() -> None:
    rows = [{**row, "paid_at": row["paid_at"] + timedelta(days=35)} for row in late_payer_rows()]
    frames = {RecordKind.INVOICE: invoices(rows)}
    assert PaymentRemindersDetector().detect(frames, context()) == []
    assert PaymentRemindersDetector(min_ratio_to_business=1.0).detect(frames, context())


def test_late_threshold_changes_the_outcome() -> None:
    frames = payment_scenario()
    assert PaymentRemindersDetector(min_median_days_late=60).detect(frames, context()) == []


def test_open_invoices_not_yet_due_are_not_late() -> None:
    rows = [
        invoice(f"o{n}", issued_on=TODAY - timedelta(days=5), due_on=TODAY + timedelta(days=9),
                total=100.0, status="open", balance=100.0)
        for n in range(8)
    ]  # fmt: skip
    assert PaymentRemindersDetector().detect({RecordKind.INVOICE: invoices(rows)}, context()) == []


def test_empty_frame_gives_nothing() -> None:
    detector = PaymentRemindersDetector()
    assert detector.detect(empty_frames(PaymentRemindersDetector), context()) == []


def test_input_is_not_modified() -> None:
    frames = payment_scenario()
    before = frames[RecordKind.INVOICE].copy()
    PaymentRemindersDetector().detect(frames, context())
    pd.testing.assert_frame_equal(frames[RecordKind.INVOICE], before)


def test_a_late_payer_keyed_twice_with_one_email_is_one_customer() -> None:
    rows = late_payer_rows()
    late = [row for row in rows if row["customer_id"] == "cus-late"]
    for row in late:
        row["customer_name"] = "Harbour View Cafe Ltd"
    for row in late[1::2]:  # 5 and 5: neither id alone has enough invoices for a finding
        row.update(customer_id="cus-late-B", customer_name="Hrabour View Cafe Limited")
    book = [
        customer("cus-late", "Harbour View Cafe Ltd", "accounts@harbour.example"),
        customer("cus-late-B", "Hrabour View Cafe Limited", "accounts@harbour.example"),
    ]
    frames = {RecordKind.INVOICE: invoices(rows), RecordKind.CUSTOMER: customers(book)}

    (finding,) = PaymentRemindersDetector().detect(frames, context())

    assert finding.subject.id == "cus-late"
    assert finding.subject.name == "Harbour View Cafe Ltd"
    assert finding.subject.alt_ids == ("quickbooks:cus-late-B",)
    assert finding.metrics["invoices_considered"] == len(late)
    (link,) = finding.links
    assert link.method == "name"
    assert 0.7 <= link.score < 0.85
