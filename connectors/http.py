"""The HTTP client every API connector uses: timeouts, retries, rate limiting, redaction.

:class:`HttpClient` wraps an injected ``requests.Session``. Every request has a timeout,
waits for a token from the vendor's per-tenant :class:`TokenBucket`, and goes through one
method, :meth:`HttpClient.classify`, that maps status codes onto the exception tree:
429, 5xx and lost connections are :class:`RetriableError` (honouring ``Retry-After``),
401/403 are :class:`AuthError`, any other 4xx is :class:`FatalError`. Retriable failures
are retried with exponential backoff and full jitter; an :class:`Authenticator` gets one
chance to refresh its credentials after a 401. URLs, headers and bodies are redacted before
they reach a log line or an exception message.

Usage::

    client = HttpClient("https://api.example.com", vendor="example", tenant="acme",
                        authenticator=BearerToken(key), limiter=limiter_for("example", "acme", 5))
    body = client.get_json("/v1/things", params={"limit": 100})
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import requests

from busywork.errors import AuthError, FatalError, RetriableError
from busywork.logs import redact, register_secret

log = logging.getLogger(__name__)
#: Seconds allowed to connect and to read each response.
DEFAULT_TIMEOUT_S = 30.0
#: Longest wait a ``Retry-After`` may impose inside one poll; longer waits end the poll.
MAX_RETRY_AFTER_S = 120.0


class Authenticator(Protocol):
    """Supplies auth headers; ``refresh`` renews them after a 401 (False: cannot)."""

    def headers(self) -> dict[str, str]:
        """Headers to add to the next request."""
        ...

    def refresh(self) -> bool:
        """Renew the credentials; True when a retry may now succeed."""
        ...


class BearerToken:
    """A static API key sent as ``Authorization: Bearer``; it cannot be refreshed."""

    def __init__(self, token: str) -> None:
        register_secret(token)
        self._token = token

    def headers(self) -> dict[str, str]:
        """The bearer header."""
        return {"Authorization": f"Bearer {self._token}"}

    def refresh(self) -> bool:
        """A static key cannot be renewed."""
        return False


class Limiter(Protocol):
    """Paces requests: ``acquire`` blocks until the next request may go (seconds waited)."""

    def acquire(self) -> float:
        """Wait for permission to send one request; returns the seconds waited."""
        ...


class TokenBucket:
    """A thread-safe token bucket: ``rate`` requests per second on average, bursts of ``burst``.

    A limiter is a politeness device: it keeps a backfill under the vendor's limits so that
    429s stay exceptional. Correctness never depends on it (429s are still retried).
    """

    def __init__(
        self,
        rate: float,
        burst: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.burst = max(burst, 1.0)
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._updated = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping until one is available; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1.0
            wait = 0.0 if self._tokens >= 0 else -self._tokens / self.rate
        if wait > 0:
            self._sleep(wait)
        return wait


_LIMITERS: dict[tuple[str, str], TokenBucket] = {}
_LIMITERS_LOCK = threading.Lock()


def limiter_for(vendor: str, tenant: str, rate: float, burst: float = 1.0) -> TokenBucket:
    """The process-wide limiter of one vendor account (realm, tenant, key), created once."""
    with _LIMITERS_LOCK:
        key = (vendor, tenant)
        if key not in _LIMITERS:
            _LIMITERS[key] = TokenBucket(rate, burst)
        return _LIMITERS[key]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry retriable failures."""

    max_attempts: int = 5
    base_delay_s: float = 1.0
    max_delay_s: float = 60.0

    def delay(self, attempt: int, retry_after: float | None, rand: Callable[[], float]) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (``attempt`` counts from 1)."""
        if retry_after is not None:
            return retry_after
        # Full jitter: spreads retries of many workers instead of synchronising them.
        return rand() * min(self.max_delay_s, self.base_delay_s * 2.0 ** (attempt - 1))


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or an HTTP date), or None."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


DEFAULT_RETRY = RetryPolicy()


class HttpClient:
    """A vendor API over one ``requests.Session``; see the module docstring."""

    def __init__(
        self,
        base_url: str,
        *,
        vendor: str,
        tenant: str,
        session: requests.Session | None = None,
        authenticator: Authenticator | None = None,
        limiter: Limiter | None = None,
        headers: Mapping[str, str] | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.vendor = vendor
        self.tenant = tenant
        self.session = session or requests.Session()
        self.authenticator = authenticator
        self.limiter = limiter
        self.headers = dict(headers or {})
        self.timeout_s = timeout_s
        self.retry = retry
        self.sleep = sleep
        self._rand = rand
        #: Requests sent, retries included (benchmarks and tests read it).
        self.requests_sent = 0
        # Connectors may share one client between a few threads (Calendly's invitees).
        self._count_lock = threading.Lock()

    def url(self, path: str) -> str:
        """``path`` joined to the base URL; absolute URLs (next links) are kept."""
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one request with retries; returns a 2xx response or raises a classified error."""
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._send(method, path, params, headers, **kwargs)
                self.classify(response)
                self.observe(response)
                return response
            except AuthError:
                if refreshed or self.authenticator is None or not self.authenticator.refresh():
                    raise
                refreshed = True
                attempt -= 1  # a refresh is not a failed attempt
            except RetriableError as exc:
                too_long = exc.retry_after is not None and exc.retry_after > MAX_RETRY_AFTER_S
                if attempt >= self.retry.max_attempts or too_long:
                    raise
                wait = self.retry.delay(attempt, exc.retry_after, self._rand)
                log.info(
                    "retrying vendor=%s action=retry attempt=%d wait_s=%.2f reason=%s",
                    self.vendor,
                    attempt,
                    wait,
                    exc,
                )
                self.sleep(wait)

    def get_json(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """GET ``path`` and decode its JSON body.

        Raises:
            RetriableError: the body is not JSON (a truncated or proxy-made page).
        """
        response = self.request("GET", path, params=params, headers=headers)
        try:
            return response.json()
        except (ValueError, json.JSONDecodeError) as exc:
            raise RetriableError(
                f"{self.vendor}: {redact(self._where(response))} returned a body that is not JSON"
            ) from exc

    def classify(self, response: requests.Response) -> None:
        """Raise the error a non-2xx ``response`` means; return for 2xx."""
        status = response.status_code
        if status < 400:
            return
        where = f"{self.vendor}: {response.request.method} {self._where(response)}"
        detail = self.error_detail(response)
        message = redact(f"{where} -> HTTP {status}{': ' + detail if detail else ''}")
        if status == 429 or status >= 500:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise RetriableError(message, retry_after=retry_after)
        if status in (401, 403):
            raise AuthError(message)
        raise FatalError(message)

    def observe(self, response: requests.Response) -> None:
        """Hook: look at every successful response (vendors read rate-limit headers here)."""

    def error_detail(self, response: requests.Response) -> str:
        """A short, redacted explanation from an error body (vendors override the shape)."""
        try:
            body = response.json()
        except ValueError:
            return ""
        if isinstance(body, dict):
            for key in ("error_description", "message", "Message", "Detail", "detail"):
                if isinstance(body.get(key), str):
                    return redact(body[key])[:300]
            error = body.get("error")
            if isinstance(error, dict) and isinstance(error.get("message"), str):
                return redact(error["message"])[:300]
            if isinstance(error, str):
                return redact(error)[:300]
        return ""

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None,
        headers: Mapping[str, str] | None,
        **kwargs: Any,
    ) -> requests.Response:
        if self.limiter is not None:
            self.limiter.acquire()
        merged = {**self.headers, **(headers or {})}
        if self.authenticator is not None:
            merged.update(self.authenticator.headers())
        with self._count_lock:
            self.requests_sent += 1
        try:
            return self.session.request(
                method,
                self.url(path),
                params=params,
                headers=merged,
                timeout=self.timeout_s,
                **kwargs,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise RetriableError(
                redact(f"{self.vendor}: {method} {self._strip(self.url(path))}: {exc}")
            ) from exc

    def _where(self, response: requests.Response) -> str:
        return self._strip(response.request.url or response.url or "")

    @staticmethod
    def _strip(url: str) -> str:
        # Query strings can carry codes and tokens; the path is enough to say where.
        return url.split("?", 1)[0]
