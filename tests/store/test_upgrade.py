"""A store made before the queue (leases, no tenants) upgrades without losing anything."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from busywork.store.db import alembic_config, create_engine, migrate
from tests.conftest import POSTGRES_URL, SKIP_POSTGRES

PREVIOUS_HEADS = ("0002", "0003", "0004", "0005", "0006", "0007")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def bare(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database, not migrated."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    if not POSTGRES_URL:
        pytest.skip(SKIP_POSTGRES)
    url = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    yield engine
    engine.dispose()


def _old_store(engine: Engine) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        for revision in PREVIOUS_HEADS:
            command.upgrade(config, revision)
        for statement in (
            "INSERT INTO business (key, name, timezone, currency, updated_at)"
            " VALUES ('shop', 'Shop', 'UTC', 'GBP', '2026-11-01 09:00:00')",
            "INSERT INTO connector_state (business, connector, cursor, next_poll_at)"
            " VALUES ('shop', 'stripe', '{\"mode\": \"events\", \"created\": 1796000000}',"
            " '2026-11-01 09:15:00')",
            "INSERT INTO finding (business, id, kind, status, fingerprint, candidate,"
            " first_seen_at, last_seen_at, changed_at)"
            " VALUES ('shop', 'rec_1', 'late_payment', 'open', 'fp1', '{\"k\": 1}',"
            " '2026-11-01 09:00:00', '2026-11-01 09:00:00', '2026-11-01 09:00:00')",
            "INSERT INTO delivery (id, business, channel, kind, payload, status, attempts,"
            " next_attempt_at, created_at, lease_holder, lease_expires_at)"
            " VALUES ('msg_1', 'shop', 'webhook:crm', 'recommendation.created', '{}',"
            " 'pending', 3, '2026-11-01 10:00:00', '2026-11-01 09:00:00', 'old-worker',"
            " '2026-11-01 09:02:00')",
            "INSERT INTO lease (name, holder, expires_at)"
            " VALUES ('poll:shop:stripe', 'old-worker', '2026-11-01 09:15:00')",
        ):
            connection.execute(sa.text(statement))


def test_upgrading_keeps_cursors_findings_and_the_outbox(bare: Engine) -> None:
    _old_store(bare)
    migrate(bare)
    with bare.connect() as connection:
        cursor = connection.execute(sa.text("SELECT cursor FROM connector_state")).scalar_one()
        finding = connection.execute(sa.text("SELECT status, fingerprint FROM finding")).one()
        delivery = connection.execute(
            sa.text("SELECT status, attempts, attempt_started_at FROM delivery")
        ).one()
        tables = set(sa.inspect(connection).get_table_names())
    if isinstance(cursor, str):  # SQLite hands JSON back as text here
        cursor = json.loads(cursor)
    assert cursor == {"mode": "events", "created": 1796000000}
    assert tuple(finding) == ("open", "fp1")
    assert tuple(delivery) == ("pending", 3, None)
    assert "lease" not in tables
    assert {"tenant", "delivery_recipient"} <= tables
    if bare.dialect.name == "postgresql":
        assert {"procrastinate_jobs", "procrastinate_workers"} <= tables
