"""Tenants in the database: business configs loaded from a folder of YAML files, read by workers.

``busywork tenants sync DIR`` (and ``busywork run -c DIR``) stores each file's text as
written, ``${ENV}`` references unresolved, after validating it. Only files whose content
changed since the last sync are parsed, so a thousand unchanged files cost a thousand
hashes, not a thousand validations; an invalid file is reported and skipped and the other
tenants are untouched. Every write is an atomic upsert (``INSERT … ON CONFLICT DO UPDATE``),
so two workers registering the same business at the same instant both succeed.

Workers read a tenant's config through :class:`TenantCache`: one indexed lookup of the
content hash per task, a re-parse only when it changed, so an edited file is picked up by
every worker without a restart.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from busywork.errors import ConfigError
from busywork.store.tables import Business, ConnectorState, Tenant
from config.loader import parse_config
from config.models import AppConfig

log = logging.getLogger("busywork.tenants")
TENANTS = Tenant.__table__  # type: ignore[attr-defined]
BUSINESSES = Business.__table__  # type: ignore[attr-defined]
STATES = ConnectorState.__table__  # type: ignore[attr-defined]
CONFIG_SUFFIXES = (".yaml", ".yml")


def _insert(connection: Connection) -> Any:
    return postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert


def content_hash(text: str, base_dir: str) -> str:
    """What decides whether a stored config is stale: its text and where it lives."""
    return hashlib.sha256(f"{base_dir}\0{text}".encode()).hexdigest()


def register_business(connection: Connection, config: AppConfig, now: datetime) -> None:
    """Upsert the business row and each connector's interval, atomically.

    A connector that is disabled or gone keeps its cursor but gets no interval, so the
    scheduler stops polling it; one newly configured is due at once.
    """
    business = config.business
    values = {
        "name": business.name,
        "timezone": business.timezone,
        "currency": business.currency,
        "updated_at": now,
    }
    statement = _insert(connection)(BUSINESSES).values(key=business.id, **values)
    connection.execute(statement.on_conflict_do_update(index_elements=["key"], set_=values))
    enabled = {entry.name: entry.interval_seconds for entry in config.connectors if entry.enabled}
    connection.execute(
        sa.update(STATES)
        .where(STATES.c.business == business.id, STATES.c.connector.not_in(sorted(enabled)))
        .values(interval_seconds=None)
    )
    for name, interval in enabled.items():
        statement = _insert(connection)(STATES).values(
            business=business.id, connector=name, interval_seconds=interval
        )
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["business", "connector"], set_={"interval_seconds": interval}
            )
        )


def store_tenant(
    connection: Connection,
    config: AppConfig,
    *,
    source: str,
    text: str,
    base_dir: str,
    now: datetime,
) -> None:
    """Upsert a validated config's text and register its business, in one transaction."""
    values = {
        "source": source,
        "config_text": text,
        "base_dir": base_dir,
        "content_hash": content_hash(text, base_dir),
        "updated_at": now,
    }
    statement = _insert(connection)(TENANTS).values(business=config.business.id, **values)
    connection.execute(statement.on_conflict_do_update(index_elements=["business"], set_=values))
    register_business(connection, config, now)


@dataclass
class SyncReport:
    """What one sync of a folder did."""

    loaded: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    #: File → its problems; those files were skipped, their tenants left as they were.
    failed: dict[str, list[str]] = field(default_factory=dict)


def config_files(directory: Path) -> list[Path]:
    """The YAML files of ``directory``, sorted (one business each)."""
    if not directory.is_dir():
        raise ConfigError(f"{directory}: not a folder of config files")
    return sorted(p for p in directory.iterdir() if p.suffix in CONFIG_SUFFIXES and p.is_file())


def sync_directory(engine: Engine, directory: Path, *, now: datetime) -> SyncReport:
    """Load every new or changed config file of ``directory`` into the tenant table.

    Tenants whose file was removed from ``directory`` are removed, and their connectors
    stop being polled (their records and findings stay).
    """
    report = SyncReport()
    base_dir = str(directory.resolve())
    with engine.connect() as connection:
        stored = {
            row.source: (row.business, row.content_hash)
            for row in connection.execute(
                sa.select(TENANTS.c.source, TENANTS.c.business, TENANTS.c.content_hash)
            )
        }
    seen: set[str] = set()
    owners: dict[str, str] = {}
    for path in config_files(directory):
        source = str(path.resolve())
        seen.add(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            report.failed[str(path)] = [f"{path}: cannot read the config file: {exc.strerror}"]
            continue
        known = stored.get(source)
        if known is not None and known[1] == content_hash(text, base_dir):
            report.unchanged += 1
            owners[known[0]] = source
            continue
        try:
            config = parse_config(text, source=str(path), base_dir=Path(base_dir))
        except ConfigError as exc:
            report.failed[str(path)] = exc.problems
            continue
        business = config.business.id
        if business in owners:
            report.failed[str(path)] = [
                f"{path}: business.id {business!r} is already used by {owners[business]}"
            ]
            continue
        owners[business] = source
        with engine.begin() as connection:
            store_tenant(connection, config, source=source, text=text, base_dir=base_dir, now=now)
        report.loaded.append(business)
    gone = [
        business
        for source, (business, _) in stored.items()
        if Path(source).parent == Path(base_dir) and source not in seen
    ]
    if gone:
        _remove(engine, gone)
        report.removed = sorted(gone)
    for path_name, problems in report.failed.items():
        log.warning(
            "tenant skipped file=%s action=invalid_config problems=%d", path_name, len(problems)
        )
    return report


def _remove(engine: Engine, businesses: Iterable[str]) -> None:
    names = sorted(businesses)
    with engine.begin() as connection:
        connection.execute(sa.delete(TENANTS).where(TENANTS.c.business.in_(names)))
        connection.execute(
            sa.update(STATES).where(STATES.c.business.in_(names)).values(interval_seconds=None)
        )


class StaticTenants:
    """Configs given in memory (the embedded ``scan``/``run`` with ``-c FILE``)."""

    def __init__(self, configs: Sequence[AppConfig]) -> None:
        self._configs = {config.business.id: config for config in configs}

    def get(self, business: str) -> AppConfig:
        """The config of ``business``."""
        try:
            return self._configs[business]
        except KeyError:
            raise ConfigError(f"business {business!r} is not configured") from None


class TenantCache:
    """Configs read from the tenant table, re-parsed only when their stored hash changed."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._parsed: dict[str, tuple[str, AppConfig]] = {}
        self._lock = threading.Lock()

    def get(self, business: str) -> AppConfig:
        """The current config of ``business``."""
        with self.engine.connect() as connection:
            current = connection.execute(
                sa.select(TENANTS.c.content_hash).where(TENANTS.c.business == business)
            ).scalar_one_or_none()
            with self._lock:
                cached = self._parsed.get(business)
            if cached is not None and cached[0] == current:
                return cached[1]
            row = connection.execute(
                sa.select(TENANTS).where(TENANTS.c.business == business)
            ).one_or_none()
        if row is None:
            raise ConfigError(f"business {business!r} is not in the tenant table")
        config = parse_config(row.config_text, source=row.source, base_dir=Path(row.base_dir))
        with self._lock:
            self._parsed[business] = (row.content_hash, config)
        return config
