"""Opening, renewing and closing push subscriptions through each vendor's API.

Each function takes the connector's own authenticated :class:`connectors.http.HttpClient`
(so tokens, retries and rate limits are the connector's) and returns the secrets to store
and when the subscription expires. QuickBooks and Xero have no API for this: their
webhook is set in the developer dashboard (see :mod:`busywork.inbound.instructions`).
"""

from __future__ import annotations

import secrets as random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from busywork.inbound.vendors import calendly, stripe
from connectors.http import HttpClient

#: Longest life we ask for: Google allows weeks for events, Graph at most 10 080 minutes
#: for Outlook events; a week less an hour suits both.
CHANNEL_LIFE = timedelta(days=7) - timedelta(hours=1)
#: Renew when less than this is left, so one missed renewal run still leaves time.
RENEW_BEFORE = timedelta(days=2)


@dataclass(frozen=True)
class Opened:
    """What the vendor gave back: secrets to keep and the expiry (None: until removed)."""

    secrets: dict[str, Any]
    expires_at: datetime | None


Register = Callable[[HttpClient, Any, str, dict[str, Any], datetime], Opened]
Close = Callable[[HttpClient, Any, dict[str, Any]], None]


def google_watch(
    client: HttpClient, config: Any, url: str, kept: dict[str, Any], now: datetime
) -> Opened:
    """Open an ``events.watch`` channel (a new one also replaces one about to expire)."""
    token = random.token_urlsafe(32)
    body = {
        "id": str(uuid.uuid4()),
        "type": "web_hook",
        "address": url,
        "token": token,
        "expiration": str(int((now + CHANNEL_LIFE).timestamp() * 1000)),
    }
    answer = client.request("POST", f"/calendars/{config.calendar_id}/events/watch", json=body)
    channel = answer.json()
    if kept.get("channel_id") and kept.get("resource_id"):
        google_stop(client, config, kept)  # the old channel would otherwise fire until expiry
    expires = channel.get("expiration")
    return Opened(
        {
            **kept,
            "channel_id": channel["id"],
            "resource_id": channel["resourceId"],
            "channel_token": token,
        },
        datetime.fromtimestamp(int(expires) / 1000, UTC) if expires else None,
    )


def google_stop(client: HttpClient, _config: Any, kept: dict[str, Any]) -> None:
    """``channels.stop`` for the stored channel."""
    client.request(
        "POST", "/channels/stop", json={"id": kept["channel_id"], "resourceId": kept["resource_id"]}
    )


def graph_subscribe(
    client: HttpClient, config: Any, url: str, kept: dict[str, Any], now: datetime
) -> Opened:
    """Create the Graph subscription, or extend it when it exists."""
    expires = (now + CHANNEL_LIFE).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")
    if kept.get("subscription_id"):
        answer = client.request(
            "PATCH",
            f"/subscriptions/{kept['subscription_id']}",
            json={"expirationDateTime": expires},
        )
        return Opened(kept, _graph_expiry(answer.json(), now))
    client_state = random.token_urlsafe(32)
    resource = "me/events" if config.user == "me" else f"users/{config.user}/events"
    answer = client.request(
        "POST",
        "/subscriptions",
        json={
            "changeType": "created,updated,deleted",
            "notificationUrl": url,
            "lifecycleNotificationUrl": url,
            "resource": resource,
            "expirationDateTime": expires,
            "clientState": client_state,
        },
    )
    created = answer.json()
    return Opened(
        {**kept, "subscription_id": created["id"], "client_state": client_state},
        _graph_expiry(created, now),
    )


def _graph_expiry(subscription: dict[str, Any], now: datetime) -> datetime:
    text = str(subscription.get("expirationDateTime") or "")
    try:
        # Graph writes seven fractional digits; Python reads at most six.
        head, _, _ = text.rstrip("Z").partition(".")
        return datetime.fromisoformat(head).replace(tzinfo=UTC)
    except ValueError:
        return now + CHANNEL_LIFE


def graph_delete(client: HttpClient, _config: Any, kept: dict[str, Any]) -> None:
    """Delete the Graph subscription."""
    client.request("DELETE", f"/subscriptions/{kept['subscription_id']}")


def calendly_subscribe(
    client: HttpClient, config: Any, url: str, kept: dict[str, Any], _now: datetime
) -> Opened:
    """Create a webhook subscription for invitee events, signed with a key we choose."""
    if kept.get("subscription_uri"):
        return Opened(kept, None)  # Calendly subscriptions do not expire
    me = client.request("GET", "/users/me").json().get("resource") or {}
    key = random.token_urlsafe(32)
    body = {
        "url": url,
        "events": list(calendly.EVENTS),
        "organization": me.get("current_organization"),
        "scope": config.scope,
        "signing_key": key,
    }
    if config.scope == "user":
        body["user"] = me.get("uri")
    created = client.request("POST", "/webhook_subscriptions", json=body).json()
    uri = (created.get("resource") or {}).get("uri")
    return Opened({**kept, "subscription_uri": uri, "secrets": [key]}, None)


def calendly_delete(client: HttpClient, _config: Any, kept: dict[str, Any]) -> None:
    """Delete the webhook subscription."""
    client.request("DELETE", str(kept["subscription_uri"]))


def stripe_endpoint(
    client: HttpClient, _config: Any, url: str, kept: dict[str, Any], _now: datetime
) -> Opened:
    """Create a webhook endpoint; Stripe returns its signing secret once, here."""
    if kept.get("endpoint_id"):
        return Opened(kept, None)
    form = [("url", url), *(("enabled_events[]", kind) for kind in stripe.ENABLED_EVENTS)]
    created = client.request("POST", "/v1/webhook_endpoints", data=form).json()
    secrets = [created["secret"], *kept.get("secrets", [])]
    return Opened({**kept, "endpoint_id": created["id"], "secrets": secrets}, None)


def stripe_delete(client: HttpClient, _config: Any, kept: dict[str, Any]) -> None:
    """Delete the webhook endpoint."""
    client.request("DELETE", f"/v1/webhook_endpoints/{kept['endpoint_id']}")


#: Vendor → (open or renew, close, the stored key that says it is open).
MANAGED: dict[str, tuple[Register, Close, str]] = {
    "google": (google_watch, google_stop, "channel_id"),
    "msgraph": (graph_subscribe, graph_delete, "subscription_id"),
    "calendly": (calendly_subscribe, calendly_delete, "subscription_uri"),
    "stripe": (stripe_endpoint, stripe_delete, "endpoint_id"),
}
