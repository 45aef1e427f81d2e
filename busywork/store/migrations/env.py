"""Alembic environment: runs migrations on the connection Busywork hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from busywork.store.schema import METADATA, include_object

target_metadata = METADATA


def run_migrations() -> None:
    """Run on the connection passed in ``config.attributes``, or on ``sqlalchemy.url``."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as owned:
            _run(owned)
        return
    _run(connection)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
