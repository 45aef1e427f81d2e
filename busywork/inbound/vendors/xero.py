"""Xero: ``x-xero-signature`` = base64 HMAC-SHA256 of the body under the webhook key.

See https://developer.xero.com/documentation/guides/webhooks/overview. Xero's
intent-to-receive check sends signed and wrongly signed empty batches: the first must get
200 with an empty body, the second 401 with an empty body. Events name their tenant
(organisation); only the connector's own tenant asks for a poll.
"""

from __future__ import annotations

from busywork.inbound.vendors.base import (
    Notification,
    Secrets,
    Verdict,
    body_signed,
    json_body,
    reject,
    short_id,
)


def verify(notification: Notification, secrets: Secrets) -> Verdict:
    """Check a Xero webhook delivery (or intent-to-receive)."""
    if notification.method != "POST":
        return reject(405, "Xero posts events")
    keys = list(secrets.get("secrets") or [])
    if not keys:
        return reject(409, "no webhook key stored yet; run busywork webhooks secret")
    signature = notification.headers.get("x-xero-signature", "")
    if not body_signed(signature, keys, notification.body):
        return reject(401, "signature does not match")
    try:
        payload = json_body(notification)
    except ValueError as exc:
        return reject(400, str(exc))
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list) or not all(isinstance(event, dict) for event in events):
        return reject(400, "not a Xero event batch")
    if not events:
        return Verdict(status=200, reason="intent to receive", state="active")
    tenant = secrets.get("scope")
    ids = tuple(
        short_id(
            event.get("tenantId"),
            event.get("eventCategory"),
            event.get("resourceId"),
            event.get("eventType"),
            event.get("eventDateUtc"),
        )
        for event in events
        if tenant is None or event.get("tenantId") == tenant
    )
    if not ids:
        return Verdict(status=200, reason="no change for this organisation")
    return Verdict(status=200, reason=f"{len(ids)} event(s)", event_ids=ids, poll=True)
