"""Bills keep their approval and journals their entry time, as each vendor says them.

QuickBooks Online puts ``TxnApprovalInfo`` on a bill when approval workflows are on; Xero
keeps approval and entry times only in the bill's history (``/Invoices/{id}/History``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import responses
from sqlalchemy.engine import Engine

from busywork.store.records import Bill, JournalEntry
from connectors.quickbooks_mapping import bill_mapper
from connectors.sync import sync_connector
from connectors.xero_history import bill_history
from tests.connectors.fake_quickbooks import bill as quickbooks_bill
from tests.connectors.fake_xero import BASE, FakeXero, invoice, journal, ms_date
from tests.connectors.test_xero import KEY, connect, make, rows


def _quickbooks_row(approval: dict[str, Any] | None, *, paid: bool = False) -> dict[str, Any]:
    body = quickbooks_bill(1, paid=paid)
    if approval is not None:
        body["TxnApprovalInfo"] = approval
    [(_, row)] = list(bill_mapper("USD")(body))
    return row


def test_quickbooks_bill_pending_approval_is_awaiting_approval() -> None:
    row = _quickbooks_row(
        {"ApprovalStatus": "PENDING_APPROVAL", "LastChangedDate": "2026-08-20T09:00:00-07:00"}
    )
    assert row["status"] == "awaiting_approval"
    assert "approved_at" not in row


def test_quickbooks_approved_bill_is_approved_when_its_status_last_changed() -> None:
    row = _quickbooks_row(
        {"ApprovalStatus": "APPROVED", "LastChangedDate": "2026-08-22T10:30:00-07:00"}
    )
    assert (row["status"], row["approved_at"]) == ("approved", "2026-08-22T10:30:00-07:00")


def test_quickbooks_rejected_bill_goes_back_to_draft() -> None:
    assert _quickbooks_row({"ApprovalStatus": "REJECTED"})["status"] == "draft"


def test_quickbooks_bill_without_approval_workflow_is_approved_with_no_date() -> None:
    row = _quickbooks_row(None)
    assert row["status"] == "approved"
    assert "approved_at" not in row


def test_quickbooks_paid_bill_stays_paid_whatever_the_workflow_says() -> None:
    row = _quickbooks_row({"ApprovalStatus": "PENDING_APPROVAL"}, paid=True)
    assert row["status"] == "paid"


def test_xero_history_gives_entry_and_latest_approval_times() -> None:
    body = {
        "HistoryRecords": [
            {"Changes": "Created", "DateUTC": ms_date(1_700_000_000_000)},
            {"Changes": "Approved", "DateUTC": ms_date(1_700_100_000_000)},
            {"Changes": "Approved", "DateUTC": ms_date(1_700_200_000_000)},
            {"Changes": "Paid", "DateUTC": "not a date"},
        ]
    }
    assert bill_history(body) == {
        "created_at": "2023-11-14T22:13:20+00:00",
        "approved_at": "2023-11-17T05:46:40+00:00",
    }
    assert bill_history({"HistoryRecords": None}) == {}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeXero]:
    monkeypatch.setenv("BUSYWORK_SECRET_KEYS", KEY)
    api = FakeXero()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        api.install(mock)
        yield api


def test_xero_bills_past_draft_are_read_with_their_history(engine: Engine, fake: FakeXero) -> None:
    connect(engine, fake)
    approved = invoice(1, kind="ACCPAY", status="AUTHORISED")
    draft = invoice(2, kind="ACCPAY", status="DRAFT")
    fake.feeds["Invoices"] = [approved, draft]
    fake.history[approved["InvoiceID"]] = [
        {"Changes": "Created", "DateUTC": ms_date(1_700_000_000_000)},
        {"Changes": "Approved", "DateUTC": ms_date(1_700_100_000_000)},
    ]
    result = sync_connector(engine, make(engine))
    assert result.ok, result.error
    by_id = {row["source_id"]: row for row in rows(engine, Bill)}
    assert by_id[approved["InvoiceID"]]["approved_at"] is not None
    assert by_id[approved["InvoiceID"]]["created_at"] is not None
    assert by_id[draft["InvoiceID"]]["approved_at"] is None
    asked = [r.url for r in fake.requests if (r.url or "").endswith("/History")]
    assert asked == [f"{BASE}/Invoices/{approved['InvoiceID']}/History"]


def test_xero_manual_journals_are_keyed_in_when_their_history_begins(
    engine: Engine, fake: FakeXero
) -> None:
    connect(engine, fake)
    posted, voided = journal(1), journal(2, status="VOIDED")
    fake.feeds["ManualJournals"] = [posted, voided]
    fake.history[posted["ManualJournalID"]] = [
        {"Changes": "Posted", "DateUTC": ms_date(1_700_100_000_000)},
        {"Changes": "Created", "DateUTC": ms_date(1_700_000_000_000)},
    ]
    result = sync_connector(engine, make(engine))
    assert result.ok, result.error
    [entry] = [row for row in rows(engine, JournalEntry) if not row["deleted"]]
    assert entry["created_at"].replace(tzinfo=UTC) == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    asked = [r.url for r in fake.requests if (r.url or "").endswith("/History")]
    assert asked == [f"{BASE}/ManualJournals/{posted['ManualJournalID']}/History"]


def test_xero_histories_can_be_left_unread(engine: Engine, fake: FakeXero) -> None:
    connect(engine, fake)
    fake.feeds["Invoices"] = [invoice(1, kind="ACCPAY", status="AUTHORISED")]
    fake.feeds["ManualJournals"] = [journal(1)]
    connector = make(engine)
    connector.config = connector.config.model_copy(update={"read_history": False})
    result = sync_connector(engine, connector)
    assert result.ok, result.error
    assert not [r for r in fake.requests if (r.url or "").endswith("/History")]
    [bill] = rows(engine, Bill)
    assert bill["approved_at"] is None
