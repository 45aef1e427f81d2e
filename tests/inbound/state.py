"""What inbound tests look at in the store: due times, seen events, subscription states."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.store.tables import ConnectorState
from busywork.store.webhooks import WebhookEvent, WebhookSubscription

STATE = ConnectorState.__table__  # type: ignore[attr-defined]
EVENTS = WebhookEvent.__table__  # type: ignore[attr-defined]
SUBSCRIPTIONS = WebhookSubscription.__table__  # type: ignore[attr-defined]


def due(engine: Engine) -> dict[str, datetime]:
    """Connector → next_poll_at (UTC)."""
    with engine.connect() as connection:
        rows = connection.execute(sa.select(STATE.c.connector, STATE.c.next_poll_at)).all()
    return {
        row.connector: row.next_poll_at.replace(tzinfo=UTC)
        if row.next_poll_at.tzinfo is None
        else row.next_poll_at
        for row in rows
        if row.next_poll_at is not None
    }


def snapshot(engine: Engine) -> tuple[object, ...]:
    """Everything a notification may change, to compare before and after."""
    with engine.connect() as connection:
        return (
            tuple(connection.execute(sa.select(STATE)).all()),
            tuple(connection.execute(sa.select(EVENTS)).all()),
            tuple(
                connection.execute(
                    sa.select(
                        SUBSCRIPTIONS.c.connector,
                        SUBSCRIPTIONS.c.state,
                        SUBSCRIPTIONS.c.last_notified_at,
                    )
                ).all()
            ),
        )


def states(engine: Engine) -> dict[str, str]:
    """Connector → subscription state."""
    with engine.connect() as connection:
        rows = connection.execute(sa.select(SUBSCRIPTIONS.c.connector, SUBSCRIPTIONS.c.state))
        return {row.connector: row.state for row in rows}
