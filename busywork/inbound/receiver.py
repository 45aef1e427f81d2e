"""``/hooks/{token}``: verify, remember the event ids, request a poll, answer.

Nothing is analysed inside the request: a genuine notification only makes its connector
due (the poll fetches the data; payloads are never taken as data). The token picks the
subscription, so a notification can only ever trigger the connector it was issued for.
Every refusal answers with an empty body and changes nothing; the reason is logged
without the token, the body or any secret.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from cryptography.fernet import MultiFernet
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from busywork.errors import ConfigError
from busywork.inbound import subscriptions
from busywork.inbound.ratelimit import RateLimiter
from busywork.inbound.trigger import request_poll
from busywork.inbound.vendors import BY_VENDOR
from busywork.inbound.vendors.base import Notification, Verdict, reject
from busywork.store.webhooks import WebhookEvent
from busywork.web.body import BodyError, read_body
from config.models import AppConfig
from connectors.oauth import load_cipher

log = logging.getLogger("busywork.inbound")
EVENTS = WebhookEvent.__table__  # type: ignore[attr-defined]
#: Largest notification accepted; vendors send thin payloads (Stripe's events are the largest).
MAX_NOTIFICATION_BYTES = 256 * 1024
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


class Receiver:
    """The ASGI endpoint for every vendor's notifications."""

    def __init__(
        self,
        engine: Engine,
        configs: Sequence[AppConfig] = (),
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        cipher: MultiFernet | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.limiter = limiter or RateLimiter()
        self._cipher = cipher
        # Only businesses this server was started for are answered.
        self.businesses = {config.business.id for config in configs} or None

    def cipher(self) -> MultiFernet:
        """The key set, loaded on first use (a server may answer only links)."""
        if self._cipher is None:
            self._cipher = load_cipher()
        return self._cipher

    async def endpoint(self, request: Request) -> Response:
        """Answer one notification (Starlette endpoint)."""
        source = request.client.host if request.client else "unknown"
        wait = self.limiter.allow(source)
        if wait:
            log.warning("webhook refused source=%s action=rate_limited", source)
            return Response(status_code=429, headers={"retry-after": str(int(wait) + 1)})
        token = request.path_params.get("token", "")
        if not _TOKEN.match(token):
            return Response(status_code=404)
        try:
            body = await read_body(request, MAX_NOTIFICATION_BYTES)
        except BodyError as exc:
            log.warning(
                "webhook refused action=rejected status=%d reason=%s", exc.status, exc.reason
            )
            return Response(status_code=exc.status)
        notification = Notification(
            method=request.method,
            headers={key.lower(): value for key, value in request.headers.items()},
            query=dict(request.query_params),
            body=body,
            now=self.clock(),
        )
        verdict = await run_in_threadpool(self.handle, token, notification)
        if not verdict.accepted:
            return Response(status_code=verdict.status)
        return Response(
            verdict.body,
            status_code=verdict.status,
            media_type=verdict.content_type,
            headers={"x-content-type-options": "nosniff", "cache-control": "no-store"},
        )

    def handle(self, token: str, notification: Notification) -> Verdict:
        """Verify and act on one notification (blocking: runs in a worker thread)."""
        try:
            subscription = subscriptions.by_token(self.engine, self.cipher(), token)
        except ConfigError as exc:
            log.error("webhook action=unavailable error=%s", exc)
            return reject(503, "secrets unavailable")
        if subscription is None or (
            self.businesses is not None and subscription.business not in self.businesses
        ):
            return reject(404, "unknown endpoint")
        where = f"business={subscription.business} connector={subscription.connector}"
        verify = BY_VENDOR.get(subscription.vendor)
        if verify is None:
            return reject(404, "vendor has no push")
        verdict = verify(notification, subscription.secrets)
        if not verdict.accepted:
            log.warning(
                "webhook refused %s vendor=%s action=rejected status=%d reason=%s",
                where,
                subscription.vendor,
                verdict.status,
                verdict.reason,
            )
            return verdict
        now = notification.now
        with self.engine.begin() as connection:
            fresh = _remember(
                connection, subscription.business, subscription.connector, verdict.event_ids, now
            )
            subscriptions.mark(
                connection,
                subscription.business,
                subscription.connector,
                now,
                state=verdict.state or ("active" if subscription.state == "pending" else None),
                notified=True,
            )
        polled = verdict.poll and (fresh or not verdict.event_ids)
        if polled:
            request_poll(self.engine, subscription.business, subscription.connector, now)
        log.info(
            "webhook %s vendor=%s action=%s events=%d new=%d reason=%s",
            where,
            subscription.vendor,
            "poll_requested" if polled else ("duplicate" if verdict.poll else "acknowledged"),
            len(verdict.event_ids),
            fresh,
            verdict.reason,
        )
        return verdict


def _remember(
    connection: sa.Connection,
    business: str,
    connector: str,
    event_ids: Sequence[str],
    now: datetime,
) -> int:
    """Record ``event_ids``; returns how many were not seen before."""
    if not event_ids:
        return 0
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    fresh = 0
    for event_id in dict.fromkeys(event_ids):
        # RETURNING, not rowcount: psycopg reports -1 for a skipped ON CONFLICT insert.
        fresh += len(
            connection.execute(
                insert(EVENTS)
                .values(business=business, connector=connector, event_id=event_id, received_at=now)
                .on_conflict_do_nothing(index_elements=["business", "connector", "event_id"])
                .returning(EVENTS.c.event_id)
            ).all()
        )
    return fresh
