"""Webhooks signed per the Standard Webhooks spec, sent to a vetted address, never redirected.

Headers: ``webhook-id`` (the outbox id, the same on every retry), ``webhook-timestamp``
(this attempt, Unix seconds) and ``webhook-signature: v1,<base64 HMAC-SHA256 of
"{id}.{timestamp}.{body}">`` keyed with the base64 part of the ``whsec_`` secret. The body
is ``{type, timestamp, data}``. 2xx is success, 410 disables the endpoint, everything else
(3xx included: redirects are not followed) is a failure retried later.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import socket
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from busywork.delivery.ssrf import Target, vet
from busywork.errors import FatalError, RetriableError

#: Seconds allowed to connect, and for each read of the response.
TIMEOUT_SECONDS = 15.0
#: Only the start of a receiver's answer is read; its content does not matter.
MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "Busywork-Webhooks/1"


class EndpointGoneError(FatalError):
    """The receiver answered 410 Gone: stop sending to this endpoint."""


@dataclass(frozen=True)
class Response:
    """What a receiver answered."""

    status: int
    headers: dict[str, str]


def body_bytes(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed for ``payload`` (the same on every attempt)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value for one attempt."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Speaks to ``host`` but connects to the address the SSRF guard vetted."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the vetted address, with SNI and certificate checks against ``host``."""

    def __init__(self, target: Target, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self._tls)
        self._address = target.address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> Response:
    """POST ``body`` once; network trouble is a :class:`RetriableError`."""
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = kind(target, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        answer = connection.getresponse()
        answer.read(MAX_RESPONSE_BYTES)
        return Response(answer.status, {key.lower(): value for key, value in answer.getheaders()})
    except TimeoutError:
        raise RetriableError(f"no answer within {timeout:g} s") from None
    except (OSError, http.client.HTTPException) as exc:
        raise RetriableError(f"{type(exc).__name__}: {exc}") from None
    finally:
        connection.close()


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds from ``now``: delta-seconds or an HTTP date."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def send(
    url: str,
    secret: str,
    msg_id: str,
    payload: dict[str, Any],
    *,
    now: datetime,
    signed_at: datetime | None = None,
    allow_private: bool = False,
    timeout: float = TIMEOUT_SECONDS,
) -> Response:
    """Deliver one message attempt.

    Args:
        url: the receiver's URL.
        secret: the endpoint's ``whsec_`` secret.
        msg_id: the ``webhook-id``, the same on every attempt.
        payload: the JSON document to send.
        now: the clock a ``Retry-After`` date is measured against.
        signed_at: the ``webhook-timestamp``; ``now`` when not given. The receiver checks it
            against its own clock, so callers with an injected clock pass the wall clock.
        allow_private: let the SSRF guard accept private and loopback addresses.
        timeout: seconds to wait for the answer.

    Raises:
        UnsafeURLError: the URL fails the SSRF guard.
        EndpointGoneError: the receiver answered 410.
        RetriableError: any other failure, with ``retry_after`` when the receiver gave one.
    """
    target = vet(url, allow_private=allow_private)
    body = body_bytes(payload)
    timestamp = int((signed_at or now).timestamp())
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }
    response = post(target, body, headers, timeout)
    if 200 <= response.status < 300:
        return response
    if response.status == 410:
        raise EndpointGoneError("the receiver answered 410 Gone")
    delay = retry_after_seconds(response.headers.get("retry-after"), now)
    if 300 <= response.status < 400:
        raise RetriableError(
            f"HTTP {response.status}: redirects are not followed, update the webhook URL"
            f" (Location: {response.headers.get('location', '-')})",
            delay,
        )
    raise RetriableError(f"HTTP {response.status}", delay)
