"""The outbox: enqueue in the caller's transaction, claim one row, count the attempt, fence.

A sender claims one due row at a time: ``SELECT … FOR UPDATE SKIP LOCKED`` then a
conditional ``UPDATE … RETURNING`` in one transaction; SQLite ignores the lock clause, and
the update's own conditions keep out a row another writer claimed in between. The claim
lasts :data:`CLAIM_TTL`, far longer than one send (webhook timeout 15 s), so a live
sender never loses it mid-send. The attempt is counted
when the send starts (:func:`begin_attempt`), not when the row is claimed. Every later
write checks that the claim is still ours (and, under a queue, that the job still is:
``guard``), so a sender that stalled past its claim cannot overwrite the row another has
taken over. A crash mid-send leaves the row pending with ``attempt_started_at`` set: it is
sent again, with the same id, once the claim ends.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from busywork.logs import redact
from busywork.store.outbox import Announcement, Delivery, DeliveryRecipient

DELIVERIES = Delivery.__table__  # type: ignore[attr-defined]
ANNOUNCEMENTS = Announcement.__table__  # type: ignore[attr-defined]
RECIPIENTS = DeliveryRecipient.__table__  # type: ignore[attr-defined]
#: Runs inside each outbox write's transaction and raises when the work is no longer ours.
Guard = Callable[[Connection], None]


def no_guard(_connection: Connection) -> None:
    """The guard of a sender nobody can take work from (the embedded, single process)."""


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
    #: An earlier attempt started and never finished: its sender died mid-send.
    interrupted: bool = False


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
    channel: str | None = None,
    limit: int = 1,
    ttl: timedelta = CLAIM_TTL,
    guard: Guard = no_guard,
) -> list[Claimed]:
    """Take up to ``limit`` due rows of ``business`` (on ``channel``) for ``holder``.

    One row by default: a claim covers what can be sent before it expires.
    """
    free = sa.or_(DELIVERIES.c.lease_expires_at.is_(None), DELIVERIES.c.lease_expires_at < now)
    wanted = [
        DELIVERIES.c.business == business,
        DELIVERIES.c.status == "pending",
        DELIVERIES.c.next_attempt_at <= now,
        free,
    ]
    if channel is not None:
        wanted.append(DELIVERIES.c.channel == channel)
    due = (
        sa.select(DELIVERIES.c.id)
        .where(*wanted)
        .order_by(DELIVERIES.c.next_attempt_at, DELIVERIES.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    with engine.begin() as connection:
        guard(connection)
        # Two statements, not ``UPDATE … WHERE id IN (SELECT … LIMIT n SKIP LOCKED)``:
        # PostgreSQL may re-scan such a subquery per row, and each re-scan skips the rows
        # this very statement just updated, so the claim would grow past ``limit``.
        ids = list(connection.execute(due).scalars())
        rows = (
            connection.execute(
                sa.update(DELIVERIES)
                .where(DELIVERIES.c.id.in_(ids), DELIVERIES.c.status == "pending", free)
                .values(lease_holder=holder, lease_expires_at=now + ttl)
                .returning(
                    DELIVERIES.c.id,
                    DELIVERIES.c.business,
                    DELIVERIES.c.channel,
                    DELIVERIES.c.kind,
                    DELIVERIES.c.payload,
                    DELIVERIES.c.attempts,
                    DELIVERIES.c.created_at,
                    DELIVERIES.c.attempt_started_at,
                )
            ).all()
            if ids
            else []
        )
    claimed = [
        Claimed(
            id=row.id,
            business=row.business,
            channel=row.channel,
            kind=row.kind,
            payload=row.payload,
            attempts=row.attempts,
            created_at=aware(row.created_at),
            interrupted=row.attempt_started_at is not None,
        )
        for row in rows
    ]
    return sorted(claimed, key=lambda item: (item.created_at, item.id))


def begin_attempt(
    engine: Engine,
    row: Claimed,
    holder: str,
    *,
    now: datetime,
    ttl: timedelta = CLAIM_TTL,
    guard: Guard = no_guard,
) -> Claimed | None:
    """Count an attempt just before sending ``row``; None when the claim was lost."""
    with engine.begin() as connection:
        guard(connection)
        attempts = connection.execute(
            sa.update(DELIVERIES)
            .where(DELIVERIES.c.id == row.id, DELIVERIES.c.lease_holder == holder)
            .values(
                attempts=DELIVERIES.c.attempts + 1,
                attempt_started_at=now,
                lease_expires_at=now + ttl,
            )
            .returning(DELIVERIES.c.attempts)
        ).scalar()
    return None if attempts is None else replace(row, attempts=attempts)


def accepted_recipients(connection: Connection, delivery_id: str) -> set[str]:
    """The e-mail recipients whose server already accepted ``delivery_id``."""
    rows = connection.execute(
        sa.select(RECIPIENTS.c.recipient).where(RECIPIENTS.c.delivery_id == delivery_id)
    )
    return set(rows.scalars())


def record_accepted(
    engine: Engine,
    row: Claimed,
    holder: str,
    recipient: str,
    *,
    now: datetime,
    ttl: timedelta = CLAIM_TTL,
) -> None:
    """Remember that ``recipient`` accepted ``row``, and extend the claim for the next one.

    Written even when the claim was lost meanwhile: the recipient did get the message.
    """
    with engine.begin() as connection:
        connection.execute(
            _insert(connection)(RECIPIENTS)
            .values(delivery_id=row.id, recipient=recipient, accepted_at=now)
            .on_conflict_do_nothing(index_elements=["delivery_id", "recipient"])
        )
        connection.execute(
            sa.update(DELIVERIES)
            .where(DELIVERIES.c.id == row.id, DELIVERIES.c.lease_holder == holder)
            .values(lease_expires_at=now + ttl)
        )


def _finish(engine: Engine, row: Claimed, holder: str, guard: Guard, **values: Any) -> bool:
    with engine.begin() as connection:
        guard(connection)
        return bool(
            connection.execute(
                sa.update(DELIVERIES)
                .where(DELIVERIES.c.id == row.id, DELIVERIES.c.lease_holder == holder)
                .values(lease_holder=None, lease_expires_at=None, attempt_started_at=None, **values)
            ).rowcount
        )


def mark_sent(
    engine: Engine, row: Claimed, holder: str, *, now: datetime, guard: Guard = no_guard
) -> bool:
    """The message went out; False when our claim was lost meanwhile (it may go out again)."""
    return _finish(engine, row, holder, guard, status="sent", sent_at=now, last_error=None)


def mark_retry(
    engine: Engine,
    row: Claimed,
    holder: str,
    *,
    at: datetime,
    error: str,
    guard: Guard = no_guard,
) -> bool:
    """Try again at ``at``; ``error`` is kept (redacted) for ``busywork deliveries``."""
    return _finish(engine, row, holder, guard, next_attempt_at=at, last_error=_short(error))


def mark_failed(
    engine: Engine, row: Claimed, holder: str, *, error: str, guard: Guard = no_guard
) -> bool:
    """Give up: the row joins the dead-letter list, from where it can be replayed."""
    return _finish(engine, row, holder, guard, status="failed", last_error=_short(error))


def _short(error: str) -> str:
    return redact(error)[:1000]
