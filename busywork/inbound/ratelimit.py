"""A token bucket per source address, in memory: enough to blunt a flood on one process."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

#: Sources remembered at most; the least recently seen are dropped beyond this.
MAX_SOURCES = 10_000


@dataclass
class RateLimiter:
    """``rate_per_s`` requests a second per source, bursts of up to ``burst``."""

    rate_per_s: float = 5.0
    burst: float = 60.0
    monotonic: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self, source: str) -> float:
        """0 if ``source`` may go ahead now, else the seconds until it may."""
        now = self.monotonic()
        with self._lock:
            tokens, seen = self._buckets.pop(source, (self.burst, now))
            tokens = min(self.burst, tokens + (now - seen) * self.rate_per_s)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate_per_s
            self._buckets[source] = (tokens - 1 if wait == 0 else tokens, now)
            if len(self._buckets) > MAX_SOURCES:
                del self._buckets[next(iter(self._buckets))]
        return wait
