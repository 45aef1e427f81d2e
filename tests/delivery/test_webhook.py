"""Webhooks against a real local receiver that verifies Standard Webhooks signatures."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.delivery import webhook
from busywork.delivery.admin import list_deliveries, replay
from busywork.delivery.dispatch import RETRY_SCHEDULE_SECONDS, dispatch
from busywork.delivery.endpoints import ENDPOINTS
from busywork.delivery.outbox import DELIVERIES, aware, enqueue
from busywork.errors import RetriableError
from config.models import AppConfig
from tests.delivery.configs import SECRET, Clock, email_block, make_config, webhook_block
from tests.delivery.servers import Receiver, free_port, payload, recommendation


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(SECRET).start()
    yield server
    server.stop()


def _queue(engine: Engine, clock: Clock, delivery_id: str = "msg_1") -> None:
    with engine.begin() as connection:
        enqueue(
            connection,
            delivery_id=delivery_id,
            business="shop",
            channel="webhook:crm",
            kind="recommendation.created",
            payload=payload(recommendation("rec_a"), kind="recommendation.created"),
            now=clock(),
        )


def _run(engine: Engine, config: AppConfig, clock: Clock) -> list[str]:
    result = dispatch(engine, config, holder="w1", clock=clock, rng=random.Random(7))
    return sorted(
        [f"sent:{i}" for i in result.sent]
        + [f"retry:{i}" for i in result.retrying]
        + [f"failed:{i}" for i in result.failed]
    )


def _row(engine: Engine, delivery_id: str = "msg_1") -> sa.Row[tuple[object, ...]]:
    with engine.connect() as connection:
        return connection.execute(sa.select(DELIVERIES).where(DELIVERIES.c.id == delivery_id)).one()


def test_signed_delivery_verifies_with_the_reference_library(
    engine: Engine, receiver: Receiver
) -> None:
    clock, config = Clock(), make_config(webhook_block(receiver.url))
    _queue(engine, clock)

    assert _run(engine, config, clock) == ["sent:msg_1"]

    [got] = receiver.received
    assert got.verified
    assert got.webhook_id == "msg_1"
    assert got.payload is not None
    assert got.payload["type"] == "recommendation.created"
    assert set(got.payload) == {"type", "timestamp", "data"}
    assert got.payload["data"]["recommendations"][0]["id"] == "rec_a"


def test_500_is_retried_later_with_the_same_id_and_processed_once(
    engine: Engine, receiver: Receiver
) -> None:
    clock, config = Clock(), make_config(webhook_block(receiver.url))
    receiver.script = [(500, {}, 0.0)]
    _queue(engine, clock)

    assert _run(engine, config, clock) == ["retry:msg_1"]
    due = aware(_row(engine).next_attempt_at)  # type: ignore[arg-type]
    assert timedelta(seconds=4) <= due - clock() <= timedelta(seconds=6)  # 5 s ± 20 %
    assert _run(engine, config, clock) == []  # not due yet
    clock.advance(seconds=6)
    assert _run(engine, config, clock) == ["sent:msg_1"]

    assert [got.webhook_id for got in receiver.received] == ["msg_1", "msg_1"]
    assert all(got.verified for got in receiver.received)
    assert list(receiver.processed) == ["msg_1"]  # the receiver de-duplicates on webhook-id


@pytest.mark.parametrize("retry_after", ["120", "Mon, 23 Nov 2026 10:02:00 GMT"])
def test_429_honours_retry_after_in_both_forms(
    engine: Engine, receiver: Receiver, retry_after: str
) -> None:
    clock, config = Clock(), make_config(webhook_block(receiver.url))
    receiver.script = [(429, {"Retry-After": retry_after}, 0.0)]
    _queue(engine, clock)

    assert _run(engine, config, clock) == ["retry:msg_1"]
    due = aware(_row(engine).next_attempt_at)  # type: ignore[arg-type]
    assert due - clock() >= timedelta(seconds=119)


def test_redirects_are_not_followed(engine: Engine, receiver: Receiver) -> None:
    clock, config = Clock(), make_config(webhook_block(receiver.url))
    receiver.script = [(302, {"Location": f"http://127.0.0.1:{free_port()}/elsewhere"}, 0.0)]
    _queue(engine, clock)

    assert _run(engine, config, clock) == ["retry:msg_1"]
    assert len(receiver.received) == 1
    assert "redirects are not followed" in str(_row(engine).last_error)


def test_a_slow_receiver_times_out(receiver: Receiver) -> None:
    receiver.script = [(200, {}, 1.5)]
    with pytest.raises(RetriableError, match=r"no answer within 0\.3 s"):
        webhook.send(
            receiver.url,
            SECRET,
            "msg_1",
            payload(),
            now=Clock()(),
            allow_private=True,
            timeout=0.3,
        )
    assert webhook.TIMEOUT_SECONDS == 15


def test_410_disables_the_endpoint_and_tells_the_owner(engine: Engine, receiver: Receiver) -> None:
    clock = Clock()
    config = make_config(webhook_block(receiver.url), email_block(free_port()))
    receiver.script = [(410, {}, 0.0)]
    _queue(engine, clock, "msg_1")
    _queue(engine, clock, "msg_2")

    outcome = _run(engine, config, clock)

    assert "failed:msg_1" in outcome
    assert "failed:msg_2" in outcome  # never sent: the endpoint is disabled
    assert len(receiver.received) == 1
    notices = [row for row in list_deliveries(engine, "shop") if row.channel == "email"]
    assert [row.kind for row in notices] == ["endpoint.disabled"]
    with engine.connect() as connection:
        endpoint = connection.execute(sa.select(ENDPOINTS)).one()
    assert endpoint.disabled_reason == "the receiver answered 410 Gone"

    replay(engine, "shop", "msg_2", now=clock())  # the owner fixed the receiver
    assert "sent:msg_2" in _run(engine, config, clock)


def test_an_endpoint_failing_for_five_days_is_disabled(engine: Engine, receiver: Receiver) -> None:
    clock = Clock()
    config = make_config(webhook_block(receiver.url), email_block(free_port()))
    receiver.script = [(503, {}, 0.0)] * 20
    _queue(engine, clock, "msg_1")
    assert _run(engine, config, clock) == ["retry:msg_1"]
    clock.advance(days=5, seconds=1)
    _queue(engine, clock, "msg_2")

    outcome = _run(engine, config, clock)

    assert "failed:msg_1" in outcome
    assert "endpoint disabled after" in str(_row(engine, "msg_1").last_error)
    kinds = [row.kind for row in list_deliveries(engine, "shop") if row.channel == "email"]
    assert kinds == ["endpoint.disabled"]


def test_retries_span_days_then_dead_letter(engine: Engine, receiver: Receiver) -> None:
    clock, config = Clock(), make_config(webhook_block(receiver.url))
    receiver.script = [(500, {}, 0.0)] * 20
    _queue(engine, clock)
    start = clock()

    for _ in range(len(RETRY_SCHEDULE_SECONDS)):
        assert _run(engine, config, clock) == ["retry:msg_1"]
        clock.now = aware(_row(engine).next_attempt_at)  # type: ignore[arg-type]
    assert clock() - start > timedelta(days=2)
    assert _run(engine, config, clock) == ["failed:msg_1"]

    assert len(receiver.received) == len(RETRY_SCHEDULE_SECONDS) + 1
    assert {got.webhook_id for got in receiver.received} == {"msg_1"}
    [dead] = list_deliveries(engine, "shop", status="failed")
    assert "gave up after 10" in str(dead.last_error)


def test_private_receiver_is_refused_without_the_switch(engine: Engine, receiver: Receiver) -> None:
    clock, config = Clock(), make_config(webhook_block(receiver.url), private=False)
    _queue(engine, clock)

    assert _run(engine, config, clock) == ["failed:msg_1"]
    assert receiver.received == []
    assert "non-public address 127.0.0.1" in str(_row(engine).last_error)


def test_an_unexpected_error_is_retried_not_left_claimed(
    engine: Engine, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock, config = Clock(), make_config(webhook_block(receiver.url))
    _queue(engine, clock)

    def broken(payload: object) -> bytes:
        raise KeyError("type")

    monkeypatch.setattr(webhook, "body_bytes", broken)
    assert _run(engine, config, clock) == ["retry:msg_1"]
    row = _row(engine)
    assert (row.status, row.lease_holder) == ("pending", None)
    assert "KeyError" in str(row.last_error)
