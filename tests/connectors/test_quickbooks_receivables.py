"""QuickBooks customer payments: a payment settles every invoice it is linked to."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
import responses
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.store.read import load_frames
from busywork.store.records import Payment, RecordKind
from connectors.sync import sync_connector
from detectors._payments import INVOICE_COLUMNS, OPTIONAL_PAYMENTS, PAID, UNPAID, payment_facts
from tests.connectors.fake_quickbooks import FakeQuickBooks, invoice, payment
from tests.connectors.test_quickbooks import KEY, connect, make, rows


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeQuickBooks]:
    monkeypatch.setenv("BUSYWORK_SECRET_KEYS", KEY)
    api = FakeQuickBooks()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        api.install(mock)
        yield api


def live(engine: Engine) -> dict[str, Any]:
    return {row["source_id"]: row for row in rows(engine, Payment) if not row["deleted"]}


def facts(engine: Engine) -> pd.DataFrame:
    frames = load_frames(
        engine,
        "acme",
        {RecordKind.INVOICE: INVOICE_COLUMNS, **OPTIONAL_PAYMENTS},
    )
    invoices = frames[RecordKind.INVOICE]
    return payment_facts(invoices, frames[RecordKind.PAYMENT]).set_index(invoices["source_id"])


def test_a_payment_linked_to_three_invoices_settles_all_three(
    engine: Engine, fake: FakeQuickBooks
) -> None:
    connect(engine, fake)
    fake.entities["Invoice"] = [invoice(n, paid=n < 3) for n in range(4)]
    fake.entities["Payment"] = [payment(0, [0, 1, 2], paid_on="2026-08-30"), payment(1, [])]
    result = sync_connector(engine, make(engine, fake))
    assert result.ok, result.error
    assert result.problems == []

    stored = live(engine)
    assert sorted(stored) == ["5000:1000", "5000:1001", "5000:1002", "5001"]
    assert {ident: row["invoice_id"] for ident, row in stored.items()} == {
        "5000:1000": "1000",
        "5000:1001": "1001",
        "5000:1002": "1002",
        "5001": None,  # unapplied: settles nothing
    }
    assert {row["amount"] for row in stored.values()} == {275.0}
    assert stored["5000:1001"]["method"] == "Check"

    out = facts(engine)
    # Midnight of the payment day in the company's timezone (Los Angeles), kept in UTC.
    paid_on = pd.Timestamp("2026-08-30 07:00")
    assert out.loc[["1000", "1001", "1002"], "state"].tolist() == [PAID] * 3
    assert out.loc[["1000", "1001", "1002"], "paid_at"].tolist() == [paid_on] * 3
    assert out.loc["1003", "state"] == UNPAID
    assert pd.isna(out.loc["1003", "paid_at"])


def test_edited_and_deleted_payments_settle_only_what_they_still_link(
    engine: Engine, fake: FakeQuickBooks
) -> None:
    connect(engine, fake)
    fake.entities["Invoice"] = [invoice(n) for n in range(4)]
    fake.entities["Payment"] = [payment(0, [0, 1]), payment(1, [2])]
    assert sync_connector(engine, make(engine, fake)).ok
    # A row stored the old way (the payment's own id, first invoice only) is replaced too.
    with engine.begin() as connection:
        connection.execute(
            sa.insert(Payment.__table__).values(  # type: ignore[attr-defined]
                business="acme",
                source="qbo",
                source_id="5000",
                origin="manual",
                invoice_id="1000",
                paid_at=datetime(2026, 8, 30, 7, tzinfo=UTC),
                amount=550.0,
                currency="USD",
                content_hash="legacy",
            )
        )
    later = fake.now + timedelta(hours=1)
    fake.entities["Payment"] = [payment(0, [0], updated=later), payment(2, [3], updated=later)]
    fake.delete("Payment", "5001", later)
    fake.now = later + timedelta(minutes=5)
    result = sync_connector(engine, make(engine, fake))
    assert result.ok, result.error
    assert sorted(live(engine)) == ["5000:1000", "5002:1003"]
