"""The worker: poll → events → detect → rank → deliver, on a schedule, safe to run many of.

APScheduler is only an in-process ticker (one job per connector, at its interval). Whatever
must survive a crash or be shared between processes lives in the database: cursors, the
next-poll time of each connector, detector watermarks, findings and leases. Every unit of
work is done under a lease, so several workers over one PostgreSQL never do it twice.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.delivery.dispatch import DispatchResult, dispatch
from busywork.delivery.outbox import CLAIM_TTL
from busywork.delivery.policy import (
    channels,
    digests_due,
    enqueue_digests,
    enqueue_immediate,
    items,
    open_findings,
)
from busywork.errors import ConfigError
from busywork.pipeline import DetectResult, detect, recommendations
from busywork.store import leases
from busywork.store.db import open_store
from busywork.store.tables import Business, ConnectorState
from config.models import AppConfig
from connectors.base import ConnectorContext
from connectors.registry import get_connector
from connectors.sync import SyncResult, sync_connector

log = logging.getLogger("busywork.worker")
#: How long a claim on a unit of work lasts before another worker may take it over.
LEASE_TTL = timedelta(minutes=15)
#: How often the long-running worker sends what is due (retries, digests, quiet-hour releases).
DELIVERY_TICK_SECONDS = 30


@dataclass
class ScanResult:
    """What one cycle did for one business."""

    business: str
    syncs: list[SyncResult] = field(default_factory=list)
    detection: DetectResult = field(default_factory=DetectResult)
    document: dict[str, Any] | None = None
    skipped: bool = False
    deliveries: DispatchResult = field(default_factory=DispatchResult)


class Worker:
    """Runs the cycle for one or more businesses sharing one store."""

    def __init__(
        self,
        configs: Sequence[AppConfig],
        *,
        engine: Engine | None = None,
        as_of: datetime | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        delivery_claim_ttl: timedelta = CLAIM_TTL,
        on_page: Callable[[SyncResult], None] | None = None,
        on_cycle: Callable[[AppConfig, ScanResult], None] | None = None,
    ) -> None:
        if not configs:
            raise ConfigError("no business configured")
        self.on_page = on_page
        #: Called by the long-running worker after each poll-and-process cycle (the CLI's
        #: one line per cycle).
        self.on_cycle = on_cycle
        urls = {config.storage.url for config in configs}
        if engine is None and len(urls) > 1:
            raise ConfigError("all config files run by one worker must share one storage.url")
        self.configs = list(configs)
        self.engine = engine or open_store(urls.pop())
        self.as_of = as_of
        self.clock = clock
        self.delivery_claim_ttl = delivery_claim_ttl
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stopping = threading.Event()
        self._scheduler: Any = None
        for config in self.configs:
            self._register_business(config)

    # -- one cycle ---------------------------------------------------------------------------

    def run_once(self, *, force: bool = True, redetect: bool = False) -> list[ScanResult]:
        """One full cycle for every business: poll every connector, detect, rank, deliver."""
        return [
            self.scan(config, force=force, redetect=redetect)
            for config in self.configs
            if not self._stopping.is_set()
        ]

    def scan(self, config: AppConfig, *, force: bool = False, redetect: bool = False) -> ScanResult:
        """Poll the connectors that are due (all with ``force``), then process the business.

        Detectors run when their inputs changed (every one with ``redetect``).
        """
        result = ScanResult(business=config.business.id)
        for connector_config in config.connectors:
            if self._stopping.is_set():
                return result
            if connector_config.enabled:
                synced = self.poll(config, connector_config.name, force=force)
                if synced is not None:
                    result.syncs.append(synced)
        if not self._stopping.is_set():
            processed = self.process(config, redetect=redetect)
            result.detection, result.document, result.skipped = (
                processed.detection,
                processed.document,
                processed.skipped,
            )
            result.deliveries = processed.deliveries
        return result

    def poll(
        self, config: AppConfig, connector_name: str, *, force: bool = False
    ) -> SyncResult | None:
        """Sync one connector under its lease if due; None when not due or leased elsewhere."""
        business = config.business.id
        connector_config = next(
            entry for entry in config.connectors if entry.name == connector_name
        )
        lease = f"poll:{business}:{connector_name}"
        if not leases.acquire(self.engine, lease, self.holder, LEASE_TTL):
            log.info(
                "poll skipped business=%s connector=%s action=leased_elsewhere",
                business,
                connector_name,
            )
            return None
        try:
            now = self.clock()
            due_at = self._next_poll_at(business, connector_name)
            if not force and due_at is not None and due_at > now:
                return None
            connector = get_connector(connector_config.type)(
                connector_config,
                ConnectorContext(
                    business=business,
                    timezone=config.business.timezone,
                    currency=config.business.currency,
                    engine=self.engine,
                ),
            )
            result = sync_connector(
                self.engine,
                connector,
                should_stop=self._stopping.is_set,
                now=self.clock,
                on_page=self.on_page,
            )
            self._set_next_poll_at(
                business, connector_name, now + timedelta(seconds=connector_config.interval_seconds)
            )
            stats = result.stats
            log.info(
                "poll done business=%s connector=%s action=%s pages=%d"
                " inserted=%d updated=%d deleted=%d rejected=%d",
                business,
                connector_name,
                "polled" if result.ok else "poll_failed",
                result.pages,
                stats.inserted,
                stats.updated,
                stats.deleted,
                len(result.problems),
            )
            return result
        finally:
            leases.release(self.engine, lease, self.holder)

    def process(self, config: AppConfig, *, redetect: bool = False) -> ScanResult:
        """Detect on what changed, rank, and deliver, under the business's lease."""
        business = config.business.id
        result = ScanResult(business=business)
        lease = f"process:{business}"
        if not leases.acquire(self.engine, lease, self.holder, LEASE_TTL):
            result.skipped = True
            return result
        try:
            now = self.clock()
            result.detection = detect(
                self.engine, config, as_of=self.as_of or now, now=now, force=redetect
            )
            if self._stopping.is_set():
                return result
            result.document = recommendations(
                self.engine, config, generated_at=now, as_of=self.as_of
            )
            self._deliver(config, result)
            return result
        finally:
            leases.release(self.engine, lease, self.holder)

    def _deliver(self, config: AppConfig, result: ScanResult) -> None:
        changes = result.detection.changes
        for finding_id in changes.new + changes.changed:
            log.info(
                "finding business=%s id=%s action=%s",
                config.business.id,
                finding_id,
                "new" if finding_id in changes.new else "changed",
            )
        target = config.delivery.json_file
        if target is not None and result.document is not None:
            _write_json(target, result.document)
        if result.document is not None and not self._stopping.is_set():
            result.deliveries = self.deliver(config, result.document)

    def deliver(self, config: AppConfig, document: dict[str, Any] | None = None) -> DispatchResult:
        """Queue what ``document`` makes due (catch-up, digests), then send the outbox.

        The catch-up covers findings no channel has heard of in their current version (a
        snooze that ended, a channel just added); detection already queued the rest.
        """
        if not channels(config):
            return DispatchResult()
        now = self.clock()
        if document is not None:
            with self.engine.begin() as connection:
                kinds = {rec["kind"] for rec in document["recommendations"]}
                _, prints = open_findings(connection, config.business.id, kinds)
                ranked = items(document, prints)
                enqueue_immediate(connection, config, ranked, now)
            enqueue_digests(self.engine, config, ranked, now)
        sent = dispatch(
            self.engine,
            config,
            holder=self.holder,
            clock=self.clock,
            ttl=self.delivery_claim_ttl,
            should_stop=self._stopping.is_set,
        )
        log.info(
            "delivery done business=%s action=delivered sent=%d retrying=%d failed=%d",
            config.business.id,
            len(sent.sent),
            len(sent.retrying),
            len(sent.failed),
        )
        return sent

    # -- durable schedule -------------------------------------------------------------------

    def _register_business(self, config: AppConfig) -> None:
        table = Business.__table__  # type: ignore[attr-defined]
        values = {
            "name": config.business.name,
            "timezone": config.business.timezone,
            "currency": config.business.currency,
            "updated_at": self.clock(),
        }
        with self.engine.begin() as connection:
            if (
                connection.execute(
                    sa.update(table).where(table.c.key == config.business.id).values(**values)
                ).rowcount
                == 0
            ):
                connection.execute(sa.insert(table).values(key=config.business.id, **values))

    def next_poll_at(self, business: str, connector: str) -> datetime | None:
        """When the connector is next due (None: now, it never ran)."""
        return self._next_poll_at(business, connector)

    def _next_poll_at(self, business: str, connector: str) -> datetime | None:
        table = ConnectorState.__table__  # type: ignore[attr-defined]
        with self.engine.connect() as connection:
            value = connection.execute(
                sa.select(table.c.next_poll_at).where(
                    table.c.business == business, table.c.connector == connector
                )
            ).scalar_one_or_none()
        return None if value is None else (value if value.tzinfo else value.replace(tzinfo=UTC))

    def _set_next_poll_at(self, business: str, connector: str, when: datetime) -> None:
        table = ConnectorState.__table__  # type: ignore[attr-defined]
        with self.engine.begin() as connection:
            updated = connection.execute(
                sa.update(table)
                .where(table.c.business == business, table.c.connector == connector)
                .values(next_poll_at=when)
            ).rowcount
            if not updated:
                connection.execute(
                    sa.insert(table).values(
                        business=business, connector=connector, next_poll_at=when
                    )
                )

    # -- long-running -----------------------------------------------------------------------

    def run(self) -> None:
        """Poll on each connector's interval until SIGTERM/SIGINT; stops between steps."""
        from apscheduler.schedulers.blocking import BlockingScheduler

        scheduler = BlockingScheduler(timezone=UTC)
        self._scheduler = scheduler
        for config in self.configs:
            for connector_config in config.connectors:
                if not connector_config.enabled:
                    continue
                scheduler.add_job(
                    self._tick,
                    "interval",
                    args=(config, connector_config.name),
                    seconds=connector_config.interval_seconds,
                    next_run_time=datetime.now(UTC),
                    id=f"{config.business.id}:{connector_config.name}",
                    max_instances=1,
                    coalesce=True,
                    misfire_grace_time=None,
                )
            if channels(config):
                scheduler.add_job(
                    self._deliver_tick,
                    "interval",
                    args=(config,),
                    seconds=DELIVERY_TICK_SECONDS,
                    next_run_time=datetime.now(UTC),
                    id=f"{config.business.id}:deliver",
                    max_instances=1,
                    coalesce=True,
                    misfire_grace_time=None,
                )
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        log.info(
            "worker started holder=%s businesses=%d action=started", self.holder, len(self.configs)
        )
        try:
            scheduler.start()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            log.info("worker stopped holder=%s action=stopped", self.holder)

    def _tick(self, config: AppConfig, connector_name: str) -> None:
        if self._stopping.is_set():
            return
        synced = self.poll(config, connector_name)
        if synced is not None and not self._stopping.is_set():
            processed = self.process(config)
            if self.on_cycle is not None:
                processed.syncs = [synced]
                self.on_cycle(config, processed)

    def _deliver_tick(self, config: AppConfig) -> None:
        if self._stopping.is_set():
            return
        document = None
        if digests_due(self.engine, config, self.clock()):
            document = recommendations(
                self.engine, config, generated_at=self.clock(), as_of=self.as_of
            )
        self.deliver(config, document)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s received action=stopping", signal.Signals(signum).name)
        self.stop()

    def stop(self) -> None:
        """Ask the worker to stop after the current step; safe to call more than once."""
        self._stopping.set()
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None and scheduler.running:
            # From a signal handler inside the scheduler's thread: don't wait on ourselves.
            threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True).start()


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` atomically, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(temporary, path)
