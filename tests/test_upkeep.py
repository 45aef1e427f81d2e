"""The fleet's upkeep: due work deferred once, one worker at a time, dead workers' jobs retried."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.jobs import defer_in
from busywork.schedule import STATES
from busywork.tenants import register_business
from busywork.units import DETECT, Unit
from busywork.upkeep import UPKEEP_LOCK, upkeep_once
from config.loader import parse_config

pytestmark = pytest.mark.postgres
CONFIG = """\
business: {id: shop, name: Shop, currency: GBP}
connectors:
  - {name: books, type: csv, path: d, interval: 15m}
  - {name: pay, type: csv, path: d, interval: 15m}
"""


def _due(engine: Engine, *connectors: str) -> None:
    """Register the business; ``connectors`` are due (planned a minute ago), the rest later."""
    with engine.begin() as connection:
        register_business(connection, parse_config(CONFIG), datetime.now(UTC))
        connection.execute(sa.update(STATES).values(next_poll_at=sa.text("now() + '1 hour'")))
        connection.execute(
            sa.update(STATES)
            .where(STATES.c.connector.in_(connectors))
            .values(next_poll_at=sa.text("now() - interval '1 minute'"))
        )


def _jobs(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT status, lock FROM procrastinate_jobs ORDER BY id")
        ).all()
    return [(str(row.status), str(row.lock)) for row in rows]


def _dead_worker_with_job(engine: Engine, unit: Unit, queue: str | None = None) -> int:
    """A worker that took ``unit``'s job and then stopped heartbeating; returns the job id."""
    with engine.begin() as connection:
        defer_in(connection, unit)
        if queue is not None:
            connection.execute(
                sa.text("UPDATE procrastinate_jobs SET queue_name = :queue"), {"queue": queue}
            )
        worker = connection.execute(
            sa.text("SELECT worker_id FROM procrastinate_register_worker_v1()")
        ).scalar_one()
        job = connection.execute(
            sa.text("SELECT id FROM procrastinate_fetch_job_v2(NULL, :worker)"), {"worker": worker}
        ).scalar_one()
        connection.execute(
            sa.text("UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 minute'")
        )
    return int(job)


def test_a_due_poll_is_deferred_once_and_its_next_slot_booked(pg_engine: Engine) -> None:
    _due(pg_engine, "pay")
    first = upkeep_once(pg_engine)
    again = upkeep_once(pg_engine)
    assert (first.ran, first.deferred.polls) == (True, 1)
    assert (again.ran, again.deferred.polls) == (True, 0)
    assert _jobs(pg_engine) == [("todo", "poll_connector:shop:pay")]
    with pg_engine.connect() as connection:
        ahead = connection.execute(
            sa.select(STATES.c.next_poll_at > sa.func.now() + timedelta(minutes=13)).where(
                STATES.c.connector == "pay"
            )
        ).scalar_one()
    assert ahead  # the next slot is on the 15-minute grid, not "now"


def test_only_one_worker_runs_the_upkeep_at_a_time(pg_engine: Engine) -> None:
    _due(pg_engine, "books", "pay")
    with pg_engine.connect() as other:
        with other.begin():
            other.execute(sa.select(sa.func.pg_advisory_xact_lock(UPKEEP_LOCK)))
            busy = upkeep_once(pg_engine)
        free = upkeep_once(pg_engine)
    assert (busy.ran, busy.deferred.polls) == (False, 0)
    assert (free.ran, free.deferred.polls) == (True, 2)


def test_a_dead_workers_job_is_retried_and_the_workers_are_woken(pg_engine: Engine) -> None:
    queue = f"q{uuid.uuid4().hex[:10]}"  # a channel no other test notifies
    job = _dead_worker_with_job(pg_engine, Unit(DETECT, "shop"), queue)
    raw = pg_engine.raw_connection()
    try:
        listener = raw.driver_connection
        assert listener is not None
        listener.autocommit = True
        listener.execute(f'LISTEN "procrastinate_queue_v1#{queue}"')
        done = upkeep_once(pg_engine)
        notes = list(listener.notifies(timeout=5, stop_after=1))
    finally:
        raw.close()
    assert (done.retried, done.superseded) == ([job], [])
    assert _jobs(pg_engine) == [("todo", "detect_business:shop")]
    assert [json.loads(note.payload) for note in notes] == [{"type": "job_inserted", "job_id": job}]


def test_a_dead_workers_job_whose_twin_already_waits_is_aborted(pg_engine: Engine) -> None:
    unit = Unit(DETECT, "shop")
    job = _dead_worker_with_job(pg_engine, unit)
    with pg_engine.begin() as connection:
        assert defer_in(connection, unit)  # the twin: waiting while the first is "doing"
    done = upkeep_once(pg_engine)
    assert (done.retried, done.superseded) == ([], [job])
    assert _jobs(pg_engine) == [("aborted", unit.key), ("todo", unit.key)]


def test_a_live_workers_job_is_left_alone(pg_engine: Engine) -> None:
    _dead_worker_with_job(pg_engine, Unit(DETECT, "shop"))
    with pg_engine.begin() as connection:
        connection.execute(sa.text("UPDATE procrastinate_workers SET last_heartbeat = now()"))
    done = upkeep_once(pg_engine)
    assert (done.ran, done.retried, done.superseded) == (True, [], [])
    assert _jobs(pg_engine) == [("doing", "detect_business:shop")]
