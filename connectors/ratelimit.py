"""A rate limiter driven by the vendor's own ``X-RateLimit-*`` headers, not a fixed pace.

Vendors such as Calendly send, on every response, how many requests the account may still
make in the current window (``X-RateLimit-Remaining``) and how many seconds until that
window resets (``X-RateLimit-Reset``). :class:`HeaderRateLimiter` lets requests through at
full speed while the allowance lasts, counts the requests it lets through against it (so
several threads sharing one limiter cannot overshoot between two responses), and when the
allowance is used up makes every caller wait until the window resets. A 429 blocks every
caller for its ``Retry-After`` (or the reset time), not only the thread that got it.

Before the first response nothing is known, so nothing is held back: the pool size bounds
concurrency, and a 429 is still retried by :class:`~connectors.http.HttpClient`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)
#: Header names (Calendly's, and the common de-facto convention).
LIMIT = "X-RateLimit-Limit"
REMAINING = "X-RateLimit-Remaining"
RESET = "X-RateLimit-Reset"
#: A reset later than this many seconds is treated as an epoch timestamp, not a delta.
_DELTA_MAX_S = 10 * 365 * 86400.0


def header_float(headers: Mapping[str, str], name: str) -> float | None:
    """A numeric header's value, or None when absent or not a number."""
    value = headers.get(name)
    if value is None:
        return None
    try:
        return float(str(value).strip())
    except ValueError:
        return None


class HeaderRateLimiter:
    """Paces one vendor account by the allowance its responses report.

    Args:
        clock: monotonic seconds (tests inject a fake).
        sleep: blocks for the given seconds (tests record the waits instead).
        wall: epoch seconds, to read a reset sent as a timestamp.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._wall = wall
        self._lock = threading.Lock()
        #: Requests still allowed in the current window (None: not known yet).
        self.remaining: float | None = None
        #: The account's limit per window, as last reported.
        self.limit: float | None = None
        #: Monotonic time at which the current window resets (or a 429 block ends).
        self.reset_at: float = 0.0

    def acquire(self) -> float:
        """Wait until a request may go, then count it; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                if now >= self.reset_at and self.remaining is not None and self.remaining <= 0:
                    # The window has reset: the limit is available again until told otherwise.
                    self.remaining = self.limit
                blocked = self.remaining is not None and self.remaining <= 0
                if not blocked:
                    if self.remaining is not None:
                        self.remaining -= 1
                    return waited
                wait = max(self.reset_at - now, 0.0)
            # Blocked means the reset is still ahead (a passed reset refilled the allowance).
            log.info("rate limit reached action=wait wait_s=%.2f", wait)
            self._sleep(wait)
            waited += wait

    def observe(self, headers: Mapping[str, str], *, status: int = 200) -> None:
        """Learn the allowance from one response's headers (any status, 429 included)."""
        remaining = header_float(headers, REMAINING)
        reset = header_float(headers, RESET)
        limit = header_float(headers, LIMIT)
        with self._lock:
            now = self._clock()
            if limit is not None and limit > 0:
                self.limit = limit
            reset_at = None
            if reset is not None:
                delta = reset - self._wall() if reset > _DELTA_MAX_S else reset
                reset_at = now + max(delta, 0.0)
            if status == 429:
                self.remaining = 0
                self.reset_at = max(self.reset_at, reset_at if reset_at is not None else now)
                return
            if remaining is None:
                return
            if reset_at is not None and reset_at > self.reset_at + 1.0:
                # A new window: the vendor's figure replaces our count.
                self.remaining = remaining
                self.reset_at = reset_at
            elif self.remaining is None:
                self.remaining = remaining
                if reset_at is not None:
                    self.reset_at = reset_at
            else:
                # Same window: responses of concurrent requests arrive out of order, and the
                # lowest figure is the one closest to the truth.
                self.remaining = min(self.remaining, remaining)

    def block(self, seconds: float) -> None:
        """Hold every caller back for ``seconds`` (a ``Retry-After``)."""
        with self._lock:
            self.remaining = 0
            self.reset_at = max(self.reset_at, self._clock() + max(seconds, 0.0))


_LIMITERS: dict[tuple[str, str], HeaderRateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def header_limiter_for(vendor: str, tenant: str) -> HeaderRateLimiter:
    """The process-wide header limiter of one vendor account, created once."""
    with _LIMITERS_LOCK:
        return _LIMITERS.setdefault((vendor, tenant), HeaderRateLimiter())
