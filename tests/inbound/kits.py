"""Per-vendor kits for tests: the secrets we store and how each vendor signs a request.

Each kit makes a genuine notification (headers, body) the way that vendor documents it;
tests then break it in every way they can think of.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.fernet import Fernet, MultiFernet
from sqlalchemy.engine import Engine

from busywork.inbound import subscriptions
from busywork.inbound.subscriptions import Subscription

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
KEY = Fernet(Fernet.generate_key())
CIPHER = MultiFernet([KEY])
Request = tuple[dict[str, str], bytes]


def hex_hmac(key: str, message: bytes) -> str:
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def b64_hmac(key: str, message: bytes) -> str:
    return base64.b64encode(hmac.new(key.encode(), message, hashlib.sha256).digest()).decode()


@dataclass(frozen=True)
class Kit:
    """One vendor: its connector type, stored secrets, and a genuine signed request."""

    vendor: str
    connector_type: str
    secrets: dict[str, Any]
    #: (secrets, body, unix time) → headers of a genuine request carrying ``body``.
    sign: Callable[[dict[str, Any], bytes, int], dict[str, str]]
    #: A genuine body that asks for a poll (``n`` varies the event).
    body: Callable[[int], bytes]
    #: The query string the vendor adds, if any.
    query: str = ""


def _stripe_body(n: int) -> bytes:
    return json.dumps(
        {"id": f"evt_{n:04d}", "object": "event", "type": "invoice.paid", "data": {}}
    ).encode()


def _qbo_body(n: int) -> bytes:
    return json.dumps(
        {
            "eventNotifications": [
                {
                    "realmId": "1185883450",
                    "dataChangeEvent": {
                        "entities": [
                            {
                                "name": "Invoice",
                                "id": str(n),
                                "operation": "Update",
                                "lastUpdated": "2026-11-23T09:59:00-0800",
                            }
                        ]
                    },
                }
            ]
        }
    ).encode()


def _xero_body(n: int) -> bytes:
    return json.dumps(
        {
            "events": [
                {
                    "resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{n}",
                    "resourceId": f"00000000-0000-0000-0000-{n:012d}",
                    "eventDateUtc": "2026-11-23T09:59:00.000",
                    "eventType": "UPDATE",
                    "eventCategory": "INVOICE",
                    "tenantId": "aef86862-2015-4b6b-88bc-d89032cecc50",
                    "tenantType": "ORGANISATION",
                }
            ],
            "firstEventSequence": n,
            "lastEventSequence": n,
            "entropy": "FXNGWLCCGVANWHKILRUB",
        }
    ).encode()


def _calendly_body(n: int) -> bytes:
    return json.dumps(
        {
            "created_at": "2026-11-23T09:59:00.000000Z",
            "created_by": "https://api.calendly.com/users/AAAAAAAAAAAAAAAA",
            "event": "invitee.created",
            "payload": {
                "uri": f"https://api.calendly.com/scheduled_events/E{n}/invitees/I{n}",
                "status": "active",
            },
        }
    ).encode()


def _graph_body(n: int, client_state: str = "graph-client-state-0123456789") -> bytes:
    return json.dumps(
        {
            "value": [
                {
                    "subscriptionId": "7f105c7d-2dc5-4530-97cd-4e7ae6534c07",
                    "subscriptionExpirationDateTime": "2026-11-26T10:00:00.0000000Z",
                    "changeType": "updated",
                    "resource": f"Users/u1/Events/AAMk{n}",
                    "resourceData": {"@odata.etag": f'W/"{n}"', "id": f"AAMk{n}"},
                    "clientState": client_state,
                    "tenantId": "84bd8158-6d4d-4958-8b9f-9d6445542f95",
                }
            ]
        }
    ).encode()


def _timestamped(header: str) -> Callable[[dict[str, Any], bytes, int], dict[str, str]]:
    def sign(secrets: dict[str, Any], body: bytes, when: int) -> dict[str, str]:
        signature = hex_hmac(secrets["secrets"][0], f"{when}.".encode() + body)
        return {header: f"t={when},v1={signature}", "content-type": "application/json"}

    return sign


def _google_sign(secrets: dict[str, Any], body: bytes, when: int) -> dict[str, str]:
    return {
        "x-goog-channel-id": secrets["channel_id"],
        "x-goog-channel-token": secrets["channel_token"],
        "x-goog-resource-id": secrets["resource_id"],
        "x-goog-resource-state": "exists",
        "x-goog-resource-uri": "https://www.googleapis.com/calendar/v3/calendars/primary/events",
        "x-goog-message-number": body.decode() or "1",
    }


KITS = {
    "stripe": Kit(
        "stripe",
        "stripe",
        {"secrets": ["whsec_test_0123456789abcdef0123456789abcdef"]},
        _timestamped("stripe-signature"),
        _stripe_body,
    ),
    "quickbooks": Kit(
        "quickbooks",
        "quickbooks",
        {"secrets": ["b5771f19b12ddb4bcdb9f08bdc50bc63878a"], "scope": "1185883450"},
        lambda s, body, _when: {
            "intuit-signature": b64_hmac(s["secrets"][0], body),
            "content-type": "application/json",
        },
        _qbo_body,
    ),
    "xero": Kit(
        "xero",
        "xero",
        {"secrets": ["xero-webhook-key-0123456789abcdef0123456789abcdef0123"]},
        lambda s, body, _when: {
            "x-xero-signature": b64_hmac(s["secrets"][0], body),
            "content-type": "application/json",
        },
        _xero_body,
    ),
    "google": Kit(
        "google",
        "google_calendar",
        {
            "channel_id": "01234567-89ab-cdef-0123-456789abcdef",
            "channel_token": "google-channel-token-0123456789abcdef",
            "resource_id": "ret08u3rv24htgh289g",
        },
        _google_sign,
        # Google sends no body: the "body" the kit varies is the message number.
        lambda n: str(n + 1).encode(),
    ),
    "msgraph": Kit(
        "msgraph",
        "msgraph_calendar",
        {
            "client_state": "graph-client-state-0123456789",
            "subscription_id": "7f105c7d-2dc5-4530-97cd-4e7ae6534c07",
        },
        lambda _s, _body, _when: {"content-type": "application/json"},
        _graph_body,
    ),
    "calendly": Kit(
        "calendly",
        "calendly",
        {"secrets": ["calendly-signing-key-0123456789abcdef"]},
        _timestamped("calendly-webhook-signature"),
        _calendly_body,
    ),
}


def genuine(kit: Kit, n: int = 1, when: datetime = NOW) -> Request:
    """A genuine (headers, body) for ``kit``; Google's body is empty (the number is a header)."""
    body = kit.body(n)
    headers = kit.sign(kit.secrets, body, int(when.timestamp()))
    return headers, (b"" if kit.vendor == "google" else body)


def install(engine: Engine, kit: Kit, *, business: str = "shop", connector: str = "books") -> str:
    """Store an active subscription for ``kit``; returns its endpoint token."""
    token = subscriptions.new_token()
    subscriptions.save(
        engine,
        CIPHER,
        Subscription(
            business=business,
            connector=connector,
            vendor=kit.vendor,
            state="active",
            secrets={"token": token, **kit.secrets},
            expires_at=None,
            last_notified_at=None,
            last_error=None,
        ),
        NOW,
    )
    return token
