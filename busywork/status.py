"""What ``busywork status`` shows: per business and connector or channel, the queue and health.

For each unit of work: jobs due (waiting and runnable now), running, failed and stalled
(running on a worker whose heartbeat stopped), plus each connector's planned next poll,
last success and last error. On SQLite, where no queue exists, the connector columns
alone are shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.delivery.outbox import aware
from busywork.jobs import TASK_NAMES
from busywork.store.tables import ConnectorState
from busywork.upkeep import STALLED_AFTER_SECONDS

STATES = ConnectorState.__table__  # type: ignore[attr-defined]
_JOBS = sa.text(
    "SELECT job.task_name, job.args->>'business' AS business,"
    " coalesce(job.args->>'connector', job.args->>'channel', '') AS target,"
    " count(*) FILTER (WHERE job.status = 'todo'"
    "   AND (job.scheduled_at IS NULL OR job.scheduled_at <= now())) AS due,"
    " count(*) FILTER (WHERE job.status = 'doing' AND worker.last_heartbeat"
    "   >= now() - make_interval(secs => :stalled)) AS running,"
    " count(*) FILTER (WHERE job.status = 'failed') AS failed,"
    " count(*) FILTER (WHERE job.status = 'doing' AND (worker.id IS NULL OR"
    "   worker.last_heartbeat < now() - make_interval(secs => :stalled))) AS stalled"
    " FROM procrastinate_jobs job"
    " LEFT JOIN procrastinate_workers worker ON worker.id = job.worker_id"
    " WHERE job.status IN ('todo', 'doing', 'failed') AND job.args ? 'business'"
    " GROUP BY 1, 2, 3"
)
_KINDS = {name: task for task, name in TASK_NAMES.items()}


@dataclass
class Line:
    """One business's connector or channel (or the business itself, for detection)."""

    business: str
    kind: str
    target: str
    due: int = 0
    running: int = 0
    failed: int = 0
    stalled: int = 0
    next_poll_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None


@dataclass
class Status:
    """Every line, and whether a queue was there to look at."""

    lines: list[Line] = field(default_factory=list)
    queue: bool = False


def queue_status(engine: Engine, business: str | None = None) -> Status:
    """The status of every unit of work (of one business when given)."""
    found: dict[tuple[str, str, str], Line] = {}
    status = Status()
    with engine.connect() as connection:
        query = sa.select(STATES).where(STATES.c.interval_seconds.is_not(None))
        if business is not None:
            query = query.where(STATES.c.business == business)
        for row in connection.execute(query):
            found[(row.business, "poll", row.connector)] = Line(
                row.business,
                "poll",
                row.connector,
                next_poll_at=_aware(row.next_poll_at),
                last_success_at=_aware(row.last_success_at),
                last_error=row.last_error,
            )
        if connection.dialect.name == "postgresql":
            status.queue = True
            for row in connection.execute(_JOBS, {"stalled": STALLED_AFTER_SECONDS}):
                if business is not None and row.business != business:
                    continue
                kind = _KINDS.get(row.task_name, row.task_name).split("_")[0]
                key = (row.business, kind, row.target)
                line = found.setdefault(key, Line(row.business, kind, row.target))
                line.due += row.due
                line.running += row.running
                line.failed += row.failed
                line.stalled += row.stalled
    status.lines = sorted(found.values(), key=lambda line: (line.business, line.kind, line.target))
    return status


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else aware(value)


def render(status: Status) -> str:
    """A plain table, one line per unit, errors last on their line."""
    header = f"{'business':<20} {'work':<8} {'target':<20} due run fail stall  next poll (UTC)"
    rows = [header if status.queue else header.replace("due run fail stall", "")]
    for line in status.lines:
        counts = f"{line.due:>3} {line.running:>3} {line.failed:>4} {line.stalled:>5}"
        when = line.next_poll_at.strftime("%Y-%m-%d %H:%M:%S") if line.next_poll_at else "-"
        error = f"  last error: {line.last_error}" if line.last_error else ""
        rows.append(
            f"{line.business:<20} {line.kind:<8} {line.target:<20}"
            f" {counts if status.queue else ''}  {when}{error}"
        )
    if not status.lines:
        rows.append("nothing scheduled: load configs with `busywork tenants sync DIR`")
    return "\n".join(rows)
