"""The Procrastinate engine: the task functions as jobs on PostgreSQL, for any number of workers.

Jobs carry plain ids; a worker turns one into a call of :mod:`busywork.tasks` with a
runtime whose queue defers follow-ups in SQL (:class:`~busywork.jobs.SqlQueue`), whose
guard is the job's fence (:class:`~busywork.jobs.JobFence`) and whose clock is the
database's. Beside its jobs, each worker runs the fleet's upkeep in a thread
(:mod:`busywork.upkeep`: defer what is due, retry a dead worker's jobs). One periodic
job, under a lock so only one runs at a time whichever worker defers it, renews push
subscriptions: ``busywork.renew_subscriptions`` (:mod:`busywork.inbound.renewal`).

What an idle fleet costs the database, per worker and minute: ``60 / HEARTBEAT_SECONDS``
heartbeats, ``60 / UPKEEP_SECONDS`` upkeep ticks and ``60 / FETCH_POLL_SECONDS`` fetch
polls (new and retried jobs wake workers through LISTEN/NOTIFY, so polling is only a
fallback), whatever the number of businesses.

The ``procrastinate`` command works on these jobs with ``--app busywork.queue.app``
(the store URL from ``BUSYWORK_DATABASE_URL``); run workers with ``busywork run``, which
adds the upkeep.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import procrastinate
import psycopg_pool
import sqlalchemy as sa
from procrastinate.job_context import JobContext
from sqlalchemy.engine import Engine

from busywork import DATABASE_URL_ENV, metrics, tasks
from busywork.embedded import run_unit
from busywork.errors import ConfigError
from busywork.inbound.manage import ClientFactory, connector_client
from busywork.inbound.renewal import renew, stored_configs
from busywork.jobs import QUEUES, TASK_NAMES, JobFence, SqlQueue
from busywork.schedule import DatabaseClock
from busywork.store.db import open_store
from busywork.store.liveness import check_without_query
from busywork.tenants import TenantCache
from busywork.units import Unit
from busywork.upkeep import STALLED_AFTER_SECONDS, upkeep_forever

log = logging.getLogger("busywork.worker")
URL_ENV = DATABASE_URL_ENV
#: Heartbeats every 10 s; one silent for STALLED_AFTER_SECONDS (30 s) is dead.
HEARTBEAT_SECONDS = 10.0
#: New and retried jobs wake workers through LISTEN/NOTIFY; polling is only the fallback.
FETCH_POLL_SECONDS = 60.0
SCHEDULE_QUEUE = "schedule"
#: Periodic jobs jump the queue: under a backlog they must still run.
SCHEDULE_PRIORITY = 100
#: Push subscriptions are renewed hourly (well inside their two-day renewal margin).
RENEW_CRON = "17 * * * *"
RENEW_TASK = "busywork.renew_subscriptions"
_STATE_KEY = "busywork"


@dataclass
class WorkerState:
    """What every job of one worker process shares: the store, tenant cache and clock."""

    engine: Engine
    tenants: TenantCache
    #: The time jobs see; None: the database's (:class:`~busywork.schedule.DatabaseClock`).
    clock: Callable[[], datetime] | None = None
    #: Builds a connector's API client for subscription renewal (tests pass a fake's).
    client_for: ClientFactory = connector_client

    def __post_init__(self) -> None:
        if self.clock is None:
            self.clock = DatabaseClock(self.engine)

    def now(self) -> datetime:
        """The time by this worker's clock."""
        assert self.clock is not None
        return self.clock()

    def runtime(self, context: JobContext) -> tasks.Runtime:
        """The runtime of one job: its fence, the database clock, SQL follow-ups."""
        job = context.job
        assert job.id is not None
        return tasks.Runtime(
            engine=self.engine,
            tenants=self.tenants,
            queue=SqlQueue(),
            clock=self.now,
            database_clock=True,
            guard=JobFence(job.id, job.worker_id),
            should_stop=context.should_abort,
            holder=f"job:{job.id}",
        )


