"""Prometheus metrics and the health check: what ``/metrics`` and ``/healthz`` answer.

Two kinds of figures. Counters and histograms of *this process* (job durations, failures
per connector, deliveries by outcome) are recorded where jobs run; each worker serves
them on ``busywork run --metrics-port``. Gauges read from *the database* at scrape time
(jobs per queue and status, the age of the oldest due poll, outbox rows by status,
failing connectors) are the same whichever process answers, so ``busywork serve`` can
expose them for the whole fleet. Labels never carry a business id: a thousand tenants
must not make a thousand series per metric.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine

from busywork.delivery.dispatch import DispatchResult
from busywork.delivery.outbox import aware
from busywork.schedule import STATES, database_now
from busywork.tasks import Detected
from busywork.units import POLL, Unit
from connectors.sync import SyncResult

REGISTRY = CollectorRegistry()
JOB_SECONDS = Histogram(
    "busywork_job_duration_seconds",
    "Time a task took, by task.",
    ["task"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900),
    registry=REGISTRY,
)
JOB_FAILURES = Counter(
    "busywork_job_failures_total",
    "Tasks that failed (polls: the connector's sync failed), by task and connector.",
    ["task", "connector"],
    registry=REGISTRY,
)
DETECTOR_SECONDS = Histogram(
    "busywork_detector_duration_seconds",
    "Time each detector took in a detection pass (the data coverage as its own), by detector.",
    ["detector"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=REGISTRY,
)
DELIVERIES = Counter(
    "busywork_deliveries_total",
    "Delivery attempts by outcome (sent, retrying, failed, lost).",
    ["outcome"],
    registry=REGISTRY,
)


@contextmanager
def observe_job(unit: Unit) -> Iterator[None]:
    """Time a task and count it as failed if it raises."""
    started = time.perf_counter()
    connector = unit.target if unit.task == POLL and unit.target else "-"
    try:
        yield
    except BaseException:
        JOB_FAILURES.labels(unit.task, connector).inc()
        raise
    finally:
        JOB_SECONDS.labels(unit.task).observe(time.perf_counter() - started)


def record_outcome(unit: Unit, result: Any) -> None:
    """Count what a finished task reports: a failed sync, detectors' times, messages by outcome."""
    if isinstance(result, SyncResult) and result.error is not None:
        JOB_FAILURES.labels(unit.task, unit.target or "-").inc()
    if isinstance(result, Detected):
        for detector, seconds in result.detection.seconds.items():
            DETECTOR_SECONDS.labels(detector).observe(seconds)
    if isinstance(result, DispatchResult):
        for outcome in ("sent", "retrying", "failed", "lost"):
            count = len(getattr(result, outcome))
            if count:
                DELIVERIES.labels(outcome).inc(count)


class StoreCollector(Collector):
    """Gauges read from the store at each scrape."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterable[GaugeMetricFamily]:
        """Queue depth, oldest due poll, outbox and connector health."""
        with self.engine.connect() as connection:
            postgres = connection.dialect.name == "postgresql"
            now = database_now(connection)
            oldest = connection.execute(
                sa.select(sa.func.min(STATES.c.next_poll_at)).where(
                    STATES.c.interval_seconds.is_not(None), STATES.c.next_poll_at <= now
                )
            ).scalar()
            outbox = connection.execute(
                sa.text("SELECT status, count(*) FROM delivery GROUP BY status")
            ).all()
            failing = connection.execute(
                sa.text(
                    "SELECT count(*) FROM connector_state WHERE interval_seconds IS NOT NULL"
                    " AND last_error_at IS NOT NULL"
                    " AND (last_success_at IS NULL OR last_error_at > last_success_at)"
                )
            ).scalar_one()
            jobs = (
                connection.execute(
                    sa.text(
                        "SELECT queue_name, status::text, count(*) FROM procrastinate_jobs"
                        " WHERE status IN ('todo', 'doing', 'failed')"
                        " GROUP BY queue_name, status"
                    )
                ).all()
                if postgres
                else []
            )
        age = GaugeMetricFamily(
            "busywork_oldest_due_poll_age_seconds",
            "How long the most overdue poll has waited past its planned time (0: none due).",
        )
        age.add_metric(
            [], 0.0 if oldest is None else max(0.0, (now - aware(oldest)).total_seconds())
        )
        yield age
        depth = GaugeMetricFamily(
            "busywork_queue_jobs",
            "Jobs in the queue by queue and status.",
            labels=["queue", "status"],
        )
        for queue, status, count in jobs:
            depth.add_metric([queue, status], count)
        yield depth
        rows = GaugeMetricFamily(
            "busywork_outbox_messages", "Outbox messages by status.", labels=["status"]
        )
        for status, count in outbox:
            rows.add_metric([status], count)
        yield rows
        broken = GaugeMetricFamily(
            "busywork_connectors_failing", "Connectors whose last poll failed."
        )
        broken.add_metric([], failing)
        yield broken


def exposition(engine: Engine | None = None) -> tuple[bytes, str]:
    """The ``/metrics`` body and its content type: this process's figures plus the store's."""
    registry = REGISTRY
    if engine is not None:
        registry = CollectorRegistry()
        registry.register(_Chained(REGISTRY))
        registry.register(StoreCollector(engine))
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _Chained(Collector):
    """Re-exposes another registry's metrics inside a per-scrape registry."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterable[Any]:
        """Everything ``source`` collects."""
        return self.source.collect()


def health(engine: Engine) -> tuple[bool, dict[str, Any]]:
    """Whether the store answers and, under Procrastinate, how many workers are alive.

    Returns ``(ok, details)``; ``ok`` is False when the database does not answer.
    """
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
            details: dict[str, Any] = {"database": "ok"}
            if connection.dialect.name == "postgresql":
                details["workers"] = connection.execute(
                    sa.text(
                        "SELECT count(*) FROM procrastinate_workers"
                        " WHERE last_heartbeat > now() - interval '30 seconds'"
                    )
                ).scalar_one()
    except sa.exc.SQLAlchemyError as exc:
        return False, {"database": f"unreachable: {type(exc).__name__}"}
    return True, details
