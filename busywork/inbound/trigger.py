"""``request_poll``: make one connector due now, so the next scheduling pass polls it.

Coalescing is in the data: a burst of notifications sets the same ``next_poll_at`` and
ends in one poll. On PostgreSQL a poll job is also deferred at once, with the unit's
queueing lock (:func:`busywork.jobs.request_poll`), so a worker starts it within seconds
instead of at the scheduler's next step; the due time stays the durable record.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork import jobs
from busywork.store.tables import ConnectorState

STATE = ConnectorState.__table__  # type: ignore[attr-defined]


def request_poll(engine: Engine, business: str, connector: str, now: datetime) -> bool:
    """Make ``connector`` of ``business`` due at ``now`` unless it already is.

    Returns:
        Whether anything changed (False when a poll was already due: the burst coalesced).
    """
    key = sa.and_(STATE.c.business == business, STATE.c.connector == connector)
    with engine.begin() as connection:
        updated = connection.execute(
            sa.update(STATE)
            .where(key, sa.or_(STATE.c.next_poll_at.is_(None), STATE.c.next_poll_at > now))
            .values(next_poll_at=now)
        ).rowcount
        if updated:
            _defer_now(engine, business, connector)
            return True
        exists = connection.execute(sa.select(STATE.c.connector).where(key)).first()
        if exists is not None:
            return False
        connection.execute(
            sa.insert(STATE).values(business=business, connector=connector, next_poll_at=now)
        )
    _defer_now(engine, business, connector)
    return True


def _defer_now(engine: Engine, business: str, connector: str) -> None:
    if engine.dialect.name == "postgresql":
        jobs.request_poll(engine, business, connector)
