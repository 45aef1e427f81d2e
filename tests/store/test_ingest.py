from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.store.frames import validate_records
from busywork.store.ingest import commit_page
from busywork.store.record_batch import RecordBatch
from busywork.store.records import RecordKind
from connectors.sync import load_cursor
from tests.factories import batch, invoice_rows


def _events(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(sa.text("SELECT type, source_id FROM event ORDER BY id"))
        ]


def _count(engine: Engine, table: str, where: str = "1=1") -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(sa.text(f"SELECT count(*) FROM {table} WHERE {where}")).scalar_one()
        )


def test_insert_then_resend_is_idempotent(engine: Engine) -> None:
    rows = invoice_rows(3)
    first = commit_page(
        engine,
        business="b",
        connector="books",
        batches=[batch(RecordKind.INVOICE, rows)],
        cursor={"n": 1},
    )
    again = commit_page(
        engine,
        business="b",
        connector="books",
        batches=[batch(RecordKind.INVOICE, rows)],
        cursor={"n": 2},
    )
    assert (first.inserted, first.events) == (3, 3)
    assert (again.inserted, again.updated, again.unchanged, again.events) == (0, 0, 3, 0)
    assert _count(engine, "invoice") == 3
    assert [kind for kind, _ in _events(engine)] == ["invoice.created"] * 3
    assert load_cursor(engine, "b", "books") == {"n": 2}


def test_status_change_and_plain_change_emit_their_own_event_types(engine: Engine) -> None:
    rows = invoice_rows(2)
    commit_page(
        engine,
        business="b",
        connector="books",
        batches=[batch(RecordKind.INVOICE, rows)],
        cursor=None,
    )
    rows[0]["status"] = "paid"
    rows[1]["total"] = "999"
    stats = commit_page(
        engine,
        business="b",
        connector="books",
        batches=[batch(RecordKind.INVOICE, rows)],
        cursor=None,
    )
    assert stats.updated == 2
    assert _events(engine)[2:] == [("invoice.paid", "INV-00000"), ("invoice.updated", "INV-00001")]


def test_deletion_marks_record_and_appends_event_once(engine: Engine) -> None:
    commit_page(
        engine,
        business="b",
        connector="books",
        batches=[batch(RecordKind.INVOICE, invoice_rows(2))],
        cursor=None,
    )
    gone = batch(RecordKind.INVOICE, [], deleted=("INV-00001", "NOT-THERE"))
    assert (
        commit_page(engine, business="b", connector="books", batches=[gone], cursor=None).deleted
        == 1
    )
    assert (
        commit_page(engine, business="b", connector="books", batches=[gone], cursor=None).deleted
        == 0
    )
    assert _count(engine, "invoice", "deleted") == 1
    assert _events(engine)[-1] == ("invoice.deleted", "INV-00001")


def test_tenants_and_sources_are_kept_apart(engine: Engine) -> None:
    rows = invoice_rows(2)
    for business, source in (("a", "books"), ("b", "books"), ("a", "stripe")):
        commit_page(
            engine,
            business=business,
            connector=source,
            batches=[batch(RecordKind.INVOICE, rows)],
            cursor=None,
        )
    assert _count(engine, "invoice") == 6
    assert _count(engine, "event", "business = 'a'") == 4


def test_a_failing_page_rolls_back_records_events_and_cursor(engine: Engine) -> None:
    commit_page(
        engine,
        business="b",
        connector="books",
        batches=[batch(RecordKind.INVOICE, invoice_rows(1))],
        cursor={"page": 1},
    )
    broken = batch(RecordKind.INVOICE, invoice_rows(3, prefix="NEW"))
    broken.frame.loc[2, "source_id"] = (
        None  # bypasses validation; NOT NULL stops it in the database
    )
    with pytest.raises(sa.exc.IntegrityError):
        commit_page(engine, business="b", connector="books", batches=[broken], cursor={"page": 2})
    assert _count(engine, "invoice") == 1
    assert _count(engine, "event") == 1
    assert load_cursor(engine, "b", "books") == {"page": 1}


def test_bulk_page_takes_the_full_scan_path(engine: Engine) -> None:
    rows = invoice_rows(6_000)
    assert (
        commit_page(
            engine,
            business="b",
            connector="books",
            batches=[batch(RecordKind.INVOICE, rows)],
            cursor=None,
        ).inserted
        == 6_000
    )
    rows[10]["status"] = "void"
    stats = commit_page(
        engine,
        business="b",
        connector="books",
        batches=[batch(RecordKind.INVOICE, rows)],
        cursor=None,
    )
    assert (stats.updated, stats.unchanged) == (1, 5_999)
    assert _events(engine)[-1] == ("invoice.voided", "INV-00010")


def test_the_largest_amount_validation_accepts_is_stored_on_every_database(
    engine: Engine,
) -> None:
    rows = invoice_rows(2)
    rows[0]["total"], rows[1]["total"] = "99999999999999.5", "-99999999999999.5"
    commit_page(
        engine,
        business="b",
        connector="books",
        batches=[batch(RecordKind.INVOICE, rows)],
        cursor={"n": 1},
    )
    with engine.connect() as connection:
        totals = connection.execute(sa.text("SELECT total FROM invoice ORDER BY source_id"))
        assert [float(total) for (total,) in totals] == [99999999999999.5, -99999999999999.5]


def test_a_repeated_id_keeps_its_last_row_whether_told_by_codes_or_by_values(
    engine: Engine,
) -> None:
    rows = invoice_rows(3)
    rows[2]["source_id"] = f" {rows[0]['source_id']} "  # the same id, spaces trimmed
    rows[2]["total"] = "999"
    result = validate_records(RecordKind.INVOICE, pd.DataFrame(rows, dtype=object))
    coded = RecordBatch(RecordKind.INVOICE, result.frame, text_codes=result.text_codes)
    assert "source_id" in coded.text_codes
    plain = RecordBatch(RecordKind.INVOICE, result.frame)
    for source, page in (("coded", coded), ("plain", plain)):
        stats = commit_page(engine, business="b", connector=source, batches=[page], cursor=None)
        assert stats.inserted == 2
    with engine.connect() as connection:
        totals = connection.execute(
            sa.text("SELECT source, source_id, total FROM invoice ORDER BY source, source_id")
        ).all()
    assert [tuple(row) for row in totals] == [
        ("coded", "INV-00000", 999.0),
        ("coded", "INV-00001", 101.0),
        ("plain", "INV-00000", 999.0),
        ("plain", "INV-00001", 101.0),
    ]
