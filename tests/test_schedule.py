"""The scheduler step: polls on a planned grid (no drift), due deliveries and digests deferred."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.delivery.outbox import enqueue
from busywork.embedded import LocalQueue
from busywork.schedule import STATES, DatabaseClock, defer_due, next_slot
from busywork.store.db import create_engine
from busywork.tenants import register_business
from busywork.units import DELIVER, POLL, Unit
from config.loader import parse_config

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
CONFIG = """\
business: {id: shop, name: Shop, currency: GBP}
connectors:
  - {name: books, type: csv, path: data, interval: 2m}
  - {name: calendar, type: csv, path: data, interval: 15m}
"""


def _step(engine: Engine, now: datetime) -> list[Unit]:
    queue = LocalQueue()
    with engine.begin() as connection:
        defer_due(connection, queue, now)
    return [unit for unit in iter(queue.pop, None)]


def _planned(engine: Engine, connector: str) -> datetime:
    with engine.connect() as connection:
        value = connection.execute(
            sa.select(STATES.c.next_poll_at).where(STATES.c.connector == connector)
        ).scalar_one()
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _register(engine: Engine, text: str = CONFIG) -> None:
    with engine.begin() as connection:
        register_business(connection, parse_config(text), T0)


def test_next_slot_stays_on_the_planned_grid() -> None:
    two = timedelta(minutes=2)
    assert next_slot(None, two, T0) == T0 + two
    late = T0 + timedelta(milliseconds=3)  # the step ran a hair after the planned time
    assert next_slot(T0, two, late) == T0 + two
    assert next_slot(T0, two, T0 - timedelta(seconds=1)) == T0  # not due yet: unchanged
    # After a long stop: one catch-up poll, then back on the grid, no back-fill.
    assert next_slot(T0, two, T0 + timedelta(minutes=9)) == T0 + timedelta(minutes=10)


def test_a_two_minute_connector_polls_every_two_minutes_however_late_each_step(
    engine: Engine,
) -> None:
    _register(engine)
    assert _step(engine, T0) == [Unit(POLL, "shop", "books"), Unit(POLL, "shop", "calendar")]
    polled = []
    now = T0
    for _ in range(10):
        now += timedelta(minutes=2, milliseconds=7)  # every step a few ms late, drifting on
        if Unit(POLL, "shop", "books") in _step(engine, now):
            polled.append(now)
    assert len(polled) == 10  # not 5: a late tick never pushes the next one a whole interval
    assert _planned(engine, "books") == T0 + timedelta(minutes=22)


def test_nothing_is_deferred_before_its_time_and_a_disabled_connector_never(
    engine: Engine,
) -> None:
    _register(engine)
    _step(engine, T0)
    assert _step(engine, T0 + timedelta(minutes=1)) == []
    _register(engine, CONFIG.replace("interval: 2m", "interval: 2m, enabled: false"))
    assert _step(engine, T0 + timedelta(hours=1)) == [Unit(POLL, "shop", "calendar")]


def test_due_deliveries_are_deferred_once_per_channel(engine: Engine) -> None:
    with engine.begin() as connection:
        for n, at in enumerate((T0, T0, T0 + timedelta(hours=1))):
            enqueue(
                connection,
                delivery_id=f"msg_{n}",
                business="shop",
                channel="webhook:crm",
                kind="recommendation.created",
                payload={"type": "recommendation.created", "data": {}},
                now=T0,
                not_before=at,
            )
    assert _step(engine, T0) == [Unit(DELIVER, "shop", "webhook:crm")]


def test_the_database_clock_reads_the_database_once_per_period(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'clock.db'}")
    reads: list[str] = []
    sa.event.listen(engine, "engine_connect", lambda connection: reads.append("read"))
    host = [datetime(2026, 1, 1, 12, 0, tzinfo=UTC)]
    ticks = [0.0]
    clock = DatabaseClock(engine, every=60, host=lambda: host[0], monotonic=lambda: ticks[0])
    first = clock()  # measures the offset between the host's clock and the database's
    host[0] += timedelta(seconds=30)
    ticks[0] += 30
    assert clock() - first == timedelta(seconds=30)  # the host's clock, offset applied
    assert len(reads) == 1
    ticks[0] += 30
    clock()
    assert len(reads) == 2  # a minute later: measured again
    engine.dispose()
