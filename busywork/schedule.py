"""The scheduler step: defer the polls, deliveries and digests that are due, by the planned time.

Every due time lives in the database (``connector_state.next_poll_at``, the outbox's
``next_attempt_at``, ``digest_schedule.next_due_at``), so any worker may run this step and
the result is the same; the engine makes sure only one runs it at a time (a job lock under
Procrastinate, the single process when embedded). A poll's next time is its *planned* time
plus whole intervals, never "when the last run finished" plus one: with ``interval: 2m`` a
connector polls every 2 minutes however long each poll takes or however late the step ran.
Missed slots are not back-filled: after a long stop a connector polls once, then resumes
on its grid.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from busywork.delivery.outbox import DELIVERIES, aware
from busywork.inbound.status import interval_for
from busywork.store.outbox import DigestSchedule
from busywork.store.tables import ConnectorState
from busywork.units import DELIVER, DETECT, POLL, Queue, Unit

STATES = ConnectorState.__table__  # type: ignore[attr-defined]
DIGESTS = DigestSchedule.__table__  # type: ignore[attr-defined]
#: Seconds between two readings of the database's clock by :class:`DatabaseClock`.
CLOCK_SYNC_SECONDS = 60.0
#: Polls deferred per step at most: a backlog is spread over several steps, oldest first.
MAX_POLLS_PER_STEP = 1_000


def next_slot(planned: datetime | None, interval: timedelta, now: datetime) -> datetime:
    """The first time on the connector's grid (``planned`` + k·``interval``) after ``now``.

    A connector never planned before starts its grid now.
    """
    if planned is None:
        return now + interval
    if planned > now:
        return planned
    missed = (now - planned) // interval + 1
    return planned + missed * interval


def database_now(connection: Connection) -> datetime:
    """The database's clock on PostgreSQL (one clock for every worker); the host's on SQLite."""
    if connection.dialect.name == "postgresql":
        value: datetime = connection.execute(sa.select(sa.func.now())).scalar_one()
        return value.astimezone(UTC)
    return datetime.now(UTC)


class DatabaseClock:
    """The database's time without a round trip each reading.

    Workers on several hosts must agree on time (claims, due times), so they read the
    database's. Reading it per call costs a transaction each time; instead the offset
    between the host's clock and the database's is measured every ``every`` seconds and
    added to the host's clock in between.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        every: float = CLOCK_SYNC_SECONDS,
        host: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.every = every
        self.host = host
        self.monotonic = monotonic
        self._offset = timedelta(0)
        self._measured_at: float | None = None

    def __call__(self) -> datetime:
        """The database's time now (to within the drift of the last ``every`` seconds)."""
        now = self.monotonic()
        if self._measured_at is None or now - self._measured_at >= self.every:
            with self.engine.connect() as connection:
                database = database_now(connection)
            self._offset = database - self.host()
            self._measured_at = now
            return database
        return self.host() + self._offset


@dataclass
class Deferred:
    """How many jobs one step deferred (a coalesced defer is not counted)."""

    polls: int = 0
    deliveries: int = 0
    digests: int = 0


def defer_due(connection: Connection, queue: Queue, now: datetime) -> Deferred:
    """Defer every due poll, delivery and digest in ``connection``'s transaction.

    Each poll's ``next_poll_at`` moves to its next slot in the same transaction as its
    defer, so a step that dies half-way leaves nothing deferred twice nor skipped.
    """
    deferred = Deferred()
    due = connection.execute(
        sa.select(
            STATES.c.business, STATES.c.connector, STATES.c.next_poll_at, STATES.c.interval_seconds
        )
        .where(
            STATES.c.interval_seconds.is_not(None),
            sa.or_(STATES.c.next_poll_at.is_(None), STATES.c.next_poll_at <= now),
        )
        .order_by(STATES.c.next_poll_at.nulls_first())
        .limit(MAX_POLLS_PER_STEP)
        .with_for_update(skip_locked=True)
    ).all()
    for row in due:
        planned = None if row.next_poll_at is None else aware(row.next_poll_at)
        seconds = interval_for(connection, row.business, row.connector, row.interval_seconds, now)
        following = next_slot(planned, timedelta(seconds=seconds), now)
        connection.execute(
            sa.update(STATES)
            .where(STATES.c.business == row.business, STATES.c.connector == row.connector)
            .values(next_poll_at=following)
        )
        deferred.polls += queue.defer(connection, Unit(POLL, row.business, row.connector))
    sending = connection.execute(
        sa.select(DELIVERIES.c.business, DELIVERIES.c.channel)
        .where(
            DELIVERIES.c.status == "pending",
            DELIVERIES.c.next_attempt_at <= now,
            sa.or_(DELIVERIES.c.lease_expires_at.is_(None), DELIVERIES.c.lease_expires_at < now),
        )
        .distinct()
    ).all()
    for row in sending:
        deferred.deliveries += queue.defer(connection, Unit(DELIVER, row.business, row.channel))
    digests = connection.execute(
        sa.select(DIGESTS.c.business).where(DIGESTS.c.next_due_at <= now).distinct()
    ).scalars()
    for business in digests:
        deferred.digests += queue.defer(connection, Unit(DETECT, business))
    return deferred


def take_poll(
    connection: Connection, business: str, connector: str, now: datetime, *, force: bool
) -> bool:
    """Whether an in-process poll of one connector may run now; if so, book its next slot.

    The embedded engine's way to poll outside the step (``scan``): the same grid applies.
    """
    row = connection.execute(
        sa.select(STATES.c.next_poll_at, STATES.c.interval_seconds)
        .where(STATES.c.business == business, STATES.c.connector == connector)
        .with_for_update()
    ).one_or_none()
    if row is None or row.interval_seconds is None:
        return force
    planned = None if row.next_poll_at is None else aware(row.next_poll_at)
    if not force and planned is not None and planned > now:
        return False
    # A healthy push subscription stretches the interval: polling only reconciles.
    seconds = interval_for(connection, business, connector, row.interval_seconds, now)
    connection.execute(
        sa.update(STATES)
        .where(STATES.c.business == business, STATES.c.connector == connector)
        .values(next_poll_at=next_slot(planned, timedelta(seconds=seconds), now))
    )
    return True


def next_poll_at(engine: Engine, business: str, connector: str) -> datetime | None:
    """When one connector is next planned (None when it has never been)."""
    with engine.connect() as connection:
        planned = connection.execute(
            sa.select(STATES.c.next_poll_at).where(
                STATES.c.business == business, STATES.c.connector == connector
            )
        ).scalar()
    return None if planned is None else aware(planned)
