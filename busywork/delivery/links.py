"""Signed links: feedback buttons and one-click unsubscribe, checkable without a session.

A link carries its parameters and an HMAC-SHA256 of them under the configured secret, so
``busywork serve`` can act on it with no login and no cookie (RFC 8058 forbids relying on
either) while nobody can forge a link for another finding, action or recipient.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlencode

from config.models import LinksConfig

FEEDBACK_ACTIONS = ("accept", "dismiss", "snooze")


def token(secret: str, *parts: str) -> str:
    """The signature of ``parts`` (order matters; parts never contain the separator)."""
    message = "\x1f".join(parts).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def valid(secret: str, signature: str, *parts: str) -> bool:
    """Whether ``signature`` was made for ``parts`` with ``secret`` (constant time)."""
    return hmac.compare_digest(token(secret, *parts), signature)


def _url(links: LinksConfig, path: str, params: dict[str, str]) -> str:
    return f"{links.base_url.rstrip('/')}{path}?{urlencode(params)}"


def feedback_url(links: LinksConfig, business: str, finding_id: str, action: str) -> str:
    """A link that records ``action`` on ``finding_id`` after one confirming click."""
    secret = links.secret.get_secret_value()
    signature = token(secret, "feedback", business, finding_id, action)
    return _url(links, "/feedback", {"b": business, "f": finding_id, "a": action, "t": signature})


def unsubscribe_url(links: LinksConfig, business: str, recipient: str) -> str:
    """The RFC 8058 one-click unsubscribe link for ``recipient``."""
    signature = token(links.secret.get_secret_value(), "unsubscribe", business, recipient)
    return _url(links, "/unsubscribe", {"b": business, "r": recipient, "t": signature})


def feedback_links(links: LinksConfig, business: str, finding_id: str) -> dict[str, str]:
    """Action → link, for the buttons under one recommendation."""
    return {
        action: feedback_url(links, business, finding_id, action) for action in FEEDBACK_ACTIONS
    }
