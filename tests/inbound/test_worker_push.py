"""The worker side of push: notified connectors are polled on the next due tick, and a
healthy subscription stretches the interval to the reconciliation interval."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from busywork import tasks
from busywork.inbound.status import RECONCILE_INTERVAL
from busywork.inbound.trigger import request_poll
from config.loader import parse_config
from tests.inbound.kits import KITS, NOW, install
from tests.inbound.state import due
from worker import Worker

CONFIG = """\
business: {id: shop, name: Shop, timezone: Europe/London, currency: GBP}
connectors:
  - {name: books, type: csv, path: data, interval: 1h}
  - {name: other, type: csv, path: data, interval: 1h}
goals:
  - {id: cash, name: Cash, objective: cash_flow}
delivery: {stdout: false}
"""


def test_the_next_step_polls_only_the_notified_connector(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    config = parse_config(CONFIG, base_dir=tmp_path)
    worker = Worker([config], engine=engine, clock=lambda: NOW)
    worker.run_once()
    assert due(engine) == {"books": NOW + timedelta(hours=1), "other": NOW + timedelta(hours=1)}
    request_poll(engine, "shop", "books", NOW)
    assert due(engine)["books"] == NOW
    tasks.plan_due(worker.runtime)  # one step of the worker's loop
    worker.engine_loop.drain()
    assert due(engine) == {"books": NOW + timedelta(hours=1), "other": NOW + timedelta(hours=1)}


def test_a_healthy_subscription_stretches_the_next_poll(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    config = parse_config(CONFIG, base_dir=tmp_path)
    install(engine, KITS["stripe"], connector="books")  # active, no expiry
    Worker([config], engine=engine, clock=lambda: NOW).run_once()
    assert due(engine) == {"books": NOW + RECONCILE_INTERVAL, "other": NOW + timedelta(hours=1)}
