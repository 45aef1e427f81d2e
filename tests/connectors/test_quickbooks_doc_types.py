"""QuickBooks credit memos and refund receipts become invoice rows of their own type."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine

from busywork.store.records import Invoice, InvoiceLine
from connectors.quickbooks_mapping import invoice_mapper
from connectors.sync import sync_connector
from tests.connectors.fake_quickbooks import FakeQuickBooks, credit_memo, invoice
from tests.connectors.test_quickbooks import connect, fake, make, rows

__all__ = ["fake"]  # the fixture, shared with the connector's own tests


def test_credit_memo_maps_to_a_negative_credit_note_with_its_lines() -> None:
    pairs = list(invoice_mapper("USD", "CreditMemo")(credit_memo(3, amount=120.0)))
    (kind, head), (_, line) = pairs
    assert kind.value == "invoice"
    assert head["source_id"] == "CreditMemo:5003"
    assert head["doc_type"] == "credit_note"
    assert (head["total"], head["balance"], head["status"]) == (-120.0, 0.0, "paid")  # applied
    assert head["customer_id"] == "3"
    assert line["invoice_id"] == "CreditMemo:5003"
    assert line["amount"] == -120.0


def test_refund_receipt_is_a_paid_refund_and_an_invoice_keeps_its_type_to_the_store() -> None:
    ((_, refund), _line) = invoice_mapper("USD", "RefundReceipt")(
        credit_memo(4, entity="RefundReceipt", amount=60.0)
    )
    assert (refund["doc_type"], refund["total"], refund["status"]) == ("refund", -60.0, "paid")
    ((_, sale), _line) = invoice_mapper("USD")(invoice(1))
    assert sale["source_id"] == "1001"
    assert sale["doc_type"] is None  # the store types it by its total


def test_sync_reads_credit_memos_and_refunds_and_their_deletions(
    engine: Engine, fake: FakeQuickBooks
) -> None:
    connect(engine, fake)
    fake.entities["Invoice"] = [invoice(1)]
    fake.entities["CreditMemo"] = [credit_memo(1)]
    fake.entities["RefundReceipt"] = [credit_memo(2, entity="RefundReceipt", amount=40.0)]
    result = sync_connector(engine, make(engine, fake))
    assert result.ok, result.error
    stored = {row["source_id"]: row for row in rows(engine, Invoice)}
    assert {key: (row["doc_type"], row["total"]) for key, row in stored.items()} == {
        "1001": ("invoice", 275.0),
        "CreditMemo:5001": ("credit_note", -275.0),
        "RefundReceipt:5002": ("refund", -40.0),
    }
    assert len(rows(engine, InvoiceLine)) == 3
    later = fake.now + timedelta(hours=1)
    fake.delete("CreditMemo", "5001", later)
    fake.now = later + timedelta(minutes=5)
    assert sync_connector(engine, make(engine, fake)).ok
    stored = {row["source_id"]: row for row in rows(engine, Invoice)}
    assert stored["CreditMemo:5001"]["deleted"] is True
    assert stored["1001"]["deleted"] is False
