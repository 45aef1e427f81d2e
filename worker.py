"""The in-process worker: the task functions of :mod:`busywork.tasks` on the embedded engine.

What ``busywork demo``, ``scan`` and ``run`` use on SQLite: one process, no queue server.
:meth:`Worker.run_once` is one full cycle (poll everything, detect, rank, deliver), what
tests and ``scan`` call; :meth:`Worker.run` steps the durable schedule until SIGTERM. The
same task functions run as Procrastinate jobs on PostgreSQL (:mod:`busywork.queue`).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

from sqlalchemy.engine import Engine

from busywork import tasks
from busywork.allocator import return_large_blocks
from busywork.delivery.dispatch import DispatchResult
from busywork.delivery.outbox import CLAIM_TTL
from busywork.delivery.policy import channels
from busywork.embedded import EmbeddedEngine, LocalQueue
from busywork.errors import ConfigError
from busywork.pipeline import DetectResult
from busywork.schedule import next_poll_at, take_poll
from busywork.store.db import open_store
from busywork.tenants import StaticTenants, register_business
from busywork.units import DELIVER, DETECT
from config.models import AppConfig
from connectors.sync import SyncResult

log = logging.getLogger("busywork.worker")
#: How often push subscriptions are renewed (well inside their two-day renewal margin).
RENEW_TICK_SECONDS = 3600


@dataclass
class ScanResult:
    """What one cycle did for one business."""

    business: str
    syncs: list[SyncResult] = field(default_factory=list)
    detection: DetectResult = field(default_factory=DetectResult)
    document: dict[str, Any] | None = None
    deliveries: DispatchResult = field(default_factory=DispatchResult)


class Worker:
    """Runs the cycle for one or more businesses sharing one store, in this process."""

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
        urls = {config.storage.url for config in configs}
        if engine is None and len(urls) > 1:
            raise ConfigError("all config files run by one worker must share one storage.url")
        self.configs = list(configs)
        # Detection builds and drops frames of hundreds of MB: large blocks go back to the
        # system when freed instead of staying in the heap (see busywork.allocator).
        return_large_blocks()
        self.engine = engine or open_store(urls.pop())
        self.as_of = as_of
        self.clock = clock
        self._stopping = threading.Event()
        self.queue = LocalQueue()
        self.runtime = tasks.Runtime(
            engine=self.engine,
            tenants=StaticTenants(self.configs),
            queue=self.queue,
            clock=clock,
            should_stop=self._stopping.is_set,
            as_of=as_of,
            on_page=on_page,
            claim_ttl=delivery_claim_ttl,
        )
        self.holder = self.runtime.holder
        #: Called after each poll-and-process cycle of the long-running worker (the CLI's
        #: one line per cycle); with it, :meth:`run` polls in this thread, connector by
        #: connector, so each cycle's result can be reported.
        self.on_cycle = on_cycle
        self.engine_loop = EmbeddedEngine(self.runtime, self.queue, self._stopping)
        with self.engine.begin() as connection:
            for config in self.configs:
                register_business(connection, config, clock())

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
        for entry in config.connectors:
            if self._stopping.is_set():
                return result
            if entry.enabled:
                synced = self.poll(config, entry.name, force=force)
                if synced is not None:
                    result.syncs.append(synced)
        if not self._stopping.is_set():
            processed = self.process(config, redetect=redetect)
            result.detection, result.document = processed.detection, processed.document
            result.deliveries = processed.deliveries
        return result

    def poll(
        self, config: AppConfig, connector_name: str, *, force: bool = False
    ) -> SyncResult | None:
        """Sync one connector if due (always with ``force``); None when not due."""
        business = config.business.id
        with self.engine.begin() as connection:
            if not take_poll(connection, business, connector_name, self.clock(), force=force):
                return None
        return tasks.poll_connector(self.runtime, business, connector_name)

    def process(self, config: AppConfig, *, redetect: bool = False) -> ScanResult:
        """Detect on what changed, rank, offer every channel what it has not heard, send."""
        business = config.business.id
        self.queue.discard(business, DETECT)  # run right here instead
        detected = tasks.detect_business(self.runtime, business, redetect=redetect, catch_up=True)
        result = ScanResult(business, detection=detected.detection, document=detected.document)
        if not self._stopping.is_set():
            result.deliveries = self.deliver(config)
        return result

    def deliver(self, config: AppConfig) -> DispatchResult:
        """Send every channel's due messages now."""
        business = config.business.id
        self.queue.discard(business, DELIVER)
        total = DispatchResult()
        for channel in channels(config):
            if self._stopping.is_set():
                break
            sent = tasks.deliver_channel(self.runtime, business, channel.name)
            total.sent += sent.sent
            total.retrying += sent.retrying
            total.failed += sent.failed
            total.lost += sent.lost
        return total

    # -- long-running -----------------------------------------------------------------------

    def run(self) -> None:
        """Step the durable schedule until SIGTERM/SIGINT; stops between tasks."""
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        log.info(
            "worker started holder=%s businesses=%d engine=embedded action=started",
            self.holder,
            len(self.configs),
        )
        renewer = threading.Thread(target=self._renew_loop, name="busywork-renew", daemon=True)
        renewer.start()
        try:
            if self.on_cycle is None:
                self.engine_loop.run_forever()
            else:
                self._run_with_cycles()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            log.info("worker stopped holder=%s action=stopped", self.holder)

    def _run_with_cycles(self) -> None:
        while not self._stopping.is_set():
            for config in self.configs:
                for entry in config.connectors:
                    if entry.enabled and not self._stopping.is_set():
                        self._tick(config, entry.name)
            tasks.plan_due(self.runtime)  # deliveries, digests and anything else due
            self.engine_loop.drain()
            self._stopping.wait(1.0)

    def _tick(self, config: AppConfig, connector_name: str) -> None:
        """Poll one connector if due and, when it was, process the business and report."""
        synced = self.poll(config, connector_name)
        if synced is None or self._stopping.is_set():
            return
        processed = self.process(config)
        processed.syncs = [synced]
        if self.on_cycle is not None:
            self.on_cycle(config, processed)

    def next_poll_at(self, business: str, connector: str) -> datetime | None:
        """When ``connector`` of ``business`` is next due (None: never polled, so now)."""
        return next_poll_at(self.engine, business, connector)

    def _renew_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.renew_subscriptions()
            except Exception:  # the database went away: try again next hour
                log.exception("webhook renewal failed action=renew_failed")
            self._stopping.wait(RENEW_TICK_SECONDS)

    def renew_subscriptions(self) -> None:
        """Renew push subscriptions that expire soon and forget old event ids."""
        from busywork.inbound.renewal import renew

        renew(self.engine, self.configs, self.clock(), should_stop=self._stopping.is_set)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s received action=stopping", signal.Signals(signum).name)
        self.stop()

    def stop(self) -> None:
        """Ask the worker to stop after the current step; safe to call more than once."""
        self._stopping.set()

    @property
    def stopping(self) -> threading.Event:
        """Set once :meth:`stop` was called (threads helping the worker watch it)."""
        return self._stopping
