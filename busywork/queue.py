"""The Procrastinate engine: the task functions as jobs on PostgreSQL, for any number of workers.

Jobs carry plain ids; a worker turns one into a call of :mod:`busywork.tasks` with a
runtime whose queue defers follow-ups in SQL (:class:`~busywork.jobs.SqlQueue`), whose
guard is the job's fence (:class:`~busywork.jobs.JobFence`) and whose clock is the
database's. Two periodic jobs, each under a lock so only one runs at a time whichever
worker defers it, keep the fleet going:

- ``busywork.plan_due`` every :data:`STEP_SECONDS`: defer the polls, deliveries and
  digests that are due (:func:`busywork.tasks.plan_due`);
- ``busywork.retry_stalled`` every :data:`STALLED_CHECK_SECONDS`: jobs of a worker whose
  heartbeat is older than :data:`STALLED_AFTER_SECONDS` (SIGKILL, a lost host) go back to
  waiting and run elsewhere. A stalled job whose twin already waits is aborted instead:
  the twin does the same work.

The ``procrastinate`` command works on these jobs with ``--app busywork.queue.app``
(the store URL from ``BUSYWORK_DATABASE_URL``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import procrastinate
import sqlalchemy as sa
from procrastinate.job_context import JobContext
from sqlalchemy.engine import Engine

from busywork import DATABASE_URL_ENV, metrics, tasks
from busywork.embedded import run_unit
from busywork.errors import ConfigError
from busywork.jobs import QUEUES, TASK_NAMES, JobFence, SqlQueue
from busywork.schedule import database_now
from busywork.store.db import open_store
from busywork.tenants import TenantCache
from busywork.units import Unit

log = logging.getLogger("busywork.worker")
URL_ENV = DATABASE_URL_ENV
#: The scheduler step's period: a due poll is deferred at most this late.
STEP_SECONDS = 10
STALLED_CHECK_SECONDS = 15
#: Heartbeats every 5 s; a worker silent for 20 s is dead and its jobs run elsewhere.
HEARTBEAT_SECONDS = 5.0
STALLED_AFTER_SECONDS = 20.0
#: New jobs wake workers through LISTEN/NOTIFY; polling is the fallback (retried jobs).
FETCH_POLL_SECONDS = 10.0
SCHEDULE_QUEUE = "schedule"
#: The step and the stalled-job retry jump the queue: under a backlog they must still run.
SCHEDULE_PRIORITY = 100
_STATE_KEY = "busywork"
_STALLED = sa.text(
    "SELECT job.id FROM procrastinate_jobs job"
    " LEFT JOIN procrastinate_workers worker ON worker.id = job.worker_id"
    " WHERE job.status = 'doing' AND (job.worker_id IS NULL"
    " OR worker.last_heartbeat < now() - make_interval(secs => :seconds))"
)


@dataclass
class WorkerState:
    """What every job of one worker process shares: the store and the tenant cache."""

    engine: Engine
    tenants: TenantCache

    def runtime(self, context: JobContext) -> tasks.Runtime:
        """The runtime of one job: its fence, the database clock, SQL follow-ups."""
        job = context.job
        assert job.id is not None
        engine = self.engine
        return tasks.Runtime(
            engine=engine,
            tenants=self.tenants,
            queue=SqlQueue(),
            clock=lambda: _database_clock(engine),
            database_clock=True,
            guard=JobFence(job.id, job.worker_id),
            should_stop=context.should_abort,
            holder=f"job:{job.id}",
        )


def _database_clock(engine: Engine) -> datetime:
    with engine.connect() as connection:
        return database_now(connection)


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
        connector=procrastinate.PsycopgConnector(conninfo=conninfo(store_url), max_size=4)
    )
    for task, name in TASK_NAMES.items():
        app.task(name=name, queue=QUEUES[task], pass_context=True)(_job(task))
    for name, seconds, function in (
        ("busywork.plan_due", STEP_SECONDS, _plan_due),
        ("busywork.retry_stalled", STALLED_CHECK_SECONDS, _retry_stalled),
    ):
        registered = app.task(
            name=name,
            queue=SCHEDULE_QUEUE,
            pass_context=True,
            lock=name,
            queueing_lock=name,
            priority=SCHEDULE_PRIORITY,
        )(function)
        app.periodic(cron=f"* * * * * */{seconds}", periodic_id=name)(registered)
    return app


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


def _plan_due(context: JobContext, timestamp: int) -> None:
    """Defer what is due (one worker at a time: the job's lock)."""
    tasks.plan_due(_state(context).runtime(context))


def _retry_stalled(context: JobContext, timestamp: int) -> None:
    """Send the jobs of dead workers back to the queue."""
    engine = _state(context).engine
    with engine.connect() as connection:
        stalled = list(connection.execute(_STALLED, {"seconds": STALLED_AFTER_SECONDS}).scalars())
    for job_id in stalled:
        if job_id == context.job.id:
            continue
        try:
            with engine.begin() as connection:
                connection.execute(
                    sa.text("SELECT procrastinate_retry_job_v2(:id, now(), NULL, NULL, NULL)"),
                    {"id": job_id},
                )
            log.warning("stalled job id=%d action=retried", job_id)
        except sa.exc.IntegrityError:
            # Its twin already waits under the same queueing lock: that one does the work.
            with engine.begin() as connection:
                connection.execute(
                    sa.text("SELECT procrastinate_finish_job_v1(:id, 'aborted', false)"),
                    {"id": job_id},
                )
            log.warning("stalled job id=%d action=superseded", job_id)


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
    try:
        app.run_worker(**options)
    finally:
        log.info("worker stopped action=stopped")


def __getattr__(attribute: str) -> Any:
    """``busywork.queue.app``: the app the ``procrastinate`` command loads, from the env."""
    if attribute == "app":
        url = os.environ.get(URL_ENV)
        if not url:
            raise ConfigError(f"set {URL_ENV} to use the procrastinate command on Busywork's jobs")
        return build_app(url)
    raise AttributeError(attribute)
