"""Webhook endpoint health: failing since when, and disabled (410, or failing for days)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from busywork.delivery.outbox import aware
from busywork.store.outbox import WebhookEndpoint

ENDPOINTS = WebhookEndpoint.__table__  # type: ignore[attr-defined]
#: An endpoint failing without a single success for this long is disabled (Svix: 120 h).
DISABLE_AFTER = timedelta(days=5)


def _where(business: str, name: str) -> sa.ColumnElement[bool]:
    return sa.and_(ENDPOINTS.c.business == business, ENDPOINTS.c.name == name)


def _ensure(connection: Connection, business: str, name: str) -> sa.Row[tuple[object, ...]]:
    row = connection.execute(sa.select(ENDPOINTS).where(_where(business, name))).first()
    if row is None:
        connection.execute(sa.insert(ENDPOINTS).values(business=business, name=name))
        row = connection.execute(sa.select(ENDPOINTS).where(_where(business, name))).one()
    return row


def disabled_reason(connection: Connection, business: str, name: str) -> str | None:
    """Why the endpoint is disabled, or None when it is active."""
    row = connection.execute(
        sa.select(ENDPOINTS.c.disabled_at, ENDPOINTS.c.disabled_reason).where(
            _where(business, name)
        )
    ).first()
    if row is None or row.disabled_at is None:
        return None
    return str(row.disabled_reason or "disabled")


def record_success(connection: Connection, business: str, name: str, now: datetime) -> None:
    """A 2xx: the endpoint is healthy again."""
    _ensure(connection, business, name)
    connection.execute(
        sa.update(ENDPOINTS)
        .where(_where(business, name))
        .values(failing_since=None, last_success_at=now)
    )


def record_failure(connection: Connection, business: str, name: str, now: datetime) -> bool:
    """A failed attempt; True when the endpoint has now failed for :data:`DISABLE_AFTER`."""
    row = _ensure(connection, business, name)
    since = row.failing_since
    if since is None:
        connection.execute(
            sa.update(ENDPOINTS).where(_where(business, name)).values(failing_since=now)
        )
        return False
    return bool(now - aware(since) >= DISABLE_AFTER)


def disable(connection: Connection, business: str, name: str, reason: str, now: datetime) -> None:
    """Stop sending to the endpoint until someone replays a message for it."""
    _ensure(connection, business, name)
    connection.execute(
        sa.update(ENDPOINTS)
        .where(_where(business, name))
        .values(disabled_at=now, disabled_reason=reason[:256])
    )


def enable(connection: Connection, business: str, name: str) -> None:
    """Send to the endpoint again, with a fresh failure clock."""
    connection.execute(
        sa.update(ENDPOINTS)
        .where(_where(business, name))
        .values(disabled_at=None, disabled_reason=None, failing_since=None)
    )
