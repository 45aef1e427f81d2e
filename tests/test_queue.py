"""Procrastinate workers as real processes: they poll, detect, and survive a SIGKILLed peer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest
import sqlalchemy as sa

from tests.fake_stripe_server import (
    CUSTOMERS_PER_ACCOUNT,
    INVOICES_PER_ACCOUNT,
    FakeStripe,
    business_yaml,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[1]
#: Events per account: its customers, its invoices and their one embedded line each.
RECORDS = CUSTOMERS_PER_ACCOUNT + 2 * INVOICES_PER_ACCOUNT


@pytest.fixture
def api() -> Iterator[FakeStripe]:
    server = FakeStripe().start()
    yield server
    server.stop()


def _folder(tmp_path: Path, api: FakeStripe, url: str, businesses: int) -> Path:
    folder = tmp_path / "tenants"
    folder.mkdir()
    for n in range(businesses):
        text = business_yaml(f"shop{n}", api.url, url, interval="1h")
        (folder / f"shop{n}.yaml").write_text(text)
    return folder


def _start(folder: Path, url: str, log: IO[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "busywork", "--log-level", "INFO", "run"),
            *("-c", str(folder), "--store", url, "--concurrency", "2"),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log,
        text=True,
        env={**os.environ, "FAKE_STRIPE_KEY": "rk_test_fake", "PYTHONUNBUFFERED": "1"},
    )


def _wait(condition: Callable[[], bool], seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():
            return time.monotonic() - started
        time.sleep(0.25)
    raise AssertionError(f"not within {seconds} s")


def _count(url: str, query: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text(query)).scalar_one())
    except sa.exc.ProgrammingError:  # the worker has not created the schema yet
        return 0
    finally:
        engine.dispose()


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_worker_polls_and_detects_every_tenant_once(
    postgres_url: str, api: FakeStripe, tmp_path: Path
) -> None:
    folder = _folder(tmp_path, api, postgres_url, businesses=3)
    log = (tmp_path / "worker.log").open("w")
    worker = _start(folder, postgres_url, log)
    try:
        _wait(lambda: _count(postgres_url, "SELECT count(*) FROM event") >= 3 * RECORDS, 90)
        _wait(
            lambda: (
                _count(postgres_url, "SELECT count(DISTINCT business) FROM detector_watermark") == 3
            ),
            60,
        )
    finally:
        _stop(worker)
        log.close()
    output = (tmp_path / "worker.log").read_text()
    assert _count(postgres_url, "SELECT count(*) FROM event") == 3 * RECORDS
    assert output.count("action=polled") == 3
    assert "action=stopped" in output
    assert "Traceback" not in output


def test_a_sigkilled_workers_poll_runs_again_elsewhere_within_60_seconds(
    postgres_url: str, api: FakeStripe, tmp_path: Path
) -> None:
    folder = _folder(tmp_path, api, postgres_url, businesses=1)
    api.hold()  # the first poll stays in flight until released
    logs = [(tmp_path / f"worker{n}.log").open("w") for n in range(2)]
    doomed = _start(folder, postgres_url, logs[0])
    survivor = None
    try:
        assert api.in_flight.wait(90), "the first worker never started polling"
        doomed.send_signal(signal.SIGKILL)
        doomed.wait()
        killed_at = time.monotonic()
        api.release()
        survivor = _start(folder, postgres_url, logs[1])
        _wait(lambda: _count(postgres_url, "SELECT count(*) FROM event") >= RECORDS, 90)
        recovered = time.monotonic() - killed_at
    finally:
        api.release()
        if survivor is not None:
            _stop(survivor)
        for log in logs:
            log.close()
    assert recovered < 60
    # Nothing lost, nothing imported twice.
    assert _count(postgres_url, "SELECT count(*) FROM event") == RECORDS
    assert _count(postgres_url, "SELECT count(*) FROM invoice") == INVOICES_PER_ACCOUNT
    assert "action=retried" in (tmp_path / "worker1.log").read_text()
