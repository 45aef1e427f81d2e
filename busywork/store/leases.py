"""Leases: named, expiring claims so that two workers never do the same work at once.

A lease is one row. Taking it is a single conditional write (insert if absent, otherwise
update only if expired or already ours), which is atomic on SQLite and PostgreSQL alike,
so no process-local lock is needed and a crashed holder's lease simply runs out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from busywork.store.tables import Lease

_TABLE = Lease.__table__  # type: ignore[attr-defined]


def acquire(
    engine: Engine, name: str, holder: str, ttl: timedelta, *, now: datetime | None = None
) -> bool:
    """Take or renew lease ``name`` for ``holder``; False when someone else holds it."""
    now = now or datetime.now(UTC)
    expires = now + ttl
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    with engine.begin() as connection:
        statement = insert(_TABLE).values(name=name, holder=holder, expires_at=expires)
        statement = statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"holder": holder, "expires_at": expires},
            where=sa.or_(_TABLE.c.holder == holder, _TABLE.c.expires_at < now),
        )
        connection.execute(statement)
        current = connection.execute(
            sa.select(_TABLE.c.holder).where(_TABLE.c.name == name)
        ).scalar_one()
    return bool(current == holder)


def release(engine: Engine, name: str, holder: str) -> None:
    """Give lease ``name`` back if ``holder`` still holds it."""
    with engine.begin() as connection:
        connection.execute(
            sa.delete(_TABLE).where(_TABLE.c.name == name, _TABLE.c.holder == holder)
        )
