"""QuickBooks bill payments and recurring templates: backfill, CDC changes, deletions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pandas as pd
import pytest
import requests
import responses
from sqlalchemy.engine import Engine

from busywork.store.read import load_frames
from busywork.store.records import Bill, Payment, RecordKind, RecurringTemplate
from connectors.quickbooks import query_bound
from connectors.quickbooks_templates import template_mapper
from connectors.rest import Rows
from connectors.sync import load_cursor, sync_connector
from tests.connectors.fake_quickbooks import (
    FakeQuickBooks,
    bill,
    bill_payment,
    invoice,
    recurring,
)
from tests.connectors.test_quickbooks import KEY, connect, make, rows, sent


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeQuickBooks]:
    monkeypatch.setenv("BUSYWORK_SECRET_KEYS", KEY)
    api = FakeQuickBooks()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        api.install(mock)
        yield api


def live(engine: Engine, model: Any) -> dict[str, Any]:
    return {row["source_id"]: row for row in rows(engine, model) if not row["deleted"]}


def test_backfill_pages_bill_payments_and_templates(engine: Engine, fake: FakeQuickBooks) -> None:
    connect(engine, fake)
    fake.entities["Bill"] = [bill(n, paid=n < 4) for n in range(6)]
    fake.entities["BillPayment"] = [
        bill_payment(0, [0, 1]),
        bill_payment(1, [2]),
        bill_payment(2, [3]),
    ]
    fake.entities["RecurringTransaction"] = [
        recurring(0, "Invoice"),
        recurring(1, "Bill", party="51"),
        recurring(2, "JournalEntry"),
        recurring(3, "SalesReceipt"),  # not a document we read: ignored
        recurring(4, "Invoice", active=False),
    ]
    result = sync_connector(engine, make(engine, fake, page_size=2))
    assert result.ok, result.error
    assert result.problems == []
    payments = live(engine, Payment)
    assert sorted(payments) == ["3000:2000", "3000:2001", "3001:2002", "3002:2003"]
    assert payments["3000:2001"]["bill_id"] == "2001"
    assert payments["3000:2001"]["vendor_id"] == "50"
    assert payments["3000:2001"]["invoice_id"] is None
    assert payments["3000:2001"]["amount"] == 120.0
    assert payments["3000:2001"]["method"] == "Check"
    templates = live(engine, RecurringTemplate)
    assert sorted(templates) == ["4000", "4001", "4002", "4004"]
    assert templates["4001"]["document"] == "bill"
    assert templates["4001"]["counterparty_id"] == "51"
    assert templates["4002"]["accounts"] == "Accumulated Depreciation|Depreciation"
    assert templates["4002"]["total"] == 500.0
    assert templates["4004"]["active"] is False
    template_queries = [q for q in sent(fake) if "RecurringTransaction" in q]
    assert template_queries == [
        f"SELECT * FROM RecurringTransaction STARTPOSITION {start} MAXRESULTS 2"
        for start in (1, 3, 5)
    ]
    cursor = load_cursor(engine, "acme", "qbo")
    assert cursor is not None
    assert cursor["templates"] == ["4000", "4001", "4002", "4003", "4004"]


def test_paid_bills_get_the_date_of_their_latest_payment(
    engine: Engine, fake: FakeQuickBooks
) -> None:
    connect(engine, fake)
    fake.entities["Bill"] = [bill(0, paid=True), bill(1, paid=True), bill(2)]
    fake.entities["BillPayment"] = [
        bill_payment(0, [0], paid_on="2026-08-25"),
        bill_payment(1, [0, 2], paid_on="2026-08-27"),  # bill 2 is only part-paid
    ]
    assert sync_connector(engine, make(engine, fake)).ok
    frames = load_frames(engine, "acme", {RecordKind.BILL: ["paid_at", "status"]})
    paid = frames[RecordKind.BILL].set_index("source_id")["paid_at"]
    # A payment date is midnight in the business's timezone (Los Angeles here), kept in UTC.
    assert paid["2000"] == pd.Timestamp("2026-08-27 07:00")
    assert pd.isna(paid["2001"])  # paid, but no payment seen: left unknown
    assert pd.isna(paid["2002"])  # not paid in full
    assert [b["paid_at"] for b in rows(engine, Bill)] == [None, None, None]  # stored as sent


def test_cdc_poll_brings_new_edited_and_deleted_bill_payments(
    engine: Engine, fake: FakeQuickBooks
) -> None:
    connect(engine, fake)
    fake.entities["Bill"] = [bill(n) for n in range(4)]
    fake.entities["BillPayment"] = [bill_payment(0, [0, 1]), bill_payment(1, [2])]
    assert sync_connector(engine, make(engine, fake)).ok
    fake.requests.clear()
    later = fake.now + timedelta(hours=1)
    fake.entities["BillPayment"] = [
        bill_payment(0, [0], updated=later),  # edited: no longer settles bill 1
        bill_payment(2, [3], updated=later),  # new
    ]
    fake.delete("BillPayment", "3001", later)
    fake.now = later + timedelta(minutes=5)
    result = sync_connector(engine, make(engine, fake))
    assert result.ok, result.error
    assert [q.split(" ")[0] for q in sent(fake)] == ["CDC", "SELECT"]
    assert sorted(live(engine, Payment)) == ["3000:2000", "3002:2003"]
    assert result.stats.deleted == 2
    fake.requests.clear()
    quiet = sync_connector(engine, make(engine, fake))
    assert len(sent(fake)) == 2
    assert quiet.stats.inserted == quiet.stats.updated == quiet.stats.deleted == 0


def test_template_changes_and_deletions_are_seen_on_the_next_poll(
    engine: Engine, fake: FakeQuickBooks
) -> None:
    connect(engine, fake)
    fake.entities["Invoice"] = [invoice(1)]
    fake.entities["RecurringTransaction"] = [recurring(n) for n in range(3)]
    assert sync_connector(engine, make(engine, fake)).ok
    fake.entities["RecurringTransaction"] = [recurring(0, active=False), recurring(2)]
    fake.now += timedelta(minutes=15)
    result = sync_connector(engine, make(engine, fake))
    assert result.ok, result.error
    assert result.stats.updated == 1
    assert result.stats.deleted == 1
    templates = {row["source_id"]: row for row in rows(engine, RecurringTemplate)}
    assert templates["4001"]["deleted"] is True
    assert templates["4000"]["active"] is False
    assert (load_cursor(engine, "acme", "qbo") or {})["templates"] == ["4000", "4002"]


def test_an_unfinished_template_read_deletes_nothing(engine: Engine, fake: FakeQuickBooks) -> None:
    connect(engine, fake)
    fake.entities["RecurringTransaction"] = [recurring(n) for n in range(3)]
    assert sync_connector(engine, make(engine, fake, page_size=2)).ok
    fake.entities["RecurringTransaction"] = [recurring(n) for n in range(1, 4)]

    def fail_second_page(request: requests.PreparedRequest) -> Any:
        if "STARTPOSITION+3" in (request.url or "") or "STARTPOSITION%203" in (request.url or ""):
            raise requests.ConnectionError("reset")
        return None

    fake.intercept = fail_second_page
    first = sync_connector(engine, make(engine, fake, attempts=1, page_size=2))
    assert first.error is not None
    assert sorted(live(engine, RecurringTemplate)) == ["4000", "4001", "4002"]
    assert (load_cursor(engine, "acme", "qbo") or {})["templates"] == ["4000", "4001", "4002"]
    fake.intercept = None
    assert sync_connector(engine, make(engine, fake, page_size=2)).ok
    assert sorted(live(engine, RecurringTemplate)) == ["4001", "4002", "4003"]


def test_template_mapping_reads_schedule_and_kind() -> None:
    rows_ = Rows("quickbooks")
    rows_.add_objects(
        "RecurringTransaction",
        [
            recurring(1, "Invoice", recur_type="Reminded", interval="Weekly", end="2027-01-31"),
            recurring(2, "Bill", recur_type="UnScheduled"),
            {"Invoice": {"RecurringInfo": {}}},  # no Id: reported
        ],
        template_mapper("USD"),
    )
    batches, problems = rows_.batches("UTC")
    assert len(problems) == 1
    assert "RecurringTransaction ?" in problems[0]
    frame = batches[0].frame.set_index("source_id")
    assert frame.loc["4001", "schedule"] == "reminded"
    assert frame.loc["4001", "cadence_unit"] == "week"
    assert frame.loc["4001", "cadence_every"] == 1
    assert frame.loc["4001", "end_on"] == pd.Timestamp("2027-01-31")
    assert frame.loc["4001", "next_on"] == pd.Timestamp("2026-10-01")
    assert frame.loc["4001", "counterparty_name"] == "Customer 1"
    assert frame.loc["4002", "schedule"] == "unscheduled"


def test_a_cursor_from_before_bill_payments_back_fills_them_then_resumes_cdc(
    engine: Engine, fake: FakeQuickBooks
) -> None:
    connect(engine, fake)
    fake.entities["Bill"] = [bill(0, paid=True)]
    fake.entities["BillPayment"] = [bill_payment(0, [0])]  # older than the cursor
    old_since = int((fake.now - timedelta(hours=1)).timestamp() * 1000)
    later = fake.now + timedelta(minutes=30)
    fake.entities["Invoice"] = [invoice(1, updated=later)]  # changed since the cursor
    fake.now = later + timedelta(minutes=5)
    connector = make(engine, fake)
    pages = list(connector.pages({"mode": "cdc", "since": old_since}))
    queries = sent(fake)
    # Every entity the old cursor did not cover is back-filled (credit memos and refund
    # receipts came later still), then CDC resumes from the old cursor for every entity.
    assert [q.split(" ")[3] for q in queries[:3]] == ["CreditMemo", "RefundReceipt", "BillPayment"]
    assert queries[3] == f"CDC {query_bound(old_since)}"
    assert "BillPayment" in str(fake.requests[3].url)
    assert pages[-2].cursor["since"] == int(fake.now.timestamp() * 1000)
    kinds = {batch.kind for page in pages for batch in page.batches}
    assert {RecordKind.PAYMENT, RecordKind.INVOICE} <= kinds
