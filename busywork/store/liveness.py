"""Is a PostgreSQL connection still open? Checked without a query, since a query is a transaction.

Pools check a connection before lending it out. The usual check sends an empty query, and
PostgreSQL counts every query outside a transaction block as a transaction: on an idle
fleet that doubled the count (every heartbeat, job fetch and upkeep tick paid for a ping
first). A connection the server closed (restart, terminated backend, idle timeout) has a
readable socket: the server's last words or the end of the stream are waiting there. So
the socket is looked at without waiting. An idle pooled connection has nothing to hear
(pooled connections never LISTEN), so anything there means it is going: it is replaced,
and at worst a rare notice costs one reconnection.

psycopg is imported when a check runs: a process on SQLite (a detection, the tests) does not
load it (8 MB).
"""

from __future__ import annotations

import select
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

if TYPE_CHECKING:
    import psycopg


def server_closed(connection: psycopg.Connection[Any] | psycopg.AsyncConnection[Any]) -> bool:
    """Whether the server has closed ``connection`` (no round trip; never blocks)."""
    from psycopg.pq import ConnStatus  # noqa: PLC0415

    pgconn = connection.pgconn
    if connection.closed or pgconn.status != ConnStatus.OK:
        return True
    readable, _, _ = select.select([pgconn.socket], [], [], 0)
    return bool(readable)


async def check_without_query(connection: psycopg.AsyncConnection[Any]) -> None:
    """A ``psycopg_pool`` check: raise so the pool replaces a connection the server closed."""
    import psycopg  # noqa: PLC0415

    if server_closed(connection):
        raise psycopg.OperationalError("the server closed the connection")


def check_on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A SQLAlchemy ``checkout`` listener: a closed connection is replaced by a fresh one."""
    if server_closed(dbapi_connection):
        raise sa.exc.DisconnectionError("the server closed the connection")
