"""Opening the database: engine creation, schema migration under a lock, clear errors."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from busywork.errors import StoreError
from busywork.store.liveness import check_on_checkout

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: Any 64-bit number unique to us, so concurrent workers serialise their migrations.
MIGRATION_LOCK_ID = 0x6275737977726B


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***``."""
    return re.sub(r"(//[^:/@]+:)[^@]*@", r"\1***@", url)


def create_engine(url: str) -> Engine:
    """An engine for ``url`` with parameters hidden from errors and logs.

    SQLite gets a busy timeout and WAL so a reader never blocks the worker's writes.
    PostgreSQL through psycopg gets a liveness check on checkout that costs no query
    (:mod:`busywork.store.liveness`); other drivers a pre-ping.
    """
    try:
        if url.startswith("sqlite"):
            engine = sa.create_engine(url, hide_parameters=True, connect_args={"timeout": 30})
            sa.event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        if sa.engine.make_url(url).drivername == "postgresql+psycopg":
            engine = sa.create_engine(url, hide_parameters=True)
            sa.event.listen(engine, "checkout", check_on_checkout)
            return engine
        return sa.create_engine(url, hide_parameters=True, pool_pre_ping=True)
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise StoreError(f"storage.url {redact_url(url)!r} is not usable: {exc}") from None


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # 64 MiB of page cache (the default is 2 MiB): index pages of a million-row backfill
    # stay in memory instead of being re-read for every insert.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def alembic_config() -> AlembicConfig:
    """Alembic's configuration pointing at the packaged migrations."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; safe to call from many workers at once.

    Raises:
        StoreError: the database cannot be reached or migrated.
    """
    config = alembic_config()
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Held to the end of this transaction: one migrator at a time.
                connection.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID}
                )
            if _current_revisions(connection) == _head_revisions(config):
                return
            config.attributes["connection"] = connection
            # "heads": independent branches (one per feature) are all applied.
            command.upgrade(config, "heads")
    except sa.exc.OperationalError as exc:
        raise StoreError(
            f"cannot reach the database at {engine.url.render_as_string(hide_password=True)}: "
            f"{_first_line(exc.orig)}"
        ) from None


def _current_revisions(connection: sa.Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


def _head_revisions(config: AlembicConfig) -> set[str]:
    return set(ScriptDirectory.from_config(config).get_heads())


def _first_line(error: object) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def open_store(url: str) -> Engine:
    """Create the engine for ``url`` and migrate the schema; the one way code opens a store."""
    engine = create_engine(url)
    migrate(engine)
    return engine
