"""The in-process worker: event-driven re-detection, deferred detection, stop, broken connectors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from busywork.store.records import RecordKind
from busywork.synth import GeneratorSettings, generate
from busywork.units import DETECT, Unit
from config.loader import parse_config
from config.models import AppConfig
from detectors.base import WINDOW_REFRESH
from detectors.registry import detector_classes
from worker import Worker

AS_OF = datetime(2026, 10, 31, 23, 59, tzinfo=UTC)
CONFIG = """\
business: {{id: shop, name: Shop, timezone: Europe/London, currency: GBP}}
storage: {{url: "sqlite:///store.db"}}
connectors:
  - {{name: exports, type: csv, path: data, interval: 1h}}
{extra}
goals:
  - {{id: time, name: Less admin, objective: owner_time}}
  - {{id: cash, name: Cash, objective: cash_flow}}
"""


@pytest.fixture
def business(tmp_path: Path) -> tuple[AppConfig, dict[str, object]]:
    synthetic = generate(GeneratorSettings(seed=2, months=12, scale=0.2))
    synthetic.write(tmp_path / "data")
    return parse_config(CONFIG.format(extra=""), base_dir=tmp_path), synthetic.truth


@pytest.fixture
def make_worker(engine: Engine) -> Callable[[AppConfig], Worker]:
    """Workers on the parametrised store, so these tests run on SQLite and PostgreSQL."""
    return lambda config: Worker([config], engine=engine, as_of=AS_OF)


def test_second_cycle_without_changes_runs_no_detector(
    business: tuple[AppConfig, dict[str, object]], make_worker: Callable[[AppConfig], Worker]
) -> None:
    config, _ = business
    worker = make_worker(config)
    first = worker.scan(config)
    assert sorted(first.detection.ran) == sorted(detector_classes())
    assert first.detection.changes.new
    again = worker.scan(config, force=True)
    assert again.syncs[0].pages == 0
    assert again.detection.ran == []
    assert again.document is not None
    assert [r["id"] for r in again.document["recommendations"]] == [
        r["id"] for r in first.document["recommendations"]
    ]  # type: ignore[index]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _rename_first(path: Path, column: str) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[0, column] = frame.loc[0, column] + " (renamed)"
    frame.to_csv(path, index=False)


def test_only_detectors_reading_a_changed_kind_run_again(
    business: tuple[AppConfig, dict[str, object]], tmp_path: Path, engine: Engine
) -> None:
    config, _ = business
    clock = Clock(datetime(2026, 11, 1, 8, 0, tzinfo=UTC))
    worker = Worker([config], engine=engine, as_of=AS_OF, clock=clock)
    worker.scan(config)
    _rename_first(tmp_path / "data" / "appointments.csv", "title")
    clock.now += WINDOW_REFRESH
    result = worker.scan(config, force=True)
    assert result.syncs[0].stats.updated == 1
    readers = {
        kind for kind, cls in detector_classes().items() if RecordKind.APPOINTMENT in cls.requires()
    }
    assert set(result.detection.ran) == readers
    assert "appointment_to_invoice" in readers
    assert "recurring_invoice" not in readers


def test_business_wide_detectors_coalesce_batches_within_their_refresh_window(
    business: tuple[AppConfig, dict[str, object]], tmp_path: Path, engine: Engine
) -> None:
    config, _ = business
    clock = Clock(datetime(2026, 11, 1, 8, 0, tzinfo=UTC))
    worker = Worker([config], engine=engine, as_of=AS_OF, clock=clock)
    worker.scan(config)
    _rename_first(tmp_path / "data" / "appointments.csv", "title")
    clock.now += WINDOW_REFRESH - timedelta(seconds=1)
    soon = worker.scan(config, force=True)
    assert soon.syncs[0].stats.updated == 1
    assert soon.detection.ran == []  # every appointment reader is business-wide: deferred
    clock.now += timedelta(seconds=1)
    later = worker.scan(config)  # no new events, but the deferred batch is now due
    assert "calendar_overload" in later.detection.ran
    assert "appointment_to_invoice" in later.detection.ran


def test_a_changed_invoice_re_detects_just_its_customer_at_once(
    business: tuple[AppConfig, dict[str, object]], tmp_path: Path, engine: Engine
) -> None:
    config, truth = business
    clock = Clock(datetime(2026, 11, 1, 8, 0, tzinfo=UTC))
    worker = Worker([config], engine=engine, as_of=AS_OF, clock=clock)
    first = worker.scan(config)
    planted = next(item for item in truth["planted"] if item["kind"] == "recurring_invoice")  # type: ignore[attr-defined]
    customer = planted["subject"]["id"]
    path = tmp_path / "data" / "invoices.csv"
    invoices = pd.read_csv(path, dtype=str, keep_default_na=False)
    mine = invoices.index[invoices["customer_id"] == customer]
    invoices.loc[mine[-1], "deleted"] = "true"  # one of the run's invoices goes away
    invoices.to_csv(path, index=False)
    clock.now += timedelta(minutes=1)
    result = worker.scan(config, force=True)
    assert result.detection.ran == ["recurring_invoice"]
    assert result.detection.scoped == {"recurring_invoice": 1}
    finding = next(
        rec
        for rec in first.document["recommendations"]  # type: ignore[index]
        if rec["kind"] == "recurring_invoice" and rec["subject"]["id"] == customer
    )
    assert result.detection.changes.changed == [finding["id"]]
    assert result.detection.changes.resolved == []
    # Findings about other customers were neither re-announced nor resolved.
    assert result.detection.changes.new == []


def test_a_finding_whose_evidence_is_deleted_is_resolved(
    business: tuple[AppConfig, dict[str, object]],
    tmp_path: Path,
    make_worker: Callable[[AppConfig], Worker],
) -> None:
    config, truth = business
    worker = make_worker(config)
    first = worker.scan(config)
    planted = next(item for item in truth["planted"] if item["kind"] == "recurring_invoice")  # type: ignore[attr-defined]
    customer = planted["subject"]["id"]
    path = tmp_path / "data" / "invoices.csv"
    invoices = pd.read_csv(path, dtype=str, keep_default_na=False)
    invoices["deleted"] = (invoices["customer_id"] == customer).map({True: "true", False: "false"})
    invoices.to_csv(path, index=False)
    result = worker.scan(config, force=True)
    resolved_id = next(
        rec["id"]
        for rec in first.document["recommendations"]  # type: ignore[index]
        if rec["kind"] == "recurring_invoice" and rec["subject"]["id"] == customer
    )
    assert resolved_id in result.detection.changes.resolved
    assert resolved_id not in [rec["id"] for rec in result.document["recommendations"]]  # type: ignore[index]


def test_a_poll_defers_one_detection_and_the_cycle_runs_it_in_place(
    business: tuple[AppConfig, dict[str, object]], make_worker: Callable[[AppConfig], Worker]
) -> None:
    config, _ = business
    worker = make_worker(config)
    synced = worker.poll(config, "exports", force=True)
    assert synced is not None
    assert synced.pages > 1  # every page deferred it; one unit waits
    assert worker.queue.pop() == Unit(DETECT, "shop")
    assert worker.queue.pop() is None
    worker.poll(config, "exports", force=True)
    result = worker.process(config)
    assert len(worker.queue) == 0  # the cycle ran the detection itself
    assert result.document is not None


def test_connector_not_due_is_not_polled_again(
    business: tuple[AppConfig, dict[str, object]], make_worker: Callable[[AppConfig], Worker]
) -> None:
    config, _ = business
    worker = make_worker(config)
    assert worker.poll(config, "exports") is not None
    assert worker.poll(config, "exports") is None  # interval is 1h
    assert worker.poll(config, "exports", force=True) is not None


def test_one_broken_connector_does_not_stop_the_others(tmp_path: Path, engine: Engine) -> None:
    generate(GeneratorSettings(seed=3, months=12, scale=0.2)).write(tmp_path / "data")
    extra = "  - {name: broken, type: csv, path: missing-folder}"
    config = parse_config(CONFIG.format(extra=extra), base_dir=tmp_path)
    result = Worker([config], engine=engine, as_of=AS_OF).scan(config)
    outcome = {sync.connector: sync.ok for sync in result.syncs}
    assert outcome == {"exports": True, "broken": False}
    assert result.document is not None
    assert result.document["recommendations"]


def test_stop_is_idempotent_and_prevents_further_work(
    business: tuple[AppConfig, dict[str, object]], make_worker: Callable[[AppConfig], Worker]
) -> None:
    config, _ = business
    worker = make_worker(config)
    worker.stop()
    worker.stop()
    assert worker.run_once() == []


@pytest.mark.slow
def test_run_stops_cleanly_on_sigterm(
    business: tuple[AppConfig, dict[str, object]], tmp_path: Path
) -> None:
    config_path = tmp_path / "busywork.yaml"
    config_path.write_text(CONFIG.format(extra="").replace("interval: 1h", "interval: 1s"))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "busywork.cli",
            "--log-level",
            "INFO",
            "run",
            "--config",
            str(config_path),
        ],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    lines: list[str] = []
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        lines.append(line)
        if "action=polled" in line:
            break
    process.send_signal(signal.SIGTERM)
    try:
        _, rest = process.communicate(timeout=60)
    finally:
        process.kill()
    output = "".join(lines) + rest
    assert "action=polled" in output
    assert "action=stopped" in output
    assert process.returncode == 0
    assert "Traceback" not in output
