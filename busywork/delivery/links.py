"""Signed links: feedback buttons and one-click unsubscribe, checkable without a session.

A link carries its parameters and an HMAC-SHA256 of them under the configured secret, so
``busywork serve`` can act on it with no login and no cookie (RFC 8058 forbids relying on
either) while nobody can forge a link for another finding, action or recipient.

Every link also carries, signed: ``e``, when it expires, and for feedback ``s``, its
sequence (the time the email was made). An answer from a link is recorded only if no
newer answer exists, so an old email's "accept" cannot undo a later "dismiss".
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from config.delivery import LinksConfig

FEEDBACK_ACTIONS = ("accept", "dismiss", "snooze")
#: How long a feedback button works after its email was made.
FEEDBACK_LIFETIME = timedelta(days=30)
#: How long an unsubscribe link works: comfortably past the 30 days laws ask for.
UNSUBSCRIBE_LIFETIME = timedelta(days=90)


def token(secret: str, *parts: str) -> str:
    """The signature of ``parts`` (order matters; parts never contain the separator)."""
    message = "\x1f".join(parts).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def valid(secret: str, signature: str, *parts: str) -> bool:
    """Whether ``signature`` was made for ``parts`` with ``secret`` (constant time)."""
    try:
        return hmac.compare_digest(token(secret, *parts).encode(), signature.encode("ascii"))
    except UnicodeEncodeError:
        return False


@dataclass(frozen=True)
class Stamp:
    """A link's signed sequence and expiry, read from its query string."""

    sequence: int
    expires: int

    @classmethod
    def parse(cls, query: dict[str, str]) -> Stamp | None:
        """The stamp in ``query``, or None when missing or not numbers."""
        sequence, expires = query.get("s", ""), query.get("e", "")
        if not (sequence.isdigit() and expires.isdigit()):
            return None
        return cls(int(sequence), int(expires))

    def expired(self, now: datetime) -> bool:
        """Whether the link is past its expiry at ``now``."""
        return now.timestamp() > self.expires


def _url(links: LinksConfig, path: str, params: dict[str, str]) -> str:
    return f"{links.base_url.rstrip('/')}{path}?{urlencode(params)}"


def feedback_url(
    links: LinksConfig, business: str, finding_id: str, action: str, *, issued_at: datetime
) -> str:
    """A link that records ``action`` on ``finding_id`` after one confirming click."""
    sequence = str(int(issued_at.timestamp()))
    expires = str(int((issued_at + FEEDBACK_LIFETIME).timestamp()))
    signature = token(
        links.secret.get_secret_value(), "feedback", business, finding_id, action, sequence, expires
    )
    return _url(
        links,
        "/feedback",
        {"b": business, "f": finding_id, "a": action, "s": sequence, "e": expires, "t": signature},
    )


def unsubscribe_url(
    links: LinksConfig, business: str, recipient: str, *, issued_at: datetime
) -> str:
    """The RFC 8058 one-click unsubscribe link for ``recipient``."""
    sequence = str(int(issued_at.timestamp()))
    expires = str(int((issued_at + UNSUBSCRIBE_LIFETIME).timestamp()))
    signature = token(
        links.secret.get_secret_value(), "unsubscribe", business, recipient, sequence, expires
    )
    return _url(
        links,
        "/unsubscribe",
        {"b": business, "r": recipient, "s": sequence, "e": expires, "t": signature},
    )


def feedback_links(
    links: LinksConfig, business: str, finding_id: str, *, issued_at: datetime
) -> dict[str, str]:
    """Action → link, for the buttons under one recommendation."""
    return {
        action: feedback_url(links, business, finding_id, action, issued_at=issued_at)
        for action in FEEDBACK_ACTIONS
    }
