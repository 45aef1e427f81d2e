"""A business's event ids commit in the order they were taken, on PostgreSQL too."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from busywork.store.event_order import business_lock_key
from busywork.store.ingest import commit_page
from busywork.store.records import RecordKind
from tests.factories import batch, invoice_rows


def _commit(engine: Engine, business: str, connector: str, prefix: str, **kwargs: object) -> None:
    rows = [{**row, "source_id": f"{prefix}{row['source_id']}"} for row in invoice_rows(3)]
    commit_page(
        engine,
        business=business,
        connector=connector,
        batches=[batch(RecordKind.INVOICE, rows)],
        cursor=None,
        **kwargs,  # type: ignore[arg-type]
    )


def _in_thread(work: Callable[[], None]) -> tuple[threading.Thread, threading.Event]:
    done = threading.Event()

    def run() -> None:
        work()
        done.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, done


def _ids_by_source(engine: Engine, business: str) -> dict[str, list[int]]:
    query = sa.text("SELECT source, id FROM event WHERE business = :b ORDER BY id")
    found: dict[str, list[int]] = {}
    with engine.connect() as connection:
        for source, event_id in connection.execute(query, {"b": business}):
            found.setdefault(source, []).append(int(event_id))
    return found


def test_a_second_writer_of_the_business_waits_for_the_open_one(pg_engine: Engine) -> None:
    entered, release = threading.Event(), threading.Event()

    def hold_open(_connection: Connection) -> None:
        entered.set()
        release.wait(20)

    first, first_done = _in_thread(
        lambda: _commit(pg_engine, "acme", "books", "A-", in_transaction=hold_open)
    )
    assert entered.wait(10)
    second, second_done = _in_thread(lambda: _commit(pg_engine, "acme", "stripe", "B-"))
    # Without the turn-taking the second page would commit here, with the larger ids,
    # before the first: a reader that saw its ids would skip the first page's for good.
    assert not second_done.wait(1.0)
    # Another business's writer does not wait.
    _commit(pg_engine, "other", "books", "C-")
    assert not first_done.is_set()
    release.set()
    first.join(20)
    second.join(20)
    assert first_done.is_set()
    assert second_done.is_set()
    ids = _ids_by_source(pg_engine, "acme")
    assert len(ids["books"]) == len(ids["stripe"]) == 3
    assert max(ids["books"]) < min(ids["stripe"])


def test_a_rolled_back_writer_lets_the_next_one_in(pg_engine: Engine) -> None:
    def fail(_connection: Connection) -> None:
        raise RuntimeError("the job is no longer ours")

    with pytest.raises(RuntimeError, match="no longer ours"):
        _commit(pg_engine, "acme", "books", "A-", in_transaction=fail)
    _, done = _in_thread(lambda: _commit(pg_engine, "acme", "stripe", "B-"))
    assert done.wait(10)
    assert list(_ids_by_source(pg_engine, "acme")) == ["stripe"]


def test_the_lock_key_is_stable_and_fits_postgresql_int4() -> None:
    keys = {business_lock_key(f"business-{n}") for n in range(1000)}
    assert all(-(2**31) <= key < 2**31 for key in keys)
    assert len(keys) > 990  # distinct businesses rarely share a turn
    assert business_lock_key("acme") == business_lock_key("acme")
