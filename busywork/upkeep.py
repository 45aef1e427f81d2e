"""The fleet's upkeep on PostgreSQL: defer what is due, send a dead worker's jobs elsewhere.

Every Procrastinate worker runs :func:`upkeep_forever` in a thread beside its jobs. One
tick is one transaction. It first takes a transaction-scoped advisory lock
(``pg_try_advisory_xact_lock``); a worker that does not get it has spent that one
transaction and waits for its next tick. The worker that gets it, in the same transaction:

1. defers the polls, deliveries and digests that are due (:func:`busywork.schedule.defer_due`);
2. sends the jobs of workers whose heartbeat is older than :data:`STALLED_AFTER_SECONDS`
   (SIGKILL, a lost host) back to waiting, and wakes the fleet with the same NOTIFY a new
   job sends. A stalled job whose twin already waits is aborted instead: the twin does
   the same work.

So the fleet's idle cost is a constant, whatever the number of businesses: each worker
spends ``60 / UPKEEP_SECONDS`` transactions a minute here, plus Procrastinate's heartbeat
and fetch polling (see :mod:`busywork.queue`).

Why not Procrastinate periodic jobs: each tick of one costs every worker a defer attempt,
then a NOTIFY wakes every worker to fetch, then one runs it and finishes it (about
``2 × workers + 3`` transactions a tick, against ``workers`` here). And a periodic job
that was running on a SIGKILLed worker keeps its lock, so the next one cannot start: the
job that retries stalled jobs must not itself be a job.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from busywork.jobs import SqlQueue
from busywork.schedule import Deferred, database_now, defer_due

log = logging.getLogger("busywork.worker")
#: Seconds between two upkeep ticks of one worker: a due poll is deferred at most this late.
UPKEEP_SECONDS = 15.0
#: A worker whose heartbeat is this old is dead; with the tick, its jobs restart within
#: ``STALLED_AFTER_SECONDS + UPKEEP_SECONDS`` (45 s) of its death.
STALLED_AFTER_SECONDS = 30.0
#: ``pg_try_advisory_xact_lock`` key of the upkeep ("busywrk" in ASCII).
UPKEEP_LOCK = 0x62757379777246
_STALLED = sa.text(
    "SELECT job.id, job.queue_name FROM procrastinate_jobs job"
    " LEFT JOIN procrastinate_workers worker ON worker.id = job.worker_id"
    " WHERE job.status = 'doing' AND (job.worker_id IS NULL"
    " OR worker.last_heartbeat < now() - make_interval(secs => :seconds))"
    " ORDER BY job.id FOR UPDATE OF job SKIP LOCKED"
)
_RETRY = sa.text("SELECT procrastinate_retry_job_v2(:id, now(), NULL, NULL, NULL)")
_ABORT = sa.text("SELECT procrastinate_finish_job_v1(:id, 'aborted', false)")
#: The channels Procrastinate's insert trigger notifies; workers LISTEN on one of them.
_NOTIFY = sa.text(
    "SELECT pg_notify('procrastinate_queue_v1#' || :queue, :payload),"
    " pg_notify('procrastinate_any_queue_v1', :payload)"
)


@dataclass
class Upkept:
    """What one tick did; ``ran`` is False when another worker held the lock."""

    ran: bool
    deferred: Deferred = field(default_factory=Deferred)
    retried: list[int] = field(default_factory=list)
    superseded: list[int] = field(default_factory=list)


def upkeep_once(engine: Engine, *, stalled_after: float = STALLED_AFTER_SECONDS) -> Upkept:
    """One tick, in one transaction (see the module docstring)."""
    with engine.begin() as connection:
        locked = connection.execute(
            sa.select(sa.func.pg_try_advisory_xact_lock(UPKEEP_LOCK))
        ).scalar_one()
        if not locked:
            return Upkept(ran=False)
        deferred = defer_due(connection, SqlQueue(), database_now(connection))
        done = _retry_stalled(connection, stalled_after)
    if deferred.polls or deferred.deliveries or deferred.digests:
        log.info(
            "schedule step action=deferred polls=%d deliveries=%d digests=%d",
            deferred.polls,
            deferred.deliveries,
            deferred.digests,
        )
    for job_id in done.retried:
        log.warning("stalled job id=%d action=retried", job_id)
    for job_id in done.superseded:
        log.warning("stalled job id=%d action=superseded", job_id)
    done.deferred = deferred
    return done


def _retry_stalled(connection: Connection, stalled_after: float) -> Upkept:
    done = Upkept(ran=True)
    stalled = connection.execute(_STALLED, {"seconds": stalled_after}).all()
    for job_id, queue in stalled:
        try:
            with connection.begin_nested():
                connection.execute(_RETRY, {"id": job_id})
        except sa.exc.IntegrityError:
            # Its twin already waits under the same queueing lock: that one does the work.
            connection.execute(_ABORT, {"id": job_id})
            done.superseded.append(job_id)
            continue
        # A retried job is an UPDATE, which Procrastinate's trigger does not announce.
        payload = json.dumps({"type": "job_inserted", "job_id": job_id})
        connection.execute(_NOTIFY, {"queue": queue, "payload": payload})
        done.retried.append(job_id)
    return done


def upkeep_forever(
    engine: Engine, stopping: threading.Event, *, seconds: float = UPKEEP_SECONDS
) -> None:
    """Tick now and every ``seconds`` until ``stopping`` is set; a failed tick is logged."""
    while not stopping.is_set():
        try:
            upkeep_once(engine)
        except Exception:  # a lost database connection: try again next tick
            log.exception("upkeep failed action=upkeep_failed")
        stopping.wait(seconds)
