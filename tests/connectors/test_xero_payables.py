"""Xero bill payments and repeating invoices and bills: mapping, polling, deletions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
import responses
from sqlalchemy.engine import Engine

from busywork.store.read import load_frames
from busywork.store.records import Payment, RecordKind, RecurringTemplate
from connectors.sync import load_cursor, sync_connector
from tests.connectors.fake_xero import T0, FakeXero, invoice, payment, repeating_invoice
from tests.connectors.test_xero import KEY, connect, feeds, make, rows

END_2019 = 1_577_750_400_000  # 2019-12-31


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeXero]:
    monkeypatch.setenv("BUSYWORK_SECRET_KEYS", KEY)
    api = FakeXero()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        api.install(mock)
        yield api


def by_id(engine: Engine, model: Any) -> dict[str, Any]:
    return {row["source_id"]: row for row in rows(engine, model)}


def test_payments_on_bills_carry_the_bill_and_vendor(engine: Engine, fake: FakeXero) -> None:
    connect(engine, fake)
    sale, purchase = invoice(1), invoice(2, kind="ACCPAY", status="PAID")
    fake.feeds["Invoices"] = [sale, purchase]
    fake.feeds["Payments"] = [payment(1, sale), payment(2, purchase)]
    assert sync_connector(engine, make(engine)).ok
    payments = by_id(engine, Payment)
    on_sale = payments["p00001-0000-0000-0000-000000000000"]
    on_bill = payments["p00002-0000-0000-0000-000000000000"]
    assert (on_sale["invoice_id"], on_sale["bill_id"]) == (sale["InvoiceID"], None)
    assert (on_bill["invoice_id"], on_bill["customer_id"]) == (None, None)
    assert on_bill["bill_id"] == purchase["InvoiceID"]
    assert on_bill["vendor_id"] == purchase["Contact"]["ContactID"]
    # The bill is PAID without FullyPaidOnDate: its payment's date fills it when loaded.
    frames = load_frames(engine, "acme", {RecordKind.BILL: ["paid_at"]})
    [paid_at] = frames[RecordKind.BILL]["paid_at"]
    assert paid_at == pd.Timestamp("2018-11-29")


def test_repeating_invoices_and_bills_become_templates(engine: Engine, fake: FakeXero) -> None:
    connect(engine, fake)
    fake.feeds["RepeatingInvoices"] = [
        repeating_invoice(1),
        repeating_invoice(2, kind="ACCPAY", unit="WEEKLY", end=END_2019),
        repeating_invoice(3, status="DRAFT"),
        repeating_invoice(4, status="DELETED"),
    ]
    result = sync_connector(engine, make(engine))
    assert result.ok, result.error
    assert feeds(fake)[-1] == "RepeatingInvoices"
    templates = by_id(engine, RecurringTemplate)
    assert sorted(templates) == [f"r{n:05d}-0000-0000-0000-000000000000" for n in (1, 2, 3)]
    first = templates["r00001-0000-0000-0000-000000000000"]
    assert (first["document"], first["cadence_unit"], first["cadence_every"]) == (
        "invoice",
        "month",
        1,
    )
    assert first["counterparty_id"] == "c00001-0000-0000-0000-000000000000"
    assert first["schedule"] == "automated"
    assert str(first["next_on"]) == "2019-04-15"
    assert first["total"] == 46.0
    bill = templates["r00002-0000-0000-0000-000000000000"]
    assert (bill["document"], bill["cadence_unit"], str(bill["end_on"])) == (
        "bill",
        "week",
        "2019-12-31",
    )
    assert templates["r00003-0000-0000-0000-000000000000"]["active"] is True


def test_deleted_or_vanished_templates_are_deleted(engine: Engine, fake: FakeXero) -> None:
    connect(engine, fake)
    fake.feeds["RepeatingInvoices"] = [repeating_invoice(n) for n in range(1, 4)]
    assert sync_connector(engine, make(engine)).ok
    fake.feeds["RepeatingInvoices"] = [
        repeating_invoice(1, status="DELETED"),
        repeating_invoice(3),
    ]
    fake.requests.clear()
    result = sync_connector(engine, make(engine))
    assert result.ok, result.error
    assert len(fake.requests) == 7  # one request per feed and the chart, nothing else changed
    assert result.stats.deleted == 2
    alive = [key for key, row in by_id(engine, RecurringTemplate).items() if not row["deleted"]]
    assert alive == ["r00003-0000-0000-0000-000000000000"]
    cursor = load_cursor(engine, "acme", "books")
    assert cursor is not None
    assert cursor["RepeatingInvoices"] == ["r00003-0000-0000-0000-000000000000"]


def test_a_malformed_template_is_reported_and_the_rest_kept(engine: Engine, fake: FakeXero) -> None:
    connect(engine, fake)
    odd = repeating_invoice(2)
    odd["Type"] = "ACCRECCREDIT"
    fake.feeds["RepeatingInvoices"] = [repeating_invoice(1), odd]
    result = sync_connector(engine, make(engine))
    assert result.ok, result.error
    assert any("unknown repeating invoice type" in problem for problem in result.problems)
    assert list(by_id(engine, RecurringTemplate)) == ["r00001-0000-0000-0000-000000000000"]


def test_a_cursor_from_before_bill_payments_reads_the_payments_again(
    engine: Engine, fake: FakeXero
) -> None:
    connect(engine, fake)
    bill = invoice(2, kind="ACCPAY", status="PAID")
    fake.feeds["Invoices"] = [bill]
    fake.feeds["Payments"] = [payment(1, bill)]
    connector = make(engine)
    old = {feed: {"since": T0 + 10_000_000, "page": 1} for feed in ("Contacts", "Invoices")}
    old["Payments"] = {"since": T0 + 10_000_000, "page": 1}
    pages = list(connector.pages(old))
    payment_requests = [r for r in fake.requests if "/Payments" in str(r.url)]
    assert "If-Modified-Since" not in payment_requests[0].headers
    invoices = next(r for r in fake.requests if "/Invoices" in str(r.url))
    assert "If-Modified-Since" in invoices.headers
    assert pages[-1].cursor["version"] == 2
    fake.requests.clear()
    list(make(engine).pages(pages[-1].cursor))
    again = [r for r in fake.requests if "/Payments" in str(r.url)]
    assert "If-Modified-Since" in again[0].headers  # only once
