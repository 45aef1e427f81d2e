"""One business's event ids commit in the order they were taken.

Readers of the event log remember the newest id they saw (a detector's watermark, a stored
frame snapshot's ``event_id``) and later read only the events above it. That is sound only
if no event with a smaller id can commit afterwards. SQLite has one writer at a time, so
its ids commit in order. PostgreSQL takes ids from a sequence without waiting: two
transactions writing one business (two connectors' syncs, a webhook and a poll) can take
ids 100 and 101, and 101 can commit first. A reader that saw 101 would then skip 100 for
good.

:func:`hold_event_order` makes a business's writers take turns: a transaction-scoped
advisory lock on the business, taken before the transaction writes any event and released
by its commit or rollback. Writers of other businesses do not wait.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy.engine import Connection

#: First key of the two-key advisory lock (two-key locks never collide with one-key ones).
EVENT_ORDER_LOCK_CLASS = 0x6576  # "ev"


def business_lock_key(business: str) -> int:
    """A stable signed 32-bit key for ``business`` (equal keys only make writers take turns)."""
    digest = hashlib.blake2b(business.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


def hold_event_order(connection: Connection, business: str) -> None:
    """Wait until no other open transaction writes ``business``'s events, then hold it off.

    A no-op on SQLite, whose writers are already serial.
    """
    if connection.dialect.name != "postgresql":
        return
    connection.execute(
        sa.text("SELECT pg_advisory_xact_lock(:class_key, :business_key)"),
        {"class_key": EVENT_ORDER_LOCK_CLASS, "business_key": business_lock_key(business)},
    )
