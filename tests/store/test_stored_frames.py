from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.store import frame_patch, snapshot_writes, stored_frames
from busywork.store.read import load_frames
from busywork.store.records import RecordKind
from busywork.store.stored_frames import load_stored_frames
from busywork.store.tables import FrameSnapshot
from tests.factories import (
    COMMITTED_AT,
    SNAPSHOT_COLUMNS,
    batch,
    commit_invoices,
    invoice_rows,
)

COLUMNS = SNAPSHOT_COLUMNS
NOW = COMMITTED_AT
_TABLE = FrameSnapshot.__table__  # type: ignore[attr-defined]


def _load(engine: Engine, business: str, columns: Any = COLUMNS) -> dict[RecordKind, pd.DataFrame]:
    """Frames through the stored snapshots, ``id`` first as ``load_frames`` gives it."""
    newest = frame_patch.newest_event(engine, business, columns)
    frames, ids = load_stored_frames(engine, business, columns, newest)
    return {
        kind: frame.assign(id=ids[kind])[["id", *frame.columns]] for kind, frame in frames.items()
    }


def _assert_fresh(engine: Engine, business: str, columns: Any = COLUMNS) -> None:
    loaded = _load(engine, business, columns)
    fresh = load_frames(engine, business, columns, with_ids=True)
    assert list(loaded) == list(fresh)
    for kind, frame in fresh.items():
        pd.testing.assert_frame_equal(loaded[kind], frame, check_exact=True, obj=kind.value)


def _stored(engine: Engine, business: str) -> dict[str, tuple[int, int]]:
    query = sa.select(_TABLE.c.record_kind, _TABLE.c.newest_event, _TABLE.c.rows).where(
        _TABLE.c.business == business
    )
    with engine.connect() as connection:
        return {kind: (event, rows) for kind, event, rows in connection.execute(query)}


def _refuse_row_store(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("the whole row store was read")

    monkeypatch.setattr(stored_frames, "load_frames", refused)


def test_frames_through_a_stored_snapshot_equal_a_fresh_load_after_every_change(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit_invoices(engine, "b", invoice_rows(30))
    _assert_fresh(engine, "b")  # no snapshot yet: read from the rows, then stored
    assert _stored(engine, "b")[RecordKind.INVOICE.value][1] == 30
    changed = invoice_rows(30)
    changed[3]["total"] = "999.5"  # an update keeps the record's place
    changed[7]["status"] = "paid"
    commit_invoices(engine, "b", [changed[3], changed[7], *invoice_rows(4, prefix="NEW")])
    commit_invoices(engine, "b", [], deleted=("INV-00011",))
    commit_invoices(engine, "b", invoice_rows(2), connector="shop")  # same ids, another source
    _refuse_row_store(monkeypatch)  # from here on: the snapshot and the patch only
    _assert_fresh(engine, "b")
    assert len(_load(engine, "b")[RecordKind.INVOICE]) == 30 + 4 - 1 + 2


def test_a_snapshot_far_behind_is_written_again(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit_invoices(engine, "b", invoice_rows(10))
    _load(engine, "b")
    first = _stored(engine, "b")[RecordKind.INVOICE.value]
    commit_invoices(engine, "b", invoice_rows(3, prefix="NEW"))
    _load(engine, "b")
    assert _stored(engine, "b")[RecordKind.INVOICE.value] == first  # a small patch: kept
    monkeypatch.setattr(stored_frames, "REWRITE_AFTER_RECORDS", 3)
    _load(engine, "b")
    event, rows = _stored(engine, "b")[RecordKind.INVOICE.value]
    assert (event > first[0], rows) == (True, 13)
    _refuse_row_store(monkeypatch)
    _assert_fresh(engine, "b")


def test_too_many_events_to_patch_reads_the_rows(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit_invoices(engine, "b", invoice_rows(10))
    _load(engine, "b")
    commit_invoices(engine, "b", invoice_rows(5, prefix="NEW"), deleted=("INV-00002",))
    monkeypatch.setattr(frame_patch, "MAX_PATCH_EVENTS", 2)
    _assert_fresh(engine, "b")
    assert _stored(engine, "b")[RecordKind.INVOICE.value][1] == 14


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"payload": b"PK\x03\x04 damaged"}, "unreadable"),
        ({"format_version": 0}, "format 0"),
        # Written two days before now, whatever the day: read afresh from the rows.
        ({"written_at": datetime.now(UTC) - timedelta(days=2)}, "written"),
    ],
)
def test_an_unreadable_old_format_or_day_old_snapshot_is_read_from_the_rows_and_rewritten(
    engine: Engine, caplog: pytest.LogCaptureFixture, change: dict[str, Any], message: str
) -> None:
    commit_invoices(engine, "b", invoice_rows(10))
    _load(engine, "b")
    with engine.begin() as connection:
        connection.execute(sa.update(_TABLE).values(change))
    commit_invoices(engine, "b", invoice_rows(2, prefix="NEW"))
    with caplog.at_level(logging.INFO, logger="busywork.store.stored_frames"):
        _assert_fresh(engine, "b")
    assert message in caplog.text
    assert _stored(engine, "b")[RecordKind.INVOICE.value][1] == 12  # written again


def test_two_businesses_keep_their_own_snapshots(engine: Engine) -> None:
    commit_invoices(engine, "b", invoice_rows(6))
    commit_invoices(engine, "other", invoice_rows(4, prefix="OTHER"))
    _assert_fresh(engine, "b")
    _assert_fresh(engine, "other")
    commit_invoices(engine, "other", invoice_rows(2, prefix="LATER"), deleted=("OTHER-00001",))
    _assert_fresh(engine, "b")
    _assert_fresh(engine, "other")
    assert _stored(engine, "b")[RecordKind.INVOICE.value][1] == 6


