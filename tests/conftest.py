"""Shared fixtures: a fresh store on SQLite and, when configured, on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.store.db import create_engine, migrate

POSTGRES_URL = os.environ.get("BUSYWORK_TEST_POSTGRES_URL")
#: Tests marked ``slow`` (real worker processes, whole generated businesses) run in CI, where
#: ``CI`` is set, or when asked for; a developer's default run stays under five minutes.
RUN_SLOW = bool(os.environ.get("CI") or os.environ.get("BUSYWORK_SLOW_TESTS"))
SKIP_SLOW = "slow: runs in CI (CI=true) or with BUSYWORK_SLOW_TESTS=1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the slow tests in a developer's default run, saying how to run them."""
    del config
    if RUN_SLOW:
        return
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(pytest.mark.skip(reason=SKIP_SLOW))


SKIP_POSTGRES = (
    "BUSYWORK_TEST_POSTGRES_URL is not set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
)


def _postgres_engine() -> Iterator[Engine]:
    """An engine whose connections live in a throw-away schema, dropped afterwards."""
    assert POSTGRES_URL
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine = sa.create_engine(
        POSTGRES_URL, hide_parameters=True, connect_args={"options": f"-csearch_path={schema}"}
    )
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty store; every test using it runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'store.db'}")
        migrate(engine)
        yield engine
        engine.dispose()
        return
    if not POSTGRES_URL:
        pytest.skip(SKIP_POSTGRES)
    yield from _postgres_engine()
