"""Xero customer credit notes become invoice rows of type credit_note."""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine

from busywork.store.records import Invoice, InvoiceLine, RecordKind
from connectors.rest import Rows
from connectors.sync import sync_connector
from connectors.xero_mapping import map_credit_note
from tests.connectors.fake_xero import FakeXero, credit_note, invoice
from tests.connectors.test_contract_vendor import (
    XERO_EXAMPLES,
    need,
    operation_parameters,
    xero_spec,
)
from tests.connectors.test_xero import connect, fake, make, rows

__all__ = ["fake"]  # the fixture, shared with the connector's own tests


def test_the_specs_credit_notes_map_to_negative_credit_notes_and_supplier_ones_are_left() -> None:
    body = json.loads((need(XERO_EXAMPLES) / "GET_CreditNotes.200.json").read_text())
    notes = body["CreditNotes"]
    assert {note["Type"] for note in notes} == {"ACCRECCREDIT", "ACCPAYCREDIT"}
    table = Rows("xero")
    table.add_objects("CreditNotes", notes, map_credit_note)
    batches, problems = table.batches("UTC")
    assert problems == ()
    (batch,) = batches
    assert batch.kind is RecordKind.INVOICE
    (row,) = batch.frame.to_dict("records")
    assert row["source_id"] == "249f15fa-f2a7-4acc-8769-0984103f2225"
    assert (row["doc_type"], row["number"], row["total"], row["balance"]) == (
        "credit_note",
        "CN-0005",
        -34.5,
        -32.5,
    )
    assert (row["customer_name"], row["status"], row["currency"]) == (
        "Liam Gallagher",
        "open",
        "NZD",
    )


def test_the_credit_notes_feed_is_read_incrementally_as_the_spec_allows() -> None:
    declared = operation_parameters(xero_spec(), "/CreditNotes")
    assert ("header", "if-modified-since") in declared
    assert ("query", "page") in declared
    assert ("query", "order") in declared


def test_sync_stores_credit_notes_next_to_invoices_and_deletes_them(
    engine: Engine, fake: FakeXero
) -> None:
    connect(engine, fake)
    fake.feeds["Invoices"] = [invoice(1)]
    fake.feeds["CreditNotes"] = [credit_note(1), credit_note(2, kind="ACCPAYCREDIT")]
    assert sync_connector(engine, make(engine)).ok
    stored = {row["number"]: row for row in rows(engine, Invoice)}
    assert {number: (row["doc_type"], row["total"]) for number, row in stored.items()} == {
        "INV-0001": ("invoice", 46.0),
        "CN-0001": ("credit_note", -46.0),
    }
    lines = {row["invoice_id"]: row["amount"] for row in rows(engine, InvoiceLine)}
    assert lines[stored["CN-0001"]["source_id"]] == -40.0
    fake.feeds["CreditNotes"] = [credit_note(1, status="DELETED", updated=2_000_000_000_000)]
    assert sync_connector(engine, make(engine)).ok
    stored = {row["number"]: row for row in rows(engine, Invoice)}
    assert stored["CN-0001"]["deleted"] is True
