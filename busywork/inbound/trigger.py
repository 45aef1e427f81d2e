"""``request_poll``: make one connector due now, so the next scheduling pass polls it.

Coalescing is in the data: a burst of notifications sets the same ``next_poll_at`` and
ends in one poll. (With Procrastinate this becomes a deferred job with a queueing lock.)
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

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
            return True
        exists = connection.execute(sa.select(STATE.c.connector).where(key)).first()
        if exists is not None:
            return False
        connection.execute(
            sa.insert(STATE).values(business=business, connector=connector, next_poll_at=now)
        )
        return True
