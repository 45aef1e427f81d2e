"""Calendly's per-event reads: invitees and event types, concurrently, failures owed.

Calendly lists scheduled events without their invitees, so each new or changed event
costs one ``GET /scheduled_events/{uuid}/invitees``. :func:`read_details` runs those reads
for one page of events on a small thread pool that shares the account's
:class:`~connectors.ratelimit.HeaderRateLimiter`, so the pace is the one Calendly reports
(``X-RateLimit-*``), not a fixed one. A read that still fails after the client's retries
does not stop the sync: the event is returned as *owed*, with the error, and the
connector keeps it in its cursor to read again on the next poll. Only a credentials
failure (:class:`~busywork.errors.AuthError`) stops the sync, since every later read
would fail the same way.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests

from busywork.errors import AuthError, BusyworkError, FatalError, RetriableError
from connectors.http import MAX_RETRY_AFTER_S, Authenticator, HttpClient, parse_retry_after
from connectors.paging import CursorPaginator
from connectors.ratelimit import RESET, HeaderRateLimiter, header_float


class CalendlyClient(HttpClient):
    """An :class:`HttpClient` that feeds every response's rate-limit headers to its limiter.

    On a 429 the wait (``Retry-After``, else ``X-RateLimit-Reset``) is put on the shared
    limiter, so every thread holds back, instead of being slept by the one thread that got
    it.
    """

    def classify(self, response: requests.Response) -> None:
        """As :meth:`HttpClient.classify`, after showing the headers to the limiter."""
        limiter = self.limiter
        if not isinstance(limiter, HeaderRateLimiter):
            super().classify(response)
            return
        limiter.observe(response.headers, status=response.status_code)
        if response.status_code != 429:
            super().classify(response)
            return
        wait = parse_retry_after(response.headers.get("Retry-After"))
        if wait is None:
            wait = header_float(response.headers, RESET)
        try:
            super().classify(response)
        except RetriableError as exc:
            if wait is None or wait > MAX_RETRY_AFTER_S:
                raise
            limiter.block(wait)
            # The limiter now makes the retry wait; the client must not sleep a second time.
            raise RetriableError(str(exc), retry_after=0.0) from None


class SerialAuthenticator:
    """Lets the threads of one sync share an authenticator without refreshing it twice.

    Calendly rotates refresh tokens: two threads that both see an expired or refused
    access token must not both redeem the same refresh token (the second would be refused
    and stop the sync). Calls are serialised, and a refresh asked for within
    ``settle_s`` of the last one reuses it.
    """

    def __init__(
        self,
        inner: Authenticator,
        *,
        settle_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.settle_s = settle_s
        self._clock = clock
        self._lock = threading.Lock()
        self._refreshed_at: float | None = None

    def headers(self) -> dict[str, str]:
        """The inner authenticator's headers (it may refresh an expired token, once)."""
        with self._lock:
            return self.inner.headers()

    def refresh(self) -> bool:
        """Refresh, unless another thread just did: then its tokens are the ones to use."""
        with self._lock:
            now = self._clock()
            if self._refreshed_at is not None and now - self._refreshed_at < self.settle_s:
                return True
            renewed = self.inner.refresh()
            if renewed:
                self._refreshed_at = now
            return renewed


@dataclass
class Details:
    """What the per-event reads found: invitees and types, and what is owed (uuid -> why)."""

    invitees: dict[str, list[Any]] = field(default_factory=dict)
    owed: dict[str, str] = field(default_factory=dict)


def read_invitees(client: HttpClient, uuid: str) -> list[Any]:
    """Every invitee of one scheduled event, all pages."""
    paginator = CursorPaginator(param="page_token")
    invitees: list[Any] = []
    while not paginator.done:
        body = client.get_json(
            f"/scheduled_events/{uuid}/invitees",
            params={"count": 100, **paginator.params()},
        )
        invitees += body.get("collection") or []
        token = (body.get("pagination") or {}).get("next_page_token")
        paginator.advance(token, has_more=bool(token))
    return invitees


def read_event_type(client: HttpClient, uri: str) -> str:
    """The ``type`` of one event type (``""`` when Calendly no longer serves it).

    Raises:
        RetriableError: the read failed for now; the caller owes it.
    """
    try:
        body = client.get_json(f"/event_types/{last_segment(uri)}")
    except AuthError:
        raise
    except FatalError:
        # Gone (404): without evidence of a hand-made booking, none is claimed.
        return ""
    return str((body.get("resource") or {}).get("type") or "")


def read_details(
    client: HttpClient,
    events: Sequence[Mapping[str, Any]],
    types: dict[str, str],
    *,
    workers: int,
) -> Details:
    """Invitees of ``events`` and any event type not yet in ``types`` (updated in place).

    Reads run on up to ``workers`` threads; the records come out the same as read one by
    one, since each event's invitees are kept under its own uuid.
    """
    details = Details()
    missing = sorted({str(e.get("event_type")) for e in events if e.get("event_type")} - set(types))
    failed_types: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(events) or 1))) as pool:
        type_reads = {uri: pool.submit(read_event_type, client, uri) for uri in missing}
        invitee_reads = {
            uuid_of(event): pool.submit(read_invitees, client, uuid_of(event)) for event in events
        }
        for uri, type_read in type_reads.items():
            try:
                types[uri] = type_read.result()
            except AuthError:
                raise
            except BusyworkError as exc:
                failed_types[uri] = str(exc)
        for uuid, invitee_read in invitee_reads.items():
            try:
                details.invitees[uuid] = invitee_read.result()
            except AuthError:
                raise
            except BusyworkError as exc:
                details.owed[uuid] = str(exc)
    for event in events:
        uri = str(event.get("event_type") or "")
        if uri in failed_types:
            details.owed.setdefault(uuid_of(event), failed_types[uri])
            details.invitees.pop(uuid_of(event), None)
    return details


def uuid_of(event: Mapping[str, Any]) -> str:
    """The event's uuid: the last segment of its URI."""
    return last_segment(str(event.get("uri", "")))


def last_segment(uri: str) -> str:
    """The last path segment of a Calendly URI."""
    return uri.rstrip("/").rsplit("/", 1)[-1]