def conninfo(store_url: str) -> str:
    """The libpq URL of a ``postgresql+psycopg://`` store URL (query options kept)."""
    url = sa.engine.make_url(store_url)
    if url.get_backend_name() != "postgresql":
        raise ConfigError(
            f"storage.url must be PostgreSQL to run Procrastinate workers, not {url.drivername}"
        )
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def build_app(store_url: str) -> procrastinate.App:
    """The Procrastinate app with Busywork's tasks and periodic jobs registered."""
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(
            conninfo=conninfo(store_url), max_size=4, pool_factory=_pool
        )
    )
    for task, name in TASK_NAMES.items():
        app.task(name=name, queue=QUEUES[task], pass_context=True)(_job(task))
    renewal = app.task(
        name=RENEW_TASK,
        queue=SCHEDULE_QUEUE,
        pass_context=True,
        lock=RENEW_TASK,
        queueing_lock=RENEW_TASK,
        priority=SCHEDULE_PRIORITY,
    )(_renew_subscriptions)
    app.periodic(cron=RENEW_CRON, periodic_id=RENEW_TASK)(renewal)
    return app


def _pool(**options: Any) -> psycopg_pool.AsyncConnectionPool:
    """Procrastinate's pool, with a liveness check that costs no transaction."""
    return psycopg_pool.AsyncConnectionPool(**{**options, "check": check_without_query})


def _state(context: JobContext) -> WorkerState:
    found = (context.additional_context or {}).get(_STATE_KEY)
    if found is None:  # jobs run by the procrastinate command itself: state from the env
        found = _env_state()
        context.additional_context[_STATE_KEY] = found
    assert isinstance(found, WorkerState)
    return found


def _env_state() -> WorkerState:
    url = os.environ.get(URL_ENV)
    if not url:
        raise ConfigError(f"set {URL_ENV} to the store's postgresql+psycopg:// URL")
    engine = open_store(url)
    return WorkerState(engine, TenantCache(engine))


def _job(task: str) -> Callable[..., None]:
    def run(context: JobContext, **kwargs: str) -> None:
        unit = Unit.from_kwargs(task, kwargs)
        with metrics.observe_job(unit):
            metrics.record_outcome(unit, run_unit(_state(context).runtime(context), unit))

    run.__name__ = run.__qualname__ = task
    run.__doc__ = f"The {task} task as a Procrastinate job."
    return run


def _renew_subscriptions(context: JobContext, timestamp: int) -> None:
    """Renew push subscriptions (one worker at a time: the job's lock)."""
    state = _state(context)
    renew(
        state.engine,
        stored_configs(state.engine, state.tenants),
        state.now(),
        client_for=state.client_for,
        should_stop=context.should_abort,
    )


def run_worker(
    engine: Engine,
    store_url: str,
    *,
    concurrency: int = 4,
    queues: list[str] | None = None,
    name: str | None = None,
) -> None:
    """Run one Procrastinate worker in this process until SIGTERM/SIGINT."""
    app = build_app(store_url)
    state = WorkerState(engine, TenantCache(engine))
    log.info(
        "worker started engine=procrastinate concurrency=%d queues=%s action=started",
        concurrency,
        ",".join(queues) if queues else "all",
    )
    options: dict[str, Any] = {
        "concurrency": concurrency,
        "additional_context": {_STATE_KEY: state},
        "update_heartbeat_interval": HEARTBEAT_SECONDS,
        "stalled_worker_timeout": STALLED_AFTER_SECONDS,
        "fetch_job_polling_interval": FETCH_POLL_SECONDS,
        # Finished jobs are not kept: the store records what they did.
        "delete_jobs": "successful",
        "install_signal_handlers": True,
    }
    if queues:
        options["queues"] = queues
    if name:
        options["name"] = name
    stopping = threading.Event()
    upkeep = threading.Thread(
        target=upkeep_forever, args=(engine, stopping), name="busywork-upkeep", daemon=True
    )
    upkeep.start()
    try:
        app.run_worker(**options)
    finally:
        stopping.set()
        upkeep.join(timeout=30)
        log.info("worker stopped action=stopped")


def __getattr__(attribute: str) -> Any:
    """``busywork.queue.app``: the app the ``procrastinate`` command loads, from the env."""
    if attribute == "app":
        url = os.environ.get(URL_ENV)
        if not url:
            raise ConfigError(f"set {URL_ENV} to use the procrastinate command on Busywork's jobs")
        return build_app(url)
    raise AttributeError(attribute)
