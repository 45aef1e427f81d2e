"""Subscription health: what ``busywork webhooks status`` shows, and the poll interval it sets.

Polling is the safety net. While a subscription is healthy (active, not expired, not
flagged by the vendor) a connector is polled only every :data:`RECONCILE_INTERVAL` to catch
missed notifications; otherwise at its configured interval, and the status says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from cryptography.fernet import MultiFernet
from sqlalchemy.engine import Connection, Engine

from busywork.errors import ConfigError
from busywork.inbound import subscriptions
from busywork.inbound.subscriptions import Subscription
from busywork.inbound.vendors import VERIFIERS
from config.models import AppConfig

#: How often a connector with a healthy subscription is still polled.
RECONCILE_INTERVAL = timedelta(hours=6)


def healthy(subscription: Subscription | None, now: datetime) -> bool:
    """Whether notifications can be relied on for this connector right now."""
    if subscription is None or subscription.state != "active":
        return False
    return subscription.expires_at is None or subscription.expires_at > now


def poll_interval(
    engine: Engine, business: str, connector: str, configured_seconds: float, now: datetime
) -> float:
    """Seconds to the next poll: stretched to the reconciliation interval when pushed to."""
    with engine.connect() as connection:
        return interval_for(connection, business, connector, configured_seconds, now)


def interval_for(
    connection: Connection, business: str, connector: str, configured_seconds: float, now: datetime
) -> float:
    """:func:`poll_interval` inside a transaction the scheduler already holds.

    Reads only the subscription's state and expiry (no key needed), so the scheduler can
    call it for every poll it books.
    """
    table = subscriptions.TABLE
    row = connection.execute(
        sa.select(table.c.state, table.c.expires_at).where(
            table.c.business == business, table.c.connector == connector
        )
    ).first()
    if row is None or row.state != "active":
        return configured_seconds
    expires = row.expires_at
    if (
        expires is not None
        and (expires if expires.tzinfo else expires.replace(tzinfo=now.tzinfo)) <= now
    ):
        return configured_seconds
    return max(configured_seconds, RECONCILE_INTERVAL.total_seconds())


@dataclass(frozen=True)
class Line:
    """One connector's push status."""

    connector: str
    vendor: str
    state: str
    expires_at: datetime | None
    last_notified_at: datetime | None
    polling: str
    problem: str | None


def status(
    engine: Engine, cipher: MultiFernet | None, config: AppConfig, now: datetime
) -> list[Line]:
    """Each connector's subscription state, expiry and resulting polling (for ``status``)."""
    lines: list[Line] = []
    for entry in config.connectors:
        if not entry.enabled:
            continue
        vendor = VERIFIERS.get(entry.type, ("", None))[0]
        every = _every(entry.interval_seconds)
        if not vendor:
            lines.append(
                Line(entry.name, entry.type, "no push", None, None, f"every {every}", None)
            )
            continue
        found = _load(engine, cipher, config.business.id, entry.name)
        if found is None:
            lines.append(
                Line(
                    entry.name,
                    vendor,
                    "none",
                    None,
                    None,
                    f"every {every}",
                    "no subscription; run busywork webhooks sync",
                )
            )
            continue
        ok = healthy(found, now)
        state = found.state
        if found.state == "active" and not ok:
            state = "expired"
        polling = (
            f"every {_every(max(entry.interval_seconds, RECONCILE_INTERVAL.total_seconds()))}"
            " (reconciliation)"
            if ok
            else f"every {every}"
        )
        problem = None if ok else (found.last_error or _why(state))
        lines.append(
            Line(
                entry.name,
                vendor,
                state,
                found.expires_at,
                found.last_notified_at,
                polling,
                problem,
            )
        )
    return lines


def _load(
    engine: Engine, cipher: MultiFernet | None, business: str, connector: str
) -> Subscription | None:
    if cipher is None:
        return None
    try:
        return subscriptions.load(engine, cipher, business, connector)
    except ConfigError:
        return None


def _why(state: str) -> str:
    return {
        "pending": "waiting for the vendor's first notification or the secret",
        "lost": "subscription lost; run busywork webhooks sync",
        "renew": "the vendor asks for a renewal; run busywork webhooks sync",
        "expired": "expired; run busywork webhooks sync",
    }.get(state, state)


def _every(seconds: float) -> str:
    if seconds % 3600 == 0:
        return f"{int(seconds // 3600)}h"
    if seconds % 60 == 0:
        return f"{int(seconds // 60)}m"
    return f"{int(seconds)}s"
