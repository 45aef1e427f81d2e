"""The work, top to bottom: what is due → poll → events → plan → detect → rank → outbox → send.

Four idempotent task functions take plain ids and read everything else from the store.
They never ask where they run: the embedded engine (:mod:`busywork.embedded`) calls them
in-process, Procrastinate workers (:mod:`busywork.queue`) call them as jobs. Each defers the
work that follows inside the transaction that made it necessary, through the runtime's
:class:`~busywork.units.Queue`:

1. :func:`plan_due` defers the polls, deliveries and digests whose planned time has come.
2. :func:`poll_connector` commits page by page (records, events and cursor together) and
   defers the business's detection in each page's transaction.
3. :func:`detect_business` plans and runs the detectors on what changed, ranks, writes the
   outbox with the findings and defers each channel's sending in that same transaction.
4. :func:`deliver_channel` sends the channel's due messages one at a time.

Every write also runs the runtime's ``guard``: under a queue it checks that the job is
still this worker's (fencing), so a worker that stalled and was replaced writes nothing.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection, Engine

from busywork.delivery.dispatch import DispatchResult, dispatch
from busywork.delivery.outbox import CLAIM_TTL, Guard, no_guard
from busywork.delivery.policy import (
    channels,
    digests_due,
    enqueue_digests,
    enqueue_immediate,
    items,
    open_findings,
)
from busywork.pipeline import DetectResult, detect, recommendations
from busywork.schedule import Deferred, database_now, defer_due
from busywork.units import DELIVER, DETECT, Queue, Tenants, Unit
from config.models import AppConfig
from connectors.base import ConnectorContext
from connectors.registry import get_connector
from connectors.sync import SyncResult, sync_connector

log = logging.getLogger("busywork.tasks")


def default_holder() -> str:
    """A name for this process in claims and logs: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Runtime:
    """What a task needs besides its ids: the store, configs, queue, clock and fence."""

    engine: Engine
    tenants: Tenants
    queue: Queue
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    #: Runs in every write's transaction; raises JobLostError when the job was taken over.
    guard: Guard = no_guard
    should_stop: Callable[[], bool] = lambda: False
    holder: str = field(default_factory=default_holder)
    #: Detect as of this time instead of now (demo and ``scan --as-of``).
    as_of: datetime | None = None
    on_page: Callable[[SyncResult], None] | None = None
    claim_ttl: timedelta = CLAIM_TTL
    #: ``clock`` reads the database: a step in a transaction reads it there instead.
    database_clock: bool = False


# -- 1. what is due --------------------------------------------------------------------------


def plan_due(rt: Runtime) -> Deferred:
    """Defer what is due now (see :mod:`busywork.schedule`), in one transaction."""
    with rt.engine.begin() as connection:
        rt.guard(connection)
        now = database_now(connection) if rt.database_clock else rt.clock()
        deferred = defer_due(connection, rt.queue, now)
    if deferred.polls or deferred.deliveries or deferred.digests:
        log.info(
            "schedule step action=deferred polls=%d deliveries=%d digests=%d",
            deferred.polls,
            deferred.deliveries,
            deferred.digests,
        )
    return deferred


# -- 2. poll → records, events, cursor --------------------------------------------------------


def poll_connector(rt: Runtime, business: str, connector: str) -> SyncResult | None:
    """Fetch one connector's pages since its cursor; None when it is no longer configured."""
    config = rt.tenants.get(business)
    entry = next((item for item in config.connectors if item.name == connector), None)
    if entry is None or not entry.enabled:
        log.info("poll skipped business=%s connector=%s action=not_configured", business, connector)
        return None
    instance = get_connector(entry.type)(
        entry,
        ConnectorContext(
            business=business,
            timezone=config.business.timezone,
            currency=config.business.currency,
            engine=rt.engine,
        ),
    )

    def each_page(connection: Connection) -> None:
        rt.guard(connection)
        # Coalesces with a detection already waiting: one run covers every page's events.
        rt.queue.defer(connection, Unit(DETECT, business))

    result = sync_connector(
        rt.engine,
        instance,
        should_stop=rt.should_stop,
        now=rt.clock,
        on_page=rt.on_page,
        in_transaction=each_page,
    )
    if result.ok and not result.pages:
        # Nothing new, yet findings age (a series stops, a debt grows): detection decides.
        with rt.engine.begin() as connection:
            each_page(connection)
    stats = result.stats
    log.info(
        "poll done business=%s connector=%s action=%s pages=%d"
        " inserted=%d updated=%d deleted=%d rejected=%d",
        business,
        connector,
        "polled" if result.ok else "poll_failed",
        result.pages,
        stats.inserted,
        stats.updated,
        stats.deleted,
        len(result.problems),
    )
    return result


