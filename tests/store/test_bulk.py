"""Bulk writes store exactly what SQLAlchemy's own executemany would have stored."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.store import bulk, pg_copy
from busywork.store.bulk import insert_frame, upsert_frame
from busywork.store.records import Bill
from busywork.store.tables import Event

BILLS = Bill.__table__  # type: ignore[attr-defined]
EVENTS = Event.__table__  # type: ignore[attr-defined]


def _bill_rows() -> list[dict[str, Any]]:
    base = {"business": "b", "source": "books", "origin": "manual", "currency": "GBP"}
    return [
        {
            **base,
            "source_id": "B1",
            "vendor_id": "V1",
            "status": "approved",
            "issued_on": date(2026, 3, 31),
            "due_on": None,
            "approved_at": datetime(2026, 4, 1, 9, 30, 15, 123456, tzinfo=UTC),
            "paid_at": None,
            "total": 1234.5678,
            "deleted": False,
            "content_hash": "h1",
            "description": "Rent, April — £",
        },
        {
            **base,
            "source_id": "B2",
            "vendor_id": None,
            "status": "paid",
            "issued_on": date(2024, 2, 29),
            "due_on": date(2024, 3, 29),
            "approved_at": None,
            "paid_at": datetime(2024, 3, 30, 23, 59, 59, tzinfo=UTC),
            "total": 0.0,
            "deleted": True,
            "content_hash": "h2",
            "description": None,
        },
    ]


def _stored(engine: Engine, table: sa.Table, order: str) -> list[tuple[Any, ...]]:
    """Raw driver values, without SQLAlchemy's result processing."""
    names = [column.name for column in table.columns if column.name != "id"]
    with engine.connect() as connection:
        sql = f"SELECT {', '.join(names)} FROM {table.name} ORDER BY {order}"
        return [tuple(row) for row in connection.exec_driver_sql(sql).all()]


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for name in ("issued_on", "due_on"):
        frame[name] = pd.to_datetime(frame[name])
    for name in ("approved_at", "paid_at"):
        frame[name] = pd.to_datetime(frame[name], utc=True)
    return frame


def test_a_bulk_upsert_stores_what_sqlalchemy_stores(engine: Engine) -> None:
    rows = _bill_rows()
    with engine.begin() as connection:
        connection.execute(sa.insert(BILLS), rows)
    expected = _stored(engine, BILLS, "source_id")
    with engine.begin() as connection:
        connection.execute(sa.delete(BILLS))
        upsert_frame(
            connection,
            BILLS,
            _frame(rows),
            keys=("business", "source", "source_id"),
            update=("total",),
        )
    assert _stored(engine, BILLS, "source_id") == expected
    with engine.connect() as connection:
        read = connection.execute(sa.select(BILLS).order_by(BILLS.c.source_id)).mappings().all()
    assert read[0]["approved_at"] == datetime(2026, 4, 1, 9, 30, 15, 123456, tzinfo=UTC)
    assert read[1]["issued_on"] == date(2024, 2, 29)
    assert read[1]["deleted"] is True


def test_a_conflict_updates_only_the_named_columns(engine: Engine) -> None:
    rows = _bill_rows()
    keys = ("business", "source", "source_id")
    with engine.begin() as connection:
        upsert_frame(connection, BILLS, _frame(rows), keys=keys, update=("total",))
    changed = [{**row, "total": 99.0, "status": "void"} for row in rows]
    with engine.begin() as connection:
        upsert_frame(connection, BILLS, _frame(changed), keys=keys, update=("total",))
    with engine.connect() as connection:
        got = connection.execute(
            sa.select(BILLS.c.source_id, BILLS.c.total, BILLS.c.status).order_by(BILLS.c.source_id)
        ).all()
    assert [tuple(row) for row in got] == [("B1", 99.0, "approved"), ("B2", 99.0, "paid")]


