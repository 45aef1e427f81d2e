"""Connections the server closed are seen closed without a query, and replaced before use."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from busywork.store.db import create_engine
from busywork.store.liveness import server_closed

pytestmark = pytest.mark.postgres


def _terminate(url: str, pid: int) -> None:
    admin = sa.create_engine(url)
    with admin.begin() as connection:
        connection.execute(sa.select(sa.func.pg_terminate_backend(pid)))
    admin.dispose()


def test_a_terminated_connection_is_seen_closed_and_an_open_one_is_not(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        assert not server_closed(connection)
        _terminate(postgres_url, connection.info.backend_pid)
        deadline = time.monotonic() + 5
        while not server_closed(connection) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server_closed(connection)
    finally:
        raw.close()
        engine.dispose()


def test_the_pool_replaces_a_connection_the_server_closed(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    with engine.connect() as connection:
        first = connection.execute(sa.select(sa.func.pg_backend_pid())).scalar_one()
    _terminate(postgres_url, first)
    time.sleep(0.2)
    with engine.connect() as connection:  # no error: the dead one is swapped for a new one
        second = connection.execute(sa.select(sa.func.pg_backend_pid())).scalar_one()
    engine.dispose()
    assert second != first
