"""Procrastinate jobs from our own transactions: defer in SQL, fence writes, request a poll.

Procrastinate's connector keeps its own connection pool, so its ``defer`` cannot join a
transaction of ours. Its SQL API can: ``procrastinate_defer_jobs_v1`` is the function its
own ``defer`` calls, and here it runs on the SQLAlchemy connection that is writing the
records, findings or outbox rows that make the job necessary. The job then exists exactly
when they do. Each unit's key is both the job's ``lock`` (never two running) and its
``queueing_lock`` (never two waiting); a defer that meets a waiting twin is rolled back to
its savepoint and reported as coalesced, leaving the caller's transaction intact.

Nothing here imports Procrastinate itself: the inbound-webhook endpoints call
:func:`request_poll` with just an engine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from busywork.errors import JobLostError
from busywork.store.tables import ConnectorState
from busywork.units import DELIVER, DETECT, POLL, Unit

#: Task names as registered on the Procrastinate app, and the queue each one runs on.
TASK_NAMES = {
    POLL: "busywork.poll_connector",
    DETECT: "busywork.detect",
    DELIVER: "busywork.deliver",
}
QUEUES = {POLL: "poll", DETECT: "detect", DELIVER: "deliver"}
#: The unique index Procrastinate keeps on waiting jobs' queueing locks.
QUEUEING_LOCK_INDEX = "procrastinate_jobs_queueing_lock_idx_v1"
_DEFER = sa.text(
    "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW("
    " CAST(:queue AS varchar), CAST(:task AS varchar), 0, CAST(:lock AS text),"
    " CAST(:lock AS text), CAST(:args AS jsonb), CAST(NULL AS timestamptz)"
    ")::procrastinate_job_to_defer_v1])"
)
_MINE = sa.text(
    "SELECT 1 FROM procrastinate_jobs WHERE id = :job AND status = 'doing'"
    " AND worker_id IS NOT DISTINCT FROM :worker FOR SHARE"
)
STATES = ConnectorState.__table__  # type: ignore[attr-defined]


def defer_in(connection: Connection, unit: Unit) -> bool:
    """Defer ``unit`` as a job inside ``connection``'s transaction; False when coalesced."""
    try:
        with connection.begin_nested():
            connection.execute(
                _DEFER,
                {
                    "queue": QUEUES[unit.task],
                    "task": TASK_NAMES[unit.task],
                    "lock": unit.key,
                    "args": json.dumps(unit.kwargs()),
                },
            )
    except sa.exc.IntegrityError as exc:
        if getattr(getattr(exc.orig, "diag", None), "constraint_name", "") == QUEUEING_LOCK_INDEX:
            return False
        raise
    return True


class SqlQueue:
    """The :class:`~busywork.units.Queue` of Procrastinate workers: jobs in our transaction."""

    def defer(self, connection: Connection, unit: Unit) -> bool:
        """See :func:`defer_in`."""
        return defer_in(connection, unit)


@dataclass(frozen=True)
class JobFence:
    """Checks, inside a write's transaction, that job ``job_id`` is still this worker's.

    A stalled worker's jobs are retried elsewhere; if it wakes up, its next write finds
    the job moved to another worker (or back to waiting) and raises instead of committing.
    ``FOR SHARE`` holds the job row until the write commits, so the job cannot be taken
    over between the check and the commit.
    """

    job_id: int
    worker_id: int | None

    def __call__(self, connection: Connection) -> None:
        """Raise :class:`JobLostError` unless the job is running on this worker."""
        mine = connection.execute(_MINE, {"job": self.job_id, "worker": self.worker_id}).first()
        if mine is None:
            raise JobLostError(f"job {self.job_id} is no longer running on this worker")


def request_poll(engine: Engine, business: str, connector: str) -> bool:
    """Ask for a poll of one connector now (an inbound webhook said something changed).

    On PostgreSQL a poll job is deferred; while one is already waiting, bursts of
    requests coalesce into it (returns False). On SQLite the connector's planned time is
    moved to now and the embedded worker's next step picks it up.
    """
    unit = Unit(POLL, business, connector)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            return defer_in(connection, unit)
        connection.execute(
            sa.update(STATES)
            .where(STATES.c.business == business, STATES.c.connector == connector)
            .values(next_poll_at=datetime.now(UTC))
        )
        return True
