"""Credit notes, refunds, fees and zero totals are no sales: detectors leave them out."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from busywork.store.records import RecordKind
from detectors import (
    DuplicateEntryDetector,
    PaymentRemindersDetector,
    RecurringInvoiceDetector,
    SlowCollectionDetector,
)
from tests.detectors.catalogue_factories import bills
from tests.detectors.detector_factories import TODAY, context, invoice, invoices


def _monthly(customer: str, *, total: float, doc_type: str, months: int = 10) -> list[dict]:
    start = TODAY - timedelta(days=30 * months)
    return [
        invoice(
            f"{customer}-{n}",
            issued_on=start + timedelta(days=30 * n),
            total=total,
            customer_id=customer,
            customer_name=customer.title(),
            doc_type=doc_type,
            status="open",
        )
        for n in range(months)
    ]


def test_monthly_credit_notes_refunds_and_zero_documents_are_no_billing_habit() -> None:
    rows = _monthly("sales", total=250.0, doc_type="invoice")
    rows += _monthly("credits", total=-250.0, doc_type="credit_note")
    rows += _monthly("refunds", total=-90.0, doc_type="refund")
    rows += _monthly("zeros", total=0.0, doc_type="zero")
    rows += _monthly("fees", total=12.5, doc_type="fee")
    found = RecurringInvoiceDetector().detect({RecordKind.INVOICE: invoices(rows)}, context())
    assert [c.subject.id for c in found] == ["sales"]


def test_open_credit_notes_are_not_late_payments() -> None:
    start = TODAY - timedelta(days=300)
    rows = [
        invoice(
            f"cn-{n}", issued_on=start + timedelta(days=25 * n), total=-400.0,
            customer_id="cus-ret", customer_name="Returns Ltd", status="open",
            doc_type="credit_note", due_on=start + timedelta(days=25 * n),
        )
        for n in range(10)
    ]  # fmt: skip
    frames = {RecordKind.INVOICE: invoices(rows)}
    assert PaymentRemindersDetector().detect(frames, context()) == []
    assert SlowCollectionDetector(min_invoices=1).detect(frames, context()) == []


def test_refunds_on_one_day_are_not_duplicates() -> None:
    day = TODAY - timedelta(days=10)
    rows = [
        invoice(f"rf-{n}", issued_on=day, total=-35.0, doc_type="refund", description="Refund")
        for n in range(3)
    ]
    frames = {RecordKind.INVOICE: invoices(rows), RecordKind.BILL: bills([])}
    assert DuplicateEntryDetector().detect(frames, context()) == []


def test_an_invoice_cancelled_by_a_credit_note_and_keyed_again_is_no_duplicate() -> None:
    # The cancelled invoice and the one keyed again share customer, total and description
    # two days apart: without the credit note that would be a duplicate pair. With it, it is
    # a correction (one sale), and credit notes are never evidence of double entry.
    day = TODAY - timedelta(days=40)
    rows = [
        invoice("INV-101", issued_on=day, total=480.0, customer_id="cus-ivy",
                customer_name="Ivy Lane", description="Garden design"),
        invoice("CN-7", issued_on=day + timedelta(days=2), total=-480.0, customer_id="cus-ivy",
                customer_name="Ivy Lane", doc_type="credit_note", status="paid"),
        invoice("INV-102", issued_on=day + timedelta(days=2), total=480.0, customer_id="cus-ivy",
                customer_name="Ivy Lane", description="Garden design"),
        # Written unsigned, as some exports do: still the same amount.
        invoice("INV-200", issued_on=day, total=300.0, customer_id="cus-oak",
                customer_name="Oak Farm", description="Hedge"),
        invoice("CN-8", issued_on=day + timedelta(days=1), total=300.0, customer_id="cus-oak",
                customer_name="Oak Farm", doc_type="credit_note"),
        invoice("INV-201", issued_on=day + timedelta(days=1), total=300.0,
                customer_id="cus-oak", customer_name="Oak Farm", description="Hedge"),
    ]  # fmt: skip
    frames = {RecordKind.INVOICE: invoices(rows), RecordKind.BILL: bills([])}
    assert DuplicateEntryDetector().detect(frames, context()) == []
    # Without the credit note the same two invoices are one entered twice.
    keyed_twice = [row for row in rows if row["source_id"] != "CN-7"]
    frames = {RecordKind.INVOICE: invoices(keyed_twice), RecordKind.BILL: bills([])}
    (finding,) = DuplicateEntryDetector().detect(frames, context())
    assert finding.record_ids == ("INV-101", "INV-102")


def _lines(invoice_id: str, items: list[tuple[str, float, float]]) -> list[dict]:
    return [
        {"invoice_id": invoice_id, "item": item, "description": None, "quantity": qty,
         "amount": amount}
        for item, qty, amount in items
    ]  # fmt: skip


def _web_order(number: str, placed: datetime, *, customer: str = "17850") -> dict:
    return invoice(
        number, issued_on=placed.date(), total=1004.40, customer_id=customer,
        customer_name=None, origin="unknown", status="paid", number=number, created_at=placed,
        source="shop",
    )  # fmt: skip


BASKET = [("85123A", 6, 15.30), ("71053", 6, 20.34), ("84406B", 8, 22.00),
          ("84029G", 6, 20.34), ("84029E", 6, 20.34), ("22752", 2, 15.30)]  # fmt: skip


def test_three_identical_orders_in_twenty_hours_match_on_their_lines() -> None:
    first = datetime(2024, 12, 1, 8, 26)
    orders = [_web_order(f"53{6365 + n}", first + timedelta(hours=10 * n)) for n in range(3)]
    other = _web_order("536400", first + timedelta(hours=2), customer="13047")
    lines = [row for order in orders for row in _lines(order["source_id"], BASKET)]
    lines += _lines("536400", [("22633", 6, 1004.40)])  # same total, different basket
    frames = {
        RecordKind.INVOICE: invoices([*orders, other]),
        RecordKind.BILL: bills([]),
        RecordKind.INVOICE_LINE: pd.DataFrame(lines),
    }
    (finding,) = DuplicateEntryDetector().detect(frames, context())
    assert finding.subject.id == "17850"
    assert finding.metrics["duplicates"] == 2
    assert finding.record_ids == ("536365", "536366", "536367")
    assert "same customer, same total, same 6 lines" in finding.title
    assert "by hand" not in finding.title


def test_different_lines_are_not_a_duplicate_without_a_description() -> None:
    first = datetime(2024, 12, 1, 10, 0)
    orders = [_web_order(f"53{6365 + n}", first + timedelta(hours=n)) for n in range(2)]
    lines = _lines("536365", BASKET) + _lines("536366", [*BASKET[:-1], ("22633", 2, 15.3)])
    frames = {
        RecordKind.INVOICE: invoices(orders),
        RecordKind.BILL: bills([]),
        RecordKind.INVOICE_LINE: pd.DataFrame(lines),
    }
    assert DuplicateEntryDetector().detect(frames, context()) == []


def test_a_web_shop_export_is_not_called_manual_and_says_what_is_unknown() -> None:
    rng = np.random.default_rng(3)
    start = TODAY - timedelta(days=300)

    def run(origin: str) -> list[dict]:
        return [
            invoice(
                f"{origin[:1]}{581000 + 37 * n}", issued_on=start + timedelta(days=30 * n),
                total=float(round(220 + rng.normal(0, 2), 2)), customer_id=f"c-{origin}",
                customer_name="Corner Café", origin=origin, number=f"{581000 + 37 * n}",
                created_at=datetime.combine(start + timedelta(days=30 * n), datetime.min.time())
                + timedelta(hours=int(rng.choice([1, 3, 22, 23, 14]))),
            )
            for n in range(10)
        ]  # fmt: skip

    frames = {RecordKind.INVOICE: invoices(run("manual") + run("unknown"))}
    found = {c.subject.id: c for c in RecurringInvoiceDetector().detect(frames, context())}
    known, unknown = found["c-manual"], found["c-unknown"]
    assert "by hand" in known.title
    assert "by hand" not in unknown.title
    assert "does not say how these invoices were made (no origin)" in unknown.summary
    assert "order-like numbering" in unknown.summary
    assert "created around the clock" in unknown.summary
    assert unknown.confidence < known.confidence * 0.7


def test_zero_and_negative_rows_without_a_type_are_still_no_sales() -> None:
    # A frame from a caller that typed every row "invoice": the total still decides.
    rows = _monthly("zeros", total=0.0, doc_type="invoice")
    rows += _monthly("negative", total=-50.0, doc_type="invoice")
    frames = {RecordKind.INVOICE: invoices(rows)}
    assert RecurringInvoiceDetector().detect(frames, context()) == []
    assert date(2024, 1, 1) < TODAY


def test_duplicates_of_one_customer_are_reported_beside_a_correction_of_another() -> None:
    day = TODAY - timedelta(days=30)
    rows = [
        invoice("A1", issued_on=day, total=90.0, customer_id="cus-a", description="Lesson"),
        invoice("A2", issued_on=day, total=90.0, customer_id="cus-a", description="Lesson"),
        invoice("B1", issued_on=day, total=300.0, customer_id="cus-b", customer_name="Bo"),
        invoice("B2", issued_on=day, total=300.0, customer_id="cus-b", customer_name="Bo",
                doc_type="credit_note"),
    ]  # fmt: skip
    frames = {RecordKind.INVOICE: invoices(rows), RecordKind.BILL: bills([])}
    found = {c.subject.id: c for c in DuplicateEntryDetector().detect(frames, context())}
    assert set(found) == {"cus-a"}
    assert found["cus-a"].record_ids == ("A1", "A2")
