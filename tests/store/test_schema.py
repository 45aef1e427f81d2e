from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from busywork.errors import StoreError
from busywork.store.db import migrate, open_store, redact_url
from busywork.store.schema import METADATA, include_object


def test_migrations_produce_exactly_the_models_schema(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": include_object})
        diff = compare_metadata(context, METADATA)
    assert diff == []


def test_migrating_twice_is_a_no_op(engine: Engine) -> None:
    migrate(engine)
    migrate(engine)
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_heads()


def test_unreachable_database_is_one_clear_line_without_password() -> None:
    with pytest.raises(StoreError) as caught:
        open_store("postgresql+psycopg://bob:hunter2@127.0.0.1:1/nowhere?connect_timeout=2")
    message = str(caught.value)
    assert "cannot reach the database" in message
    assert "hunter2" not in message
    assert "\n" not in message


def test_unusable_url_is_reported(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not usable"):
        open_store("nosuchdb://x")


def test_redact_url_hides_password() -> None:
    assert redact_url("postgresql+psycopg://u:s3cret@h/db") == "postgresql+psycopg://u:***@h/db"
