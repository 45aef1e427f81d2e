"""``busywork status``: due, running, failed and stalled jobs per unit, and last errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.jobs import defer_in, request_poll
from busywork.schedule import STATES
from busywork.status import queue_status, render
from busywork.tenants import register_business
from busywork.units import DETECT, Unit
from config.loader import parse_config

CONFIG = """\
business: {id: shop, name: Shop, currency: GBP}
connectors:
  - {name: books, type: csv, path: d}
  - {name: pay, type: csv, path: d}
"""


def _setup(engine: Engine) -> None:
    with engine.begin() as connection:
        register_business(connection, parse_config(CONFIG), datetime.now(UTC))
        connection.execute(
            sa.update(STATES)
            .where(STATES.c.connector == "pay")
            .values(last_error="AuthError: 401 from the vendor", last_error_at=datetime.now(UTC))
        )


def test_status_lists_each_connector_with_its_last_error(engine: Engine) -> None:
    _setup(engine)
    status = queue_status(engine)
    lines = {(line.kind, line.target): line for line in status.lines}
    assert lines[("poll", "pay")].last_error == "AuthError: 401 from the vendor"
    assert lines[("poll", "books")].last_error is None
    assert "last error: AuthError: 401" in render(status)


@pytest.mark.postgres
def test_status_counts_due_running_failed_and_stalled_jobs(pg_engine: Engine) -> None:
    _setup(pg_engine)
    request_poll(pg_engine, "shop", "books")
    with pg_engine.begin() as connection:
        defer_in(connection, Unit(DETECT, "shop"))
        dead = connection.execute(
            sa.text("SELECT worker_id FROM procrastinate_register_worker_v1()")
        ).scalar_one()
        connection.execute(
            sa.text("UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour'")
        )
        # The dead worker had taken the detection job.
        connection.execute(
            sa.text("SELECT procrastinate_fetch_job_v2(ARRAY['detect'], :w)"), {"w": dead}
        )
    request_poll(pg_engine, "shop", "pay")
    with pg_engine.begin() as connection:
        live = connection.execute(
            sa.text("SELECT worker_id FROM procrastinate_register_worker_v1()")
        ).scalar_one()
        job = connection.execute(
            sa.text("SELECT id FROM procrastinate_fetch_job_v2(ARRAY['poll'], :w)"), {"w": live}
        ).scalar_one()
        connection.execute(
            sa.text("SELECT procrastinate_finish_job_v1(:id, 'failed', false)"), {"id": job}
        )
    status = queue_status(pg_engine, "shop")
    lines = {(line.kind, line.target): line for line in status.lines}
    assert status.queue
    # The live worker took the oldest poll job (books), which failed; pay's still waits.
    assert (lines[("poll", "books")].failed, lines[("poll", "books")].due) == (1, 0)
    assert (lines[("poll", "pay")].due, lines[("poll", "pay")].failed) == (1, 0)
    assert lines[("detect", "")].stalled == 1
    assert "stall" in render(status)
