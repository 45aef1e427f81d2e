"""Stripe credit notes become invoice rows of type credit_note (or refund)."""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine

from busywork.store.records import Invoice, InvoiceLine, RecordKind
from connectors.rest import Rows
from connectors.stripe_mapping import map_credit_note
from connectors.sync import load_cursor, sync_connector
from tests.connectors.fake_stripe import FakeStripe, credit_note, invoice
from tests.connectors.test_contract_vendor import STRIPE_FIXTURES, need
from tests.connectors.test_stripe import NOW, fake, make, paths, rows

__all__ = ["fake"]  # the fixture, shared with the connector's own tests


def test_the_vendor_credit_note_fixture_maps_to_a_negative_credit_note() -> None:
    resources = json.loads(need(STRIPE_FIXTURES).read_text())["resources"]
    table = Rows("stripe")
    table.add_objects("credit_notes", [resources["credit_note"]], map_credit_note)
    batches, problems = table.batches("UTC")
    assert problems == ()
    kinds = {batch.kind: batch.frame for batch in batches}
    (note,) = kinds[RecordKind.INVOICE].to_dict("records")
    assert (note["source_id"], note["doc_type"], note["total"]) == (
        "cn_1NnmXIGPxmnHQRkJwtCFye2k",
        "credit_note",
        -16.9,
    )
    assert (note["customer_id"], note["number"], note["currency"]) == (
        "cus_Oaxlz8kB0PJWGa",
        "ABCD-1234-CN-01",
        "USD",
    )
    assert sorted(kinds[RecordKind.INVOICE_LINE]["amount"]) == [-11.9, -5.0]


def test_a_credit_note_that_refunds_money_is_a_refund() -> None:
    ((_, row), _line) = map_credit_note(credit_note(1, refund="re_000001"))
    assert (row["doc_type"], row["total"], row["status"]) == ("refund", -120.0, "paid")


def test_backfill_and_events_read_credit_notes(engine: Engine, fake: FakeStripe) -> None:
    fake.invoices = [invoice(1)]
    fake.credit_notes = [credit_note(1)]
    assert sync_connector(engine, make()).ok
    fake.add_event("credit_note.voided", {**credit_note(1), "status": "void"}, NOW + 5)
    assert sync_connector(engine, make(clock=NOW + 60)).ok
    stored = {row["source_id"]: row for row in rows(engine, Invoice)}
    assert (stored["cn_000001"]["doc_type"], stored["cn_000001"]["total"]) == (
        "credit_note",
        -120.0,
    )
    assert stored["cn_000001"]["status"] == "void"
    assert stored["in_000001"]["doc_type"] == "invoice"
    assert {row["invoice_id"] for row in rows(engine, InvoiceLine)} >= {"cn_000001"}


def test_an_events_cursor_from_before_credit_notes_lists_them_once_then_resumes(
    engine: Engine, fake: FakeStripe
) -> None:
    fake.credit_notes = [credit_note(1)]
    old = {"mode": "events", "created": NOW - 100, "seen": ["evt_x"]}
    connector = make()
    pages = list(connector.pages(old))
    assert paths(fake) == ["/v1/credit_notes", "/v1/events"]
    kinds = {batch.kind for page in pages for batch in page.batches}
    assert RecordKind.INVOICE in kinds
    assert pages[-1].cursor == {**old, "feeds": ["customers", "invoices", "credit_notes"]}
    assert load_cursor(engine, "acme", "cards") is None  # pages() alone commits nothing
