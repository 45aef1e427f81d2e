"""Units of work and the queue they are deferred to: what the task layer and engines share.

A unit names a task and the plain ids it takes. Its key is also its lock: two units with
the same key never run at once, and at most one of them waits in the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.engine import Connection

from config.models import AppConfig

POLL = "poll_connector"
DETECT = "detect_business"
DELIVER = "deliver_channel"
#: The keyword each task takes for a unit's target.
_TARGET = {POLL: "connector", DELIVER: "channel"}


@dataclass(frozen=True)
class Unit:
    """One task for one business (and one connector or channel)."""

    task: str
    business: str
    target: str | None = None

    @property
    def key(self) -> str:
        """``poll_connector:shop:stripe``: the lock and queueing lock of the unit's jobs."""
        return ":".join(part for part in (self.task, self.business, self.target) if part)

    def kwargs(self) -> dict[str, str]:
        """The task's keyword arguments."""
        found = {"business": self.business}
        if self.target is not None:
            found[_TARGET[self.task]] = self.target
        return found

    @classmethod
    def from_kwargs(cls, task: str, kwargs: dict[str, str]) -> Unit:
        """The unit a job's arguments describe."""
        target = _TARGET.get(task)
        return cls(task, kwargs["business"], kwargs[target] if target else None)


class Queue(Protocol):
    """Where follow-up work goes: deferred inside the caller's transaction."""

    def defer(self, connection: Connection, unit: Unit) -> bool:
        """Queue ``unit`` with the transaction of ``connection``; False when coalesced."""
        ...


class Tenants(Protocol):
    """The configs of the businesses a worker serves, by business id."""

    def get(self, business: str) -> AppConfig:
        """The config of ``business``.

        Raises:
            ConfigError: the business is unknown or its stored config no longer validates.
        """
        ...
