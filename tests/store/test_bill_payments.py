"""Paid bills take their latest payment's date when frames are loaded; templates load empty."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from busywork.store.bill_payments import bill_payment_rows
from busywork.store.frames import validate_records
from busywork.store.ingest import commit_page
from busywork.store.read import load_frames
from busywork.store.record_batch import RecordBatch
from busywork.store.records import RecordKind


def store(engine: Engine, source: str, kind: RecordKind, *rows: dict[str, Any]) -> None:
    frame = validate_records(kind, pd.DataFrame(list(rows))).frame
    deleted = tuple(row["source_id"] for row in rows if row.get("gone"))
    commit_page(
        engine,
        business="acme",
        connector=source,
        batches=[RecordBatch(kind, frame[~frame["source_id"].isin(deleted)], deleted)],
        cursor=None,
    )


def bill(source_id: str, status: str, paid_at: str | None = None) -> dict[str, Any]:
    return {
        "source_id": source_id,
        "status": status,
        "issued_on": "2026-01-05",
        "total": 100.0,
        "currency": "GBP",
        "paid_at": paid_at,
    }


def paid(source_id: str, bill_id: str | None, when: str, **extra: Any) -> dict[str, Any]:
    return {
        "source_id": source_id,
        "bill_id": bill_id,
        "paid_at": when,
        "amount": 50.0,
        "currency": "GBP",
        **extra,
    }


def test_paid_bills_without_a_date_take_their_latest_payment(engine: Engine) -> None:
    store(
        engine,
        "books",
        RecordKind.BILL,
        bill("B1", "paid"),
        bill("B2", "paid", paid_at="2026-01-20T00:00:00Z"),
        bill("B3", "approved"),
        bill("B4", "paid"),
        bill("B5", "paid"),
    )
    store(
        engine,
        "books",
        RecordKind.PAYMENT,
        paid("P1:B1", "B1", "2026-01-10T00:00:00Z"),
        paid("P2:B1", "B1", "2026-01-12T00:00:00Z"),
        paid("P3:B2", "B2", "2026-01-25T00:00:00Z"),
        paid("P4:B3", "B3", "2026-01-11T00:00:00Z"),
        paid("P5", None, "2026-01-11T00:00:00Z", invoice_id="B4"),  # a customer payment
    )
    store(engine, "other", RecordKind.PAYMENT, paid("P6:B5", "B5", "2026-01-15T00:00:00Z"))
    frames = load_frames(engine, "acme", {RecordKind.BILL: ["paid_at"]})
    dates = frames[RecordKind.BILL].set_index("source_id")["paid_at"]
    assert dates["B1"] == pd.Timestamp("2026-01-12")  # the latest of two
    assert dates["B2"] == pd.Timestamp("2026-01-20")  # a date from the source wins
    assert pd.isna(dates["B3"])  # part-paid
    assert pd.isna(dates["B4"])  # only an invoice payment with that id
    assert pd.isna(dates["B5"])  # a payment from another source
    assert str(dates.dtype) == "datetime64[ns]"


def test_a_deleted_payment_no_longer_dates_its_bill(engine: Engine) -> None:
    store(engine, "books", RecordKind.BILL, bill("B1", "paid"))
    payment = paid("P1:B1", "B1", "2026-01-10T00:00:00Z")
    store(engine, "books", RecordKind.PAYMENT, payment)
    assert bill_payment_rows(engine, "acme", "books", {"P1"}) == ["P1:B1"]
    store(engine, "books", RecordKind.PAYMENT, {**payment, "gone": True})
    frames = load_frames(engine, "acme", {RecordKind.BILL: ["paid_at"]})
    assert pd.isna(frames[RecordKind.BILL]["paid_at"].iloc[0])
    assert bill_payment_rows(engine, "acme", "books", {"P1"}) == []


def test_a_business_without_templates_gets_an_empty_template_frame(engine: Engine) -> None:
    frames = load_frames(engine, "acme", {RecordKind.RECURRING_TEMPLATE: ["document", "active"]})
    frame = frames[RecordKind.RECURRING_TEMPLATE]
    assert frame.empty
    assert {"document", "active", "source", "source_id"} <= set(frame.columns)