# -- 3. plan → detect → rank → outbox ----------------------------------------------------------


@dataclass
class Detected:
    """What detection did, and the ranked document when it was built."""

    detection: DetectResult
    document: dict[str, Any] | None = None


def detect_business(
    rt: Runtime, business: str, *, redetect: bool = False, catch_up: bool = False
) -> Detected:
    """Run the detectors due for ``business``, queue what each channel should hear.

    The ranked document is built only when it is needed: detectors ran, a digest is due,
    a JSON file is configured, or ``catch_up`` asks for every open finding to be offered
    again to channels that have not heard of its current version (a snooze that ended).
    """
    config = rt.tenants.get(business)
    now = rt.clock()
    as_of = rt.as_of or now

    def with_findings(connection: Connection, queued: list[str]) -> None:
        rt.guard(connection)
        if queued:
            _defer_sending(connection, rt.queue, config)

    detection = detect(
        rt.engine, config, as_of=as_of, now=now, force=redetect, in_transaction=with_findings
    )
    changes = detection.changes
    for finding_id in changes.new + changes.changed:
        log.info(
            "finding business=%s id=%s action=%s",
            business,
            finding_id,
            "new" if finding_id in changes.new else "changed",
        )
    target = config.delivery.json_file
    wanted = (
        catch_up
        or bool(detection.ran)
        or (target is not None and not target.exists())
        or digests_due(rt.engine, config, now)
    )
    if not wanted:
        return Detected(detection)
    document = recommendations(rt.engine, config, generated_at=now, as_of=rt.as_of)
    if target is not None:
        _write_json(target, document)
    _queue_catch_up(rt, config, document, now)
    return Detected(detection, document)


def _queue_catch_up(
    rt: Runtime, config: AppConfig, document: dict[str, Any], now: datetime
) -> None:
    """Queue what the document makes due (catch-up, digests) and defer the sending."""
    if not channels(config):
        return
    with rt.engine.begin() as connection:
        rt.guard(connection)
        kinds = {rec["kind"] for rec in document["recommendations"]}
        _, prints = open_findings(connection, config.business.id, kinds)
        ranked = items(document, prints)
        queued = enqueue_immediate(connection, config, ranked, now, as_of=rt.as_of)
        if queued:
            _defer_sending(connection, rt.queue, config)
    if enqueue_digests(rt.engine, config, ranked, now, as_of=rt.as_of):
        with rt.engine.begin() as connection:
            rt.guard(connection)
            _defer_sending(connection, rt.queue, config)


def _defer_sending(connection: Connection, queue: Queue, config: AppConfig) -> None:
    for channel in channels(config):
        queue.defer(connection, Unit(DELIVER, config.business.id, channel.name))


# -- 4. outbox → send --------------------------------------------------------------------------


def deliver_channel(rt: Runtime, business: str, channel: str) -> DispatchResult:
    """Send the due messages of one channel, one claim and one counted attempt each."""
    config = rt.tenants.get(business)
    sent = dispatch(
        rt.engine,
        config,
        holder=rt.holder,
        clock=rt.clock,
        channel=channel,
        ttl=rt.claim_ttl,
        should_stop=rt.should_stop,
        guard=rt.guard,
    )
    if sent.sent or sent.retrying or sent.failed or sent.lost:
        log.info(
            "delivery done business=%s channel=%s action=delivered sent=%d retrying=%d"
            " failed=%d lost=%d",
            business,
            channel,
            len(sent.sent),
            len(sent.retrying),
            len(sent.failed),
            len(sent.lost),
        )
    return sent


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` atomically, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(temporary, path)
