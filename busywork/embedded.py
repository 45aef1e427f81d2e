"""The embedded engine: the task functions run in this process, one after another.

What ``busywork demo``, ``scan`` and ``run`` use on SQLite (or whenever no queue is
wanted): no PostgreSQL, no extra process. Deferred units wait in memory, in order, each at
most once; the loop of :meth:`EmbeddedEngine.run_forever` runs the scheduler step
(:func:`busywork.tasks.plan_due`) every second and then whatever it and the tasks
deferred. A unit deferred in a transaction that then rolls back may still run: every task
is idempotent, so that costs a little work and never a wrong result. After a crash,
what was waiting in memory is found again from the store by the next step (due polls,
pending deliveries, digests) or by the next poll of the business (detection).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any

from sqlalchemy.engine import Connection

from busywork import metrics, tasks
from busywork.errors import ConfigError
from busywork.units import DELIVER, DETECT, POLL, Unit

log = logging.getLogger("busywork.worker")
#: Seconds between two scheduler steps of the embedded loop.
STEP_SECONDS = 1.0


class LocalQueue:
    """Deferred units in memory: first in, first run; a unit already waiting coalesces."""

    def __init__(self) -> None:
        self._waiting: deque[Unit] = deque()

    def defer(self, connection: Connection, unit: Unit) -> bool:
        """Queue ``unit`` (``connection`` is unused: this queue is not in the database)."""
        if unit in self._waiting:
            return False
        self._waiting.append(unit)
        return True

    def pop(self) -> Unit | None:
        """The next unit to run, or None."""
        return self._waiting.popleft() if self._waiting else None

    def discard(self, business: str, task: str) -> None:
        """Forget the waiting units of ``task`` for ``business`` (someone just ran them)."""
        self._waiting = deque(
            unit for unit in self._waiting if (unit.business, unit.task) != (business, task)
        )

    def __len__(self) -> int:
        return len(self._waiting)


def run_unit(rt: tasks.Runtime, unit: Unit) -> Any:
    """Run the task ``unit`` names: the one place a unit becomes a call."""
    if unit.task == POLL:
        assert unit.target is not None
        return tasks.poll_connector(rt, unit.business, unit.target)
    if unit.task == DETECT:
        return tasks.detect_business(rt, unit.business)
    if unit.task == DELIVER:
        assert unit.target is not None
        return tasks.deliver_channel(rt, unit.business, unit.target)
    raise ValueError(f"unknown task {unit.task!r}")


class EmbeddedEngine:
    """Runs units in-process until stopped."""

    def __init__(self, rt: tasks.Runtime, queue: LocalQueue, stopping: threading.Event) -> None:
        self.rt = rt
        self.queue = queue
        self.stopping = stopping

    def drain(self) -> int:
        """Run every waiting unit (and what they defer); returns how many ran."""
        ran = 0
        while not self.stopping.is_set():
            unit = self.queue.pop()
            if unit is None:
                break
            try:
                # Timed and counted as a queue worker's jobs are (busywork.metrics): what
                # `busywork run --metrics-port` serves on SQLite too.
                with metrics.observe_job(unit):
                    metrics.record_outcome(unit, run_unit(self.rt, unit))
            except ConfigError as exc:  # a business in the store this process does not serve
                log.warning("task skipped unit=%s action=not_configured: %s", unit.key, exc)
            except Exception:  # one failing unit must never stop the others
                log.exception("task failed unit=%s action=task_failed", unit.key)
            ran += 1
        return ran

    def run_forever(self) -> None:
        """Step, drain, wait a second; until :attr:`stopping` is set."""
        while not self.stopping.is_set():
            try:
                tasks.plan_due(self.rt)
            except Exception:  # a lost database connection: try again next step
                log.exception("schedule step failed action=step_failed")
            self.drain()
            self.stopping.wait(STEP_SECONDS)