def test_each_column_set_has_its_own_snapshot(engine: Engine) -> None:
    commit_invoices(engine, "b", invoice_rows(5))
    narrow = {RecordKind.INVOICE: ("total",)}
    _assert_fresh(engine, "b", narrow)
    _assert_fresh(engine, "b")
    _assert_fresh(engine, "b", narrow)
    with engine.connect() as connection:
        keys = connection.execute(sa.select(_TABLE.c.columns_key)).scalars().all()
    assert len(set(keys)) == 3  # narrow invoices, wide invoices, payments


def test_bills_paid_at_is_read_from_the_rows_not_stored(engine: Engine) -> None:
    bills = [
        {"source_id": "B1", "vendor_id": "V1", "issued_on": "2026-01-02", "total": "50",
         "currency": "GBP", "status": "paid", "origin": "manual"},
    ]  # fmt: skip
    payments = [
        {"source_id": "P1:B1", "bill_id": "B1", "vendor_id": "V1", "amount": "50",
         "paid_at": "2026-01-09T10:00:00Z", "currency": "GBP", "origin": "manual"},
    ]  # fmt: skip
    commit_invoices(
        engine,
        "b",
        [],
        batches=[batch(RecordKind.BILL, bills), batch(RecordKind.PAYMENT, payments)],
    )
    columns = {RecordKind.BILL: ("paid_at", "status"), RecordKind.PAYMENT: ("bill_id",)}
    _assert_fresh(engine, "b", columns)
    assert set(_stored(engine, "b")) == {RecordKind.PAYMENT.value}
    assert _load(engine, "b", columns)[RecordKind.BILL]["paid_at"].notna().all()


def test_a_payload_too_large_is_not_stored_and_the_rows_are_read(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    commit_invoices(engine, "b", invoice_rows(8))
    monkeypatch.setattr(snapshot_writes, "MAX_PAYLOAD_BYTES", 100)
    with caplog.at_level(logging.INFO, logger="busywork.store.snapshot_writes"):
        _assert_fresh(engine, "b")
    assert _stored(engine, "b") == {}
    assert "action=not_stored" in caplog.text


def _write(engine: Engine, business: str, columns: tuple[str, ...], now: datetime) -> str:
    """Store the invoices' ``columns`` as of ``now``; the snapshot's column-set key."""
    frame = load_frames(engine, business, {RecordKind.INVOICE: columns}, with_ids=True)[
        RecordKind.INVOICE
    ]
    ids = frame.pop("id").to_numpy()
    newest = frame_patch.newest_event(engine, business, [RecordKind.INVOICE])
    assert snapshot_writes.write_snapshot(
        engine, business, RecordKind.INVOICE, frame, ids, newest, now=now
    )
    return snapshot_writes.columns_key(str(name) for name in frame.columns)


def _keys(engine: Engine, business: str) -> set[str]:
    query = sa.select(_TABLE.c.columns_key).where(_TABLE.c.business == business)
    with engine.connect() as connection:
        return set(connection.execute(query).scalars())


def test_a_column_set_nobody_wrote_for_a_week_is_forgotten(engine: Engine) -> None:
    commit_invoices(engine, "b", invoice_rows(5))
    commit_invoices(engine, "other", invoice_rows(3, prefix="OTHER"))
    narrow, wide = ("total",), SNAPSHOT_COLUMNS[RecordKind.INVOICE]
    narrow_key = _write(engine, "b", narrow, NOW)
    _write(engine, "other", narrow, NOW)
    # Six days on, the narrow set may still be read.
    wide_key = _write(engine, "b", wide, NOW + timedelta(days=6))
    assert _keys(engine, "b") == {narrow_key, wide_key}
    _write(engine, "b", wide, NOW + timedelta(days=8))
    assert _keys(engine, "b") == {wide_key}
    assert _keys(engine, "other") == {narrow_key}  # another business's stays
    _assert_fresh(engine, "b", {RecordKind.INVOICE: narrow})  # read from the rows again


def test_fewer_columns_are_read_from_a_snapshot_of_more_and_patched_without_a_snapshot_of_their_own(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit_invoices(engine, "b", invoice_rows(20))
    _assert_fresh(engine, "b")  # the full set stored, as a full pass stores it
    stored = _keys(engine, "b")
    changed = invoice_rows(20)
    changed[2]["status"] = "paid"
    commit_invoices(engine, "b", [changed[2], *invoice_rows(3, prefix="NEW")])
    _refuse_row_store(monkeypatch)  # the narrower set: the wider snapshot, then the patch
    narrow = {
        RecordKind.INVOICE: ("status", "customer_id"),  # another order than stored
        RecordKind.PAYMENT: ("amount",),
    }
    _assert_fresh(engine, "b", narrow)
    assert _keys(engine, "b") == stored  # no snapshot of the narrower set written


def test_a_wider_snapshot_without_a_column_asked_for_is_not_read(engine: Engine) -> None:
    commit_invoices(engine, "b", invoice_rows(6))
    _assert_fresh(engine, "b")
    wanted = {RecordKind.INVOICE: ("status", "currency")}  # currency: not stored
    _assert_fresh(engine, "b", wanted)  # read from the rows, and stored on its own
    assert len(_keys(engine, "b")) == len(COLUMNS) + 1
