"""What ``busywork deliveries`` shows and does: list the outbox, replay a dead letter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.delivery import endpoints
from busywork.delivery.outbox import DELIVERIES, aware
from busywork.errors import FatalError


@dataclass(frozen=True)
class DeliveryRow:
    """One outbox row as listed."""

    id: str
    channel: str
    kind: str
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None


def list_deliveries(
    engine: Engine,
    business: str,
    *,
    status: str | None = None,
    delivery_id: str | None = None,
    limit: int = 50,
) -> list[DeliveryRow]:
    """The newest rows of ``business`` (filtered by ``status`` or id when given)."""
    query = sa.select(DELIVERIES).where(DELIVERIES.c.business == business)
    if delivery_id is not None:
        query = query.where(DELIVERIES.c.id == delivery_id)
    if status is not None:
        query = query.where(DELIVERIES.c.status == status)
    query = query.order_by(DELIVERIES.c.created_at.desc(), DELIVERIES.c.id).limit(limit)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        DeliveryRow(
            id=row.id,
            channel=row.channel,
            kind=row.kind,
            status=row.status,
            attempts=row.attempts,
            next_attempt_at=aware(row.next_attempt_at),
            created_at=aware(row.created_at),
            sent_at=aware(row.sent_at) if row.sent_at else None,
            last_error=row.last_error,
        )
        for row in rows
    ]


def replay(engine: Engine, business: str, delivery_id: str, *, now: datetime) -> DeliveryRow:
    """Queue a row again, same id, with a fresh retry schedule; re-enables its endpoint.

    Raises:
        FatalError: no such row, or it is still pending.
    """
    where = sa.and_(DELIVERIES.c.business == business, DELIVERIES.c.id == delivery_id)
    with engine.begin() as connection:
        row = connection.execute(
            sa.select(DELIVERIES.c.status, DELIVERIES.c.channel).where(where)
        ).first()
        if row is None:
            raise FatalError(f"business {business!r} has no delivery {delivery_id!r}")
        if row.status == "pending":
            raise FatalError(f"delivery {delivery_id} is still pending; it will be sent")
        connection.execute(
            sa.update(DELIVERIES)
            .where(where)
            .values(
                status="pending",
                attempts=0,
                next_attempt_at=now,
                lease_holder=None,
                lease_expires_at=None,
                last_error=None,
            )
        )
        if row.channel.startswith("webhook:"):
            # Replaying is the owner saying the receiver is fixed.
            endpoints.enable(connection, business, row.channel.removeprefix("webhook:"))
    return list_deliveries(engine, business, delivery_id=delivery_id)[0]