@pytest.mark.parametrize("copy_min_rows", [10**9, 1], ids=["statement", "copy"])
def test_shared_values_store_what_a_column_of_them_stores(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, copy_min_rows: int
) -> None:
    monkeypatch.setattr(pg_copy, "COPY_MIN_ROWS", copy_min_rows)  # PostgreSQL: both paths
    shared = {"business": "b", "source": "O'Brien's \\books", "deleted": True}
    rows = [{key: value for key, value in row.items() if key not in shared} for row in _bill_rows()]
    keys = ("business", "source", "source_id")
    stored = []
    for given in ("as columns", "as constants"):
        with engine.begin() as connection:
            connection.execute(sa.delete(BILLS))
            for deleted in (False, True):  # the second write conflicts: deleted is updated
                values = {**shared, "deleted": deleted}
                if given == "as columns":
                    frame = _frame(rows).assign(**values)
                    upsert_frame(connection, BILLS, frame, keys=keys, update=("deleted",))
                else:
                    upsert_frame(
                        connection,
                        BILLS,
                        _frame(rows),
                        keys=keys,
                        update=("deleted",),
                        constants=values,
                    )
        stored.append(_stored(engine, BILLS, "source_id"))
    assert stored[0] == stored[1]
    assert [(row[1], row[6]) for row in stored[1]] == [("O'Brien's \\books", True)] * 2


def test_a_broken_constraint_raises_sqlalchemys_error_without_the_values(engine: Engine) -> None:
    rows = _bill_rows()
    repeated = [rows[0], {**rows[1], "source_id": "B1", "description": "card 4111 1111"}]
    with pytest.raises(sa.exc.IntegrityError) as raised, engine.begin() as connection:
        insert_frame(connection, BILLS, _frame(repeated))
    assert "4111" not in str(raised.value)
    assert _stored(engine, BILLS, "source_id") == []  # the transaction rolled back whole


def test_a_lost_connection_is_invalidated_and_the_error_says_so(
    engine: Engine, backend: str
) -> None:
    """A connection lost under a bulk insert is never handed out again; the next one works."""
    with engine.connect() as connection:
        _lose(engine, connection, backend)
        with pytest.raises(sa.exc.DBAPIError) as raised:
            insert_frame(connection, BILLS, _frame(_bill_rows()))
        assert raised.value.connection_invalidated
        assert connection.invalidated
        assert "Rent" not in str(raised.value)  # parameters hidden, as before
    with engine.begin() as connection:
        insert_frame(connection, BILLS, _frame(_bill_rows()))
    assert [row[2] for row in _stored(engine, BILLS, "source_id")] == ["B1", "B2"]


def _lose(engine: Engine, connection: sa.Connection, backend: str) -> None:
    """Lose ``connection``'s link to the database, as a restarted server would."""
    if backend == "sqlite":
        connection.connection.dbapi_connection.close()  # type: ignore[union-attr]
        return
    pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    connection.commit()
    with engine.connect() as other:
        other.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")


def test_a_bulk_insert_writes_json_and_nulls_as_sqlalchemy_does(engine: Engine) -> None:
    now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    rows = [
        {
            "business": "b",
            "record_kind": "bill",
            "type": "bill.paid",
            "source": "books",
            "source_id": "B1",
            "occurred_at": now,
            "detail": {"status": "paid", "previous": "approved"},
        },
        {
            "business": "b",
            "record_kind": "bill",
            "type": "bill.created",
            "source": "books",
            "source_id": "B2",
            "occurred_at": now,
            "detail": None,
        },
    ]
    with engine.begin() as connection:
        connection.execute(sa.insert(EVENTS), rows)
    expected = _stored(engine, EVENTS, "id")
    with engine.begin() as connection:
        connection.execute(sa.delete(EVENTS))
        insert_frame(connection, EVENTS, pd.DataFrame(rows))
    assert _stored(engine, EVENTS, "id") == expected
    with engine.connect() as connection:
        details = connection.execute(sa.select(EVENTS.c.detail).order_by(EVENTS.c.id)).scalars()
        assert list(details) == [{"status": "paid", "previous": "approved"}, None]


