"""The connector contract: a connector declares *what* to fetch; the sync loop does the rest.

A connector turns a cursor into pages. Each :class:`SyncPage` carries validated record
batches and the cursor that covers them; :func:`connectors.sync.sync_connector` commits
each page, its events and its cursor in one transaction, so a crash between pages resumes
from the last committed page with no gaps and no duplicates.
"""

from __future__ import annotations

import abc
import builtins
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from busywork.store.record_batch import RecordBatch
from connectors.outcomes import FileOutcome

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def parse_duration(value: object) -> float:
    """Seconds in ``value``: a number of seconds or text such as ``"90s"``, ``"15m"``, ``"1h"``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a duration; use e.g. 30s, 15m, 1h or 1d")
    return float(match.group(1)) * _SECONDS[match.group(2)]


class ConnectorConfig(BaseModel):
    """Settings every connector has; each connector type extends it with its own fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="Unique name; the records' source."
    )
    type: str
    enabled: bool = True
    interval_seconds: float = Field(default=900.0, alias="interval", gt=0)

    @field_validator("interval_seconds", mode="before")
    @classmethod
    def _duration(cls, value: object) -> float:
        return parse_duration(value)


@dataclass(frozen=True)
class ConnectorContext:
    """What a connector knows about the business it serves."""

    business: str
    timezone: str
    currency: str
    #: The store, for connectors that keep credentials in it (OAuth tokens); None in tests
    #: of connectors that need nothing but their config.
    engine: Engine | None = None


@dataclass(frozen=True)
class SyncPage:
    """Records fetched in one step, the cursor that covers them, and rejected inputs."""

    batches: tuple[RecordBatch, ...]
    cursor: dict[str, Any]
    #: One line per rejected input, naming where it was (``invoices.csv:12: total: …``).
    problems: tuple[str, ...] = ()
    #: Per input file (file connectors): what was read, kept and rejected, or why not.
    files: tuple[FileOutcome, ...] = ()


class Connector(abc.ABC):
    """Base class for every connector."""

    type: ClassVar[str]
    config_model: ClassVar[builtins.type[ConnectorConfig]]

    def __init__(self, config: ConnectorConfig, context: ConnectorContext) -> None:
        self.config = config
        self.context = context

    @property
    def name(self) -> str:
        """The connector's name, which is also the ``source`` of its records."""
        return self.config.name

    @abc.abstractmethod
    def pages(self, cursor: dict[str, Any] | None) -> Iterator[SyncPage]:
        """Yield pages of changes since ``cursor`` (None: everything), oldest first."""
