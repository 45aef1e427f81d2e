"""The outbox: enqueue in the caller's transaction, claim under a lease, mark with a fence.

A worker claims due rows with one conditional ``UPDATE … WHERE id IN (SELECT … FOR UPDATE
SKIP LOCKED) RETURNING``; SQLite ignores the lock clause and runs the same statement as its
single writer. Every later write checks that the lease is still ours, so a worker that
stalled past its lease cannot overwrite the row another worker has taken over. A crash
anywhere leaves the row pending: it is sent again, with the same id, after the lease ends.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from busywork.logs import redact
from busywork.store.outbox import Announcement, Delivery

DELIVERIES = Delivery.__table__  # type: ignore[attr-defined]
ANNOUNCEMENTS = Announcement.__table__  # type: ignore[attr-defined]
#: How long a claimed row stays ours: longer than the slowest send (SMTP timeout 30 s).
CLAIM_TTL = timedelta(minutes=2)


@dataclass(frozen=True)
class Claimed:
    """A row this worker holds and must send, then mark."""

    id: str
    business: str
    channel: str
    kind: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime


def message_id(*parts: str) -> str:
    """A deterministic id, so enqueuing the same message twice makes one row."""
    return "msg_" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def aware(value: datetime) -> datetime:
    """``value`` in UTC, whatever the driver returned."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _insert(connection: Connection) -> Any:
    return postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert


def enqueue(
    connection: Connection,
    *,
    delivery_id: str,
    business: str,
    channel: str,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    not_before: datetime | None = None,
) -> bool:
    """Add a message in the caller's transaction; False when that id is already queued."""
    statement = (
        _insert(connection)(DELIVERIES)
        .values(
            id=delivery_id,
            business=business,
            channel=channel,
            kind=kind,
            payload=payload,
            status="pending",
            attempts=0,
            next_attempt_at=not_before or now,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(DELIVERIES.c.id)
    )
    # RETURNING, not rowcount: drivers disagree on rowcount for ON CONFLICT DO NOTHING.
    return connection.execute(statement).first() is not None


def announce(
    connection: Connection,
    *,
    business: str,
    channel: str,
    fingerprints: dict[str, str],
    delivery_id: str,
    now: datetime,
) -> None:
    """Record which version of each finding ``channel`` is being told, with the message."""
    for finding_id, fingerprint in fingerprints.items():
        statement = _insert(connection)(ANNOUNCEMENTS).values(
            business=business,
            channel=channel,
            finding_id=finding_id,
            fingerprint=fingerprint,
            delivery_id=delivery_id,
            announced_at=now,
        )
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["business", "channel", "finding_id"],
                set_={"fingerprint": fingerprint, "delivery_id": delivery_id, "announced_at": now},
            )
        )


def announced(connection: Connection, business: str, channel: str) -> dict[str, str]:
    """Finding id → the fingerprint ``channel`` was last told about."""
    rows = connection.execute(
        sa.select(ANNOUNCEMENTS.c.finding_id, ANNOUNCEMENTS.c.fingerprint).where(
            ANNOUNCEMENTS.c.business == business, ANNOUNCEMENTS.c.channel == channel
        )
    )
    return {row.finding_id: row.fingerprint for row in rows}


def forget(connection: Connection, business: str, finding_id: str) -> None:
    """Forget every announcement of a finding, so that it is sent again when next eligible."""
    connection.execute(
        sa.delete(ANNOUNCEMENTS).where(
            ANNOUNCEMENTS.c.business == business, ANNOUNCEMENTS.c.finding_id == finding_id
        )
    )


def claim(
    engine: Engine,
    business: str,
    holder: str,
    *,
    now: datetime,
    limit: int = 20,
    ttl: timedelta = CLAIM_TTL,
) -> list[Claimed]:
    """Take up to ``limit`` due rows of ``business`` for ``holder`` until ``now + ttl``."""
    free = sa.or_(DELIVERIES.c.lease_expires_at.is_(None), DELIVERIES.c.lease_expires_at < now)
    due = (
        sa.select(DELIVERIES.c.id)
        .where(
            DELIVERIES.c.business == business,
            DELIVERIES.c.status == "pending",
            DELIVERIES.c.next_attempt_at <= now,
            free,
        )
        .order_by(DELIVERIES.c.next_attempt_at, DELIVERIES.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        sa.update(DELIVERIES)
        .where(DELIVERIES.c.id.in_(due.scalar_subquery()), DELIVERIES.c.status == "pending", free)
        .values(lease_holder=holder, lease_expires_at=now + ttl, attempts=DELIVERIES.c.attempts + 1)
        .returning(
            DELIVERIES.c.id,
            DELIVERIES.c.business,
            DELIVERIES.c.channel,
            DELIVERIES.c.kind,
            DELIVERIES.c.payload,
            DELIVERIES.c.attempts,
            DELIVERIES.c.created_at,
        )
    )
    with engine.begin() as connection:
        rows = connection.execute(statement).all()
    claimed = [
        Claimed(
            id=row.id,
            business=row.business,
            channel=row.channel,
            kind=row.kind,
            payload=row.payload,
            attempts=row.attempts,
            created_at=aware(row.created_at),
        )
        for row in rows
    ]
    return sorted(claimed, key=lambda item: (item.created_at, item.id))


def _finish(engine: Engine, row: Claimed, holder: str, **values: Any) -> bool:
    with engine.begin() as connection:
        return bool(
            connection.execute(
                sa.update(DELIVERIES)
                .where(DELIVERIES.c.id == row.id, DELIVERIES.c.lease_holder == holder)
                .values(lease_holder=None, lease_expires_at=None, **values)
            ).rowcount
        )


def mark_sent(engine: Engine, row: Claimed, holder: str, *, now: datetime) -> bool:
    """The message went out; False when our lease was lost meanwhile (it may go out again)."""
    return _finish(engine, row, holder, status="sent", sent_at=now, last_error=None)


def mark_retry(engine: Engine, row: Claimed, holder: str, *, at: datetime, error: str) -> bool:
    """Try again at ``at``; ``error`` is kept (redacted) for ``busywork deliveries``."""
    return _finish(engine, row, holder, next_attempt_at=at, last_error=_short(error))


def mark_failed(engine: Engine, row: Claimed, holder: str, *, error: str) -> bool:
    """Give up: the row joins the dead-letter list, from where it can be replayed."""
    return _finish(engine, row, holder, status="failed", last_error=_short(error))


def _short(error: str) -> str:
    return redact(error)[:1000]
