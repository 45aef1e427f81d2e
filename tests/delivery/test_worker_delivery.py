"""The worker delivers: outbox rows committed with the findings, sent once, digests by email."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.engine import Engine

import busywork.recommend
from busywork.delivery.admin import list_deliveries
from busywork.pipeline import detect
from busywork.store.findings import open_candidates
from busywork.synth import GeneratorSettings, generate
from tests.delivery.configs import (
    CSV_CONNECTOR,
    SECRET,
    Clock,
    email_block,
    make_config,
    webhook_block,
)
from tests.delivery.servers import Mailbox, Receiver, free_port
from worker import Worker

AS_OF = datetime(2026, 10, 31, 23, 59, tzinfo=UTC)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    generate(GeneratorSettings(seed=2, months=12, scale=0.2)).write(tmp_path / "data")
    return tmp_path


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(SECRET).start()
    yield server
    server.stop()


def _aligned(document: dict[str, Any], floor: float = 0.0) -> set[str]:
    return {
        rec["id"] for rec in document["recommendations"] if rec["aligned"] and rec["score"] >= floor
    }


def test_every_aligned_finding_reaches_the_webhook_once(
    engine: Engine, data: Path, receiver: Receiver
) -> None:
    config = make_config(webhook_block(receiver.url), connectors=CSV_CONNECTOR, base_dir=data)
    worker = Worker([config], engine=engine, as_of=AS_OF)

    [first] = worker.run_once()
    [second] = worker.run_once(redetect=True)

    assert first.document is not None
    expected = _aligned(first.document)
    assert len(expected) >= 3
    assert {item["data"]["recommendations"][0]["id"] for item in receiver.processed.values()} == (
        expected
    )
    assert all(got.verified for got in receiver.received)
    assert len(receiver.received) == len(expected)  # the second cycle re-announced nothing
    assert second.deliveries.sent == []


def test_outbox_rows_commit_with_the_findings_or_not_at_all(
    engine: Engine, data: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(webhook_block(receiver.url), connectors=CSV_CONNECTOR, base_dir=data)
    worker = Worker([config], engine=engine, as_of=AS_OF)
    worker.poll(config, "exports", force=True)
    real = busywork.recommend.enqueue_immediate

    def crash_after_enqueue(*args: Any, **kwargs: Any) -> list[str]:
        real(*args, **kwargs)
        raise RuntimeError("crash inside the transaction")

    monkeypatch.setattr(busywork.recommend, "enqueue_immediate", crash_after_enqueue)
    with pytest.raises(RuntimeError):
        detect(engine, config, as_of=AS_OF, now=AS_OF)
    assert open_candidates(engine, "shop") == []
    assert list_deliveries(engine, "shop") == []

    monkeypatch.setattr(busywork.recommend, "enqueue_immediate", real)
    result = detect(engine, config, as_of=AS_OF, now=AS_OF)
    queued = list_deliveries(engine, "shop", limit=1000)
    assert result.changes.new
    assert {row.status for row in queued} == {"pending"}
    assert len(queued) == len(result.changes.new)
    assert receiver.received == []  # queued, not yet sent: detection does not deliver


def test_digest_email_goes_out_on_schedule_with_the_top_items(engine: Engine, data: Path) -> None:
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        block = email_block(port).replace("mode: digest\n", "mode: digest\n    max_items: 3\n")
        config = make_config(block, connectors=CSV_CONNECTOR, base_dir=data)
        clock = Clock(datetime(2026, 11, 23, 7, 0, tzinfo=UTC))  # Monday, before 08:00
        worker = Worker([config], engine=engine, as_of=AS_OF, clock=clock)
        worker.run_once()
        assert mailbox.messages == []  # not 08:00 yet
        clock.advance(hours=1, minutes=1)
        [result] = worker.run_once()
        clock.advance(minutes=5)
        worker.run_once()
    finally:
        controller.stop()

    [message] = mailbox.messages
    assert result.document is not None
    top = [rec["id"] for rec in result.document["recommendations"] if rec["aligned"]][:3]
    text = message.get_body(("plain",)).get_content()
    assert [text.index(finding) for finding in top] == sorted(text.index(f) for f in top)
    assert message["Subject"] == "3 automations worth doing at Shop"
