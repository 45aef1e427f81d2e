"""Calendly: ``Calendly-Webhook-Signature: t=…,v1=…`` over ``"{t}.{body}"`` (hex HMAC-SHA256).

See https://developer.calendly.com/api-docs/4c305798a61d3-webhook-signatures. The signing
key is the one we chose when creating the webhook subscription.
"""

from __future__ import annotations

from busywork.inbound.vendors.base import (
    Notification,
    Secrets,
    Verdict,
    check_timestamped,
    json_body,
    reject,
    short_id,
)

#: Calendly's guide rejects signatures older than three minutes.
TOLERANCE_SECONDS = 180
EVENTS = (
    "invitee.created",
    "invitee.canceled",
    "invitee_no_show.created",
    "invitee_no_show.deleted",
)


def verify(notification: Notification, secrets: Secrets) -> Verdict:
    """Check a Calendly webhook delivery."""
    if notification.method != "POST":
        return reject(405, "Calendly posts events")
    keys = list(secrets.get("secrets") or [])
    if not keys:
        return reject(409, "no Calendly signing key stored")
    refused = check_timestamped(notification, "calendly-webhook-signature", keys, TOLERANCE_SECONDS)
    if refused is not None:
        return refused
    try:
        event = json_body(notification)
    except ValueError as exc:
        return reject(400, str(exc))
    if not isinstance(event, dict) or not isinstance(event.get("payload"), dict):
        return reject(400, "not a Calendly webhook payload")
    kind = event.get("event")
    if kind not in EVENTS:
        return Verdict(status=200, reason=f"ignored {kind}")
    uri = event["payload"].get("uri")
    if not isinstance(uri, str):
        return reject(400, "payload has no uri")
    event_id = short_id(kind, uri, event.get("created_at"))
    return Verdict(status=200, reason=str(kind), event_ids=(event_id,), poll=True)
