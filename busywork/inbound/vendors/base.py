"""What every vendor verifier takes and returns, and the helpers they share.

A verifier is a pure function of the request and the subscription's secrets: no database,
no clock but the one passed in, so each vendor's documented examples can be replayed in
tests exactly.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Notification:
    """One inbound HTTP request, already size-checked."""

    method: str
    #: Header names in lower case.
    headers: Mapping[str, str]
    query: Mapping[str, str]
    body: bytes
    now: datetime


@dataclass(frozen=True)
class Verdict:
    """What to answer and what to do.

    A poll is requested when ``poll`` is set and at least one of ``event_ids`` is new
    (or there are none to check). ``state`` moves the subscription (``active``, ``lost``,
    ``renew``).
    """

    status: int
    reason: str
    event_ids: tuple[str, ...] = ()
    poll: bool = False
    body: str = ""
    content_type: str = "text/plain; charset=utf-8"
    state: str | None = None

    @property
    def accepted(self) -> bool:
        """Whether the request was genuine (2xx)."""
        return 200 <= self.status < 300


Secrets = Mapping[str, Any]
Verifier = Callable[[Notification, Secrets], Verdict]


def reject(status: int, reason: str) -> Verdict:
    """A refusal: nothing is recorded and nothing is polled."""
    return Verdict(status=status, reason=reason)


def hmac_sha256(key: str, message: bytes) -> bytes:
    """HMAC-SHA256 of ``message`` under the text key ``key``."""
    return hmac.new(key.encode(), message, hashlib.sha256).digest()


def body_signed(signature: str, keys: list[str], body: bytes) -> bool:
    """Whether ``signature`` is the base64 HMAC-SHA256 of ``body`` under any of ``keys``.

    The scheme QuickBooks (``intuit-signature``) and Xero (``x-xero-signature``) share.
    """
    return bool(signature) and any(
        same(base64.b64encode(hmac_sha256(key, body)).decode(), signature) for key in keys
    )


def same(left: str, right: str) -> bool:
    """Constant-time comparison of two texts (non-ASCII never matches)."""
    try:
        return hmac.compare_digest(left.encode("ascii"), right.encode("ascii"))
    except UnicodeEncodeError:
        return False


def parse_timestamped(header: str) -> tuple[int, list[str]] | None:
    """``t=<unix>,v1=<sig>[,v1=<sig>…]`` (Stripe, Calendly) → (t, v1 signatures), or None."""
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit() and timestamp is None:
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        return None
    return timestamp, signatures


def check_timestamped(
    notification: Notification, header: str, keys: list[str], tolerance_seconds: int
) -> Verdict | None:
    """Verify a ``t=…,v1=…`` signature of ``"{t}.{body}"`` (hex) under any of ``keys``.

    Returns:
        None when genuine and fresh, else the refusal.
    """
    value = notification.headers.get(header, "")
    if not value:
        return reject(400, f"no {header} header")
    parsed = parse_timestamped(value)
    if parsed is None:
        return reject(400, f"{header} is not t=…,v1=…")
    timestamp, signatures = parsed
    signed = f"{timestamp}.".encode() + notification.body
    expected = [hmac_sha256(key, signed).hex() for key in keys]
    if not any(same(want, got) for want in expected for got in signatures):
        return reject(401, "signature does not match")
    if abs(notification.now.timestamp() - timestamp) > tolerance_seconds:
        return reject(401, f"timestamp outside the {tolerance_seconds} s tolerance")
    return None


def json_body(notification: Notification) -> Any:
    """The body parsed as JSON, or raises ValueError (with a short reason)."""
    try:
        return json.loads(notification.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("body is not JSON") from None


def short_id(*parts: object) -> str:
    """A stable id of at most 64 characters for ``parts`` (vendors' ids can be long)."""
    text = "\x1f".join(str(part) for part in parts)
    return text if len(text) <= 64 else hashlib.sha256(text.encode()).hexdigest()
