"""Crash test: SIGKILL the worker mid-delivery and restart; nothing lost, duplicates share ids."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from busywork.delivery.outbox import DELIVERIES
from busywork.pipeline import recommendations
from busywork.synth import GeneratorSettings, generate
from config.loader import load_config
from tests.delivery.configs import SECRET, webhook_block
from tests.delivery.servers import Receiver

ROOT = Path(__file__).resolve().parents[2]
AS_OF = datetime(2026, 10, 31, 23, 59, tzinfo=UTC)
#: The receiver holds these requests (1-based) long enough for the test to kill the worker.
KILL_AT = (2, 6, 11)
CONFIG = """\
business: {{id: shop, name: Shop, timezone: Europe/London, currency: GBP}}
storage: {{url: "sqlite:///store.db"}}
connectors:
  - {{name: exports, type: csv, path: data, interval: 1h}}
goals:
  - {{id: time, name: Less admin, objective: owner_time}}
  - {{id: cash, name: Cash, objective: cash_flow}}
delivery:
  stdout: false
  allow_private_addresses: true
{hooks}
"""
# The real long-running worker, with a 2-second delivery claim so the test need not wait.
WORKER = """\
import sys
from datetime import UTC, datetime, timedelta
from config.loader import load_config
from worker import Worker

config = load_config(sys.argv[1])
as_of = datetime(2026, 10, 31, 23, 59, tzinfo=UTC)
Worker([config], as_of=as_of, delivery_claim_ttl=timedelta(seconds=2)).run()
"""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(SECRET).start()
    yield server
    server.stop()


def _start(config: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HOOK_SECRET": SECRET, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, str(config)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_sigkill_mid_delivery_loses_nothing(tmp_path: Path, receiver: Receiver) -> None:
    generate(GeneratorSettings(seed=2, months=12, scale=0.2)).write(tmp_path / "data")
    config = tmp_path / "busywork.yaml"
    config.write_text(CONFIG.format(hooks=webhook_block(receiver.url)), encoding="utf-8")
    # Every listed request is answered 200, but only after the worker has been killed.
    receiver.script = [(200, {}, 2.0 if n in KILL_AT else 0.0) for n in range(1, 12)]

    kills = 0
    for kill_at in KILL_AT:
        worker = _start(config)
        assert _wait(lambda n=kill_at: len(receiver.received) >= n, 60), "worker sent nothing"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        kills += 1
    worker = _start(config)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'store.db'}")

    def all_sent() -> bool:
        with engine.connect() as connection:
            statuses = connection.execute(sa.select(DELIVERIES.c.status)).scalars().all()
        return bool(statuses) and set(statuses) == {"sent"}

    try:
        assert _wait(all_sent, 60), "the restarted worker did not finish the outbox"
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    with engine.connect() as connection:
        ids = set(connection.execute(sa.select(DELIVERIES.c.id)).scalars())
    document = recommendations(
        engine, load_config(config, environ={"HOOK_SECRET": SECRET}), generated_at=AS_OF
    )
    engine.dispose()

    received = Counter(got.webhook_id for got in receiver.received)
    assert all(got.verified for got in receiver.received)
    assert set(received) == ids  # every recommendation arrived: none lost
    assert set(receiver.processed) == ids
    announced = {
        rec["id"]
        for got in receiver.received
        for rec in (got.payload or {}).get("data", {}).get("recommendations", [])
    }
    assert announced == {rec["id"] for rec in document["recommendations"] if rec["aligned"]}
    duplicated = {msg_id: n for msg_id, n in received.items() if n > 1}
    assert duplicated  # the killed sends went out again ...
    for msg_id in duplicated:  # ... with the same id and the same signed content
        bodies = {str(got.payload) for got in receiver.received if got.webhook_id == msg_id}
        assert len(bodies) == 1
    print(
        f"\ncrash test: kills={kills} deliveries={len(ids)} requests={len(receiver.received)}"
        f" unique={len(received)} duplicates={sum(n - 1 for n in received.values())}"
        f" lost={len(ids - set(received))}"
    )
