"""Prometheus exposition and the health check, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine

from busywork.jobs import request_poll
from busywork.metrics import exposition, health, observe_job, record_outcome
from busywork.pipeline import COVERAGE, DetectResult
from busywork.schedule import STATES
from busywork.tasks import Detected
from busywork.tenants import register_business
from busywork.units import DETECT, POLL, Unit
from config.loader import parse_config
from config.models import AppConfig
from connectors.sync import SyncResult
from tests.factories import shop_worker

CONFIG = (
    "business: {id: shop, name: Shop, currency: GBP}\n"
    "connectors:\n  - {name: books, type: csv, path: d}\n"
)


def _samples(body: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def test_metrics_show_the_oldest_due_poll_failures_and_the_queue(engine: Engine) -> None:
    with engine.begin() as connection:
        register_business(connection, parse_config(CONFIG), datetime.now(UTC))
        connection.execute(
            sa.update(STATES).values(next_poll_at=datetime.now(UTC) - timedelta(minutes=5))
        )
    unit = Unit(POLL, "shop", "books")
    with observe_job(unit):
        record_outcome(unit, SyncResult(connector="books", error="HTTPError: 503"))
    request_poll(engine, "shop", "books")
    body, content_type = exposition(engine)
    assert content_type.startswith("text/plain")
    samples = _samples(body)
    age = samples[("busywork_oldest_due_poll_age_seconds", ())]
    if engine.dialect.name == "postgresql":
        assert samples[("busywork_queue_jobs", (("queue", "poll"), ("status", "todo")))] == 1
        assert age >= 300  # request_poll deferred a job; the planned time is unchanged
    else:
        assert age < 60  # SQLite: the request moved the planned time to now
    failures = ("busywork_job_failures_total", (("connector", "books"), ("task", POLL)))
    assert samples[failures] >= 1
    assert ("busywork_job_duration_seconds_count", (("task", POLL),)) in samples


def test_health_answers_and_says_when_the_database_does_not(engine: Engine) -> None:
    ok, details = health(engine)
    assert ok
    assert details["database"] == "ok"
    gone = sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    ok, details = health(gone)
    assert not ok
    assert details["database"].startswith("unreachable")


def test_each_detector_s_time_is_observed_by_detector(engine: Engine) -> None:
    def count(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str) -> float:
        key = ("busywork_detector_duration_seconds_count", (("detector", name),))
        return samples.get(key, 0.0)

    before = _samples(exposition(engine)[0])
    timed = DetectResult(ran=["invoice_lag"], seconds={COVERAGE: 0.02, "invoice_lag": 0.3})
    record_outcome(Unit(DETECT, "shop"), Detected(timed))
    after = _samples(exposition(engine)[0])
    assert count(after, "invoice_lag") == count(before, "invoice_lag") + 1
    assert count(after, COVERAGE) == count(before, COVERAGE) + 1
    slow = (
        "busywork_detector_duration_seconds_bucket",
        (("detector", "invoice_lag"), ("le", "0.25")),
    )
    assert after[slow] == before.get(slow, 0.0)  # 0.3 s is above that bucket


def test_the_in_process_worker_times_its_tasks_and_each_detector(
    engine: Engine, shop_configs: Callable[[float], AppConfig]
) -> None:
    config = shop_configs(0.1)
    worker = shop_worker(config, engine)
    before = _samples(exposition(engine)[0])
    worker.poll(config, "exports", force=True)  # commits the exports, defers their detection
    assert worker.engine_loop.drain() >= 1  # the detection (and what it defers) ran here
    after = _samples(exposition(engine)[0])

    def gained(name: str, labels: tuple[tuple[str, str], ...]) -> float:
        return after.get((name, labels), 0.0) - before.get((name, labels), 0.0)

    assert gained("busywork_job_duration_seconds_count", (("task", DETECT),)) == 1
    for detector in (COVERAGE, "recurring_invoice", "appointment_to_invoice"):
        assert gained("busywork_detector_duration_seconds_count", (("detector", detector),)) == 1
