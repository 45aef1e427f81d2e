"""Jobs deferred from our own transactions: coalescing, rollback, fencing, poll requests."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.errors import JobLostError
from busywork.jobs import JobFence, defer_in, request_poll
from busywork.units import POLL, Unit

pytestmark = pytest.mark.postgres
UNIT = Unit(POLL, "shop", "stripe0")


def _waiting(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                sa.text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo'")
            ).scalar_one()
        )


def _business(connection: sa.Connection, key: str) -> None:
    connection.execute(
        sa.text(
            "INSERT INTO business (key, name, timezone, currency, updated_at)"
            " VALUES (:key, :key, 'UTC', 'GBP', now())"
        ),
        {"key": key},
    )


def _businesses(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(sa.text("SELECT key FROM business ORDER BY key")).scalars())


def test_a_burst_of_poll_requests_coalesces_into_one_waiting_job(pg_engine: Engine) -> None:
    assert [request_poll(pg_engine, "shop", "stripe0") for _ in range(5)] == [
        True,
        False,
        False,
        False,
        False,
    ]
    assert _waiting(pg_engine) == 1
    with pg_engine.connect() as connection:
        job = connection.execute(
            sa.text("SELECT task_name, lock, queueing_lock, args FROM procrastinate_jobs")
        ).one()
    assert job.task_name == "busywork.poll_connector"
    assert job.lock == job.queueing_lock == "poll_connector:shop:stripe0"
    assert job.args == {"business": "shop", "connector": "stripe0"}


def test_a_coalesced_defer_leaves_the_callers_transaction_intact(pg_engine: Engine) -> None:
    with pg_engine.begin() as connection:
        _business(connection, "a")
        assert defer_in(connection, UNIT) is True
        assert defer_in(connection, UNIT) is False
        _business(connection, "b")
    assert _businesses(pg_engine) == ["a", "b"]
    assert _waiting(pg_engine) == 1


def test_a_job_exists_exactly_when_the_data_that_caused_it_does(pg_engine: Engine) -> None:
    def failing_page() -> None:
        with pg_engine.begin() as connection:
            _business(connection, "a")
            defer_in(connection, UNIT)
            raise RuntimeError("the page failed to commit")

    with pytest.raises(RuntimeError):
        failing_page()
    assert _businesses(pg_engine) == []
    assert _waiting(pg_engine) == 0


def _fetch(engine: Engine) -> tuple[int, int]:
    with engine.begin() as connection:
        worker = connection.execute(
            sa.text("SELECT worker_id FROM procrastinate_register_worker_v1()")
        ).scalar_one()
        job = connection.execute(
            sa.text("SELECT id FROM procrastinate_fetch_job_v2(NULL, :worker)"), {"worker": worker}
        ).scalar_one()
    return job, worker


def test_a_worker_whose_job_was_taken_over_cannot_write(pg_engine: Engine) -> None:
    with pg_engine.begin() as connection:
        defer_in(connection, UNIT)
    job, first = _fetch(pg_engine)
    fence = JobFence(job, first)
    with pg_engine.begin() as connection:
        fence(connection)  # still ours
        _business(connection, "written-while-ours")
    # The first worker stalls: its job is retried and another worker takes it.
    with pg_engine.begin() as connection:
        connection.execute(
            sa.text("SELECT procrastinate_retry_job_v2(:id, now(), NULL, NULL, NULL)"), {"id": job}
        )
    again, second = _fetch(pg_engine)
    assert again == job
    assert second != first

    def stale_write() -> None:
        with pg_engine.begin() as connection:
            _business(connection, "written-after-takeover")
            fence(connection)

    with pytest.raises(JobLostError):
        stale_write()
    assert _businesses(pg_engine) == ["written-while-ours"]
    with pg_engine.begin() as connection:
        JobFence(job, second)(connection)  # the new owner may write
