"""The outbox: idempotent enqueue, leased claims, fenced marks, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from busywork.delivery.admin import list_deliveries, replay
from busywork.delivery.outbox import begin_attempt, claim, enqueue, mark_failed, mark_sent

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _enqueue(engine: Engine, delivery_id: str, *, at: datetime = NOW) -> bool:
    with engine.begin() as connection:
        return enqueue(
            connection,
            delivery_id=delivery_id,
            business="shop",
            channel="webhook:crm",
            kind="recommendation.created",
            payload={"type": "recommendation.created", "data": {"n": delivery_id}},
            now=NOW,
            not_before=at,
        )


def test_enqueuing_the_same_id_twice_makes_one_row(engine: Engine) -> None:
    assert _enqueue(engine, "msg_1") is True
    assert _enqueue(engine, "msg_1") is False
    assert [row.id for row in list_deliveries(engine, "shop")] == ["msg_1"]


def test_a_claimed_row_is_invisible_to_others_until_its_lease_ends(engine: Engine) -> None:
    _enqueue(engine, "msg_1")
    _enqueue(engine, "msg_2")
    _enqueue(engine, "msg_later", at=NOW + timedelta(hours=1))

    first = claim(engine, "shop", "worker-a", now=NOW, limit=2, ttl=timedelta(minutes=2))
    second = claim(engine, "shop", "worker-b", now=NOW, limit=2, ttl=timedelta(minutes=2))
    after_expiry = claim(engine, "shop", "worker-b", now=NOW + timedelta(minutes=3), limit=2)

    assert sorted(row.id for row in first) == ["msg_1", "msg_2"]
    assert second == []
    assert sorted(row.id for row in after_expiry) == ["msg_1", "msg_2"]
    # Claiming is not trying: no send started, so no attempt is counted.
    assert {row.attempts for row in after_expiry} == {0}


def test_a_claim_is_one_row_by_default(engine: Engine) -> None:
    _enqueue(engine, "msg_1")
    _enqueue(engine, "msg_2")
    assert [row.id for row in claim(engine, "shop", "worker-a", now=NOW)] == ["msg_1"]
    assert [row.id for row in claim(engine, "shop", "worker-b", now=NOW)] == ["msg_2"]


def test_attempts_count_sends_started_not_claims_lost_to_restarts(engine: Engine) -> None:
    _enqueue(engine, "msg_1")
    at = NOW
    for _ in range(5):  # five workers claim it and die before sending
        [row] = claim(engine, "shop", "worker-a", now=at, ttl=timedelta(minutes=2))
        at += timedelta(minutes=3)
    assert row.attempts == 0
    started = begin_attempt(engine, row, "worker-a", now=at - timedelta(minutes=3))
    assert started is not None
    assert started.attempts == 1
    # That sender dies mid-send: the next claim knows the receiver may have it already.
    [again] = claim(engine, "shop", "worker-b", now=at + timedelta(minutes=3))
    assert again.interrupted
    assert again.id == row.id
    assert begin_attempt(engine, row, "worker-a", now=at) is None  # its claim is gone


def test_a_worker_that_lost_its_lease_cannot_mark_the_row(engine: Engine) -> None:
    _enqueue(engine, "msg_1")
    [stale] = claim(engine, "shop", "worker-a", now=NOW, ttl=timedelta(minutes=2))
    [fresh] = claim(engine, "shop", "worker-b", now=NOW + timedelta(minutes=5))

    assert mark_sent(engine, stale, "worker-a", now=NOW) is False
    assert mark_sent(engine, fresh, "worker-b", now=NOW) is True
    [row] = list_deliveries(engine, "shop")
    assert row.status == "sent"
    assert claim(engine, "shop", "worker-c", now=NOW + timedelta(days=1)) == []


def test_a_dead_letter_is_listed_and_replayed_with_the_same_id(engine: Engine) -> None:
    _enqueue(engine, "msg_1")
    [row] = claim(engine, "shop", "worker-a", now=NOW)
    mark_failed(engine, row, "worker-a", error="HTTP 500 token=abc123secret")

    [dead] = list_deliveries(engine, "shop", status="failed")
    assert dead.last_error == "HTTP 500 token=***"
    again = replay(engine, "shop", "msg_1", now=NOW + timedelta(days=1))

    assert (again.id, again.status, again.attempts) == ("msg_1", "pending", 0)
    [claimed] = claim(engine, "shop", "worker-b", now=NOW + timedelta(days=1))
    assert claimed.id == "msg_1"


def test_concurrent_workers_never_claim_the_same_row(engine: Engine) -> None:
    for n in range(60):
        _enqueue(engine, f"msg_{n:02d}")
    claimed: dict[str, list[str]] = {}
    errors: list[BaseException] = []

    def work(holder: str) -> None:
        try:
            while rows := claim(engine, "shop", holder, now=NOW, limit=4):
                claimed.setdefault(holder, []).extend(row.id for row in rows)
        except BaseException as exc:  # surfaced below; a thread must not swallow it
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    everything = [delivery_id for ids in claimed.values() for delivery_id in ids]
    assert len(everything) == len(set(everything)) == 60