NOTE = {"status": "paid", "previous": "approved", "note": 'é "q" \\ ☃'}
#: Event rows (type, source_id, detail): mixed types; one varying column; a single row.
EVENT_SHAPES = {
    "mixed": [
        ("bill.paid", "B1", NOTE),
        ("bill.created", "B2", None),
        ("bill.created", "B\u2028\U0001f600'", None),
        ("bill.deleted", "B0", None),
    ],
    "ids_only": [("bill.created", f"B{n}", None) for n in (3, 1, 2, 10)],
    "one_row": [("bill.paid", "B1", NOTE)],
}


@pytest.mark.parametrize("shape", sorted(EVENT_SHAPES))
def test_shared_columns_are_bound_once_and_rows_keep_their_order(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, shape: str
) -> None:
    now = datetime(2026, 11, 1, 12, 0, 0, 250000, tzinfo=UTC)
    shared = {"business": "b", "record_kind": "bill", "source": "books", "occurred_at": now}
    varying = list(EVENT_SHAPES[shape])
    if engine.dialect.name == "sqlite" and len(varying) > 1:
        # PostgreSQL text cannot hold a NUL; SQLite's can, and it must arrive whole.
        varying.insert(2, (varying[1][0], "nul\x00inside", varying[1][2]))
    rows = [
        {**shared, "type": kind, "source_id": source_id, "detail": detail}
        for kind, source_id, detail in varying
    ]
    with engine.begin() as connection:
        connection.execute(sa.insert(EVENTS), rows)
    expected = _stored(engine, EVENTS, "id")
    monkeypatch.setattr(bulk, "VALUES_ROWS", 2)  # several statements, and a shorter last one
    frame = pd.DataFrame(varying, columns=["type", "source_id", "detail"], dtype=object)
    with engine.begin() as connection:
        connection.execute(sa.delete(EVENTS))
        insert_frame(connection, EVENTS, frame, constants=shared)
    assert _stored(engine, EVENTS, "id") == expected


def _upsert_twice(engine: Engine, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Rows upserted, then upserted again changed; what is stored, with the rows' ids."""
    keys = ("business", "source", "source_id")
    changed = [{**row, "total": row["total"] + 1, "status": "void"} for row in rows[::2]]
    with engine.begin() as connection:
        connection.execute(sa.delete(BILLS))
        upsert_frame(connection, BILLS, _frame(rows), keys=keys, update=("total",))
        upsert_frame(connection, BILLS, _frame(changed), keys=keys, update=("total",))
    with engine.connect() as connection:
        ids = connection.exec_driver_sql("SELECT min(id) FROM bill").scalar_one()
        sql = f"SELECT id - {ids}, source_id, total, status, approved_at FROM bill ORDER BY id"
        return [tuple(row) for row in connection.exec_driver_sql(sql).all()]


def test_copy_stores_what_a_statement_per_row_stores(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL's COPY path: same values to the last digit, same order, same upsert."""
    base = _bill_rows()
    # Amounts whose digits beyond the 15th decide the fourth decimal; ids out of order.
    amounts = [123456789012.34549, 0.1 + 0.2, -7.00005, 99999999999.99995]
    rows = [
        {**base[n % 2], "source_id": f"B{9 - n}", "total": amount}
        for n, amount in enumerate(amounts * 2)
    ]
    monkeypatch.setattr(pg_copy, "COPY_MIN_ROWS", 10**9)
    per_row = _upsert_twice(engine, rows)
    monkeypatch.setattr(pg_copy, "COPY_MIN_ROWS", 1)
    assert _upsert_twice(engine, rows) == per_row
    events = pd.DataFrame(
        {"type": ["bill.created", "bill.paid"], "source_id": ["B1", "B2"], "detail": [None, NOTE]}
    )
    shared = {
        "business": "b",
        "record_kind": "bill",
        "source": "books",
        "occurred_at": datetime(2026, 11, 1, 12, 0, 0, 250000, tzinfo=UTC),
    }
    stored = []
    for threshold in (10**9, 1):
        monkeypatch.setattr(pg_copy, "COPY_MIN_ROWS", threshold)
        with engine.begin() as connection:
            connection.execute(sa.delete(EVENTS))
            insert_frame(connection, EVENTS, events, constants=shared)
        stored.append(_stored(engine, EVENTS, "id"))
    assert stored[0] == stored[1]
