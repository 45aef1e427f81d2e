"""Stripe: ``Stripe-Signature: t=…,v1=…`` over ``"{t}.{body}"``, several secrets for rotation.

See https://docs.stripe.com/webhooks#verify-manually. The event's ``id`` is the redelivery
key. Only changes to what the connector reads (invoices, customers, credit notes, charges)
ask for a poll; other event types are acknowledged and ignored.
"""

from __future__ import annotations

from busywork.inbound.vendors.base import (
    Notification,
    Secrets,
    Verdict,
    check_timestamped,
    json_body,
    reject,
)

#: Stripe's libraries' default tolerance (``stripe.Webhook.DEFAULT_TOLERANCE``).
TOLERANCE_SECONDS = 300
#: Event type prefixes that change what the Stripe connector syncs.
WATCHED = ("invoice.", "customer.", "credit_note.", "charge.")
#: What ``webhooks sync`` subscribes the endpoint to.
ENABLED_EVENTS = ("invoice.*", "customer.*", "credit_note.*", "charge.*")


def verify(notification: Notification, secrets: Secrets) -> Verdict:
    """Check a Stripe event delivery."""
    if notification.method != "POST":
        return reject(405, "Stripe posts events")
    keys = list(secrets.get("secrets") or [])
    if not keys:
        return reject(409, "no Stripe signing secret stored yet; run busywork webhooks secret")
    refused = check_timestamped(notification, "stripe-signature", keys, TOLERANCE_SECONDS)
    if refused is not None:
        return refused
    try:
        event = json_body(notification)
    except ValueError as exc:
        return reject(400, str(exc))
    if not isinstance(event, dict) or not isinstance(event.get("id"), str):
        return reject(400, "not a Stripe event object")
    kind = event.get("type")
    if not isinstance(kind, str):
        return reject(400, "event has no type")
    if not kind.startswith(WATCHED):
        return Verdict(status=200, reason=f"ignored {kind}")
    return Verdict(status=200, reason=kind, event_ids=(event["id"],), poll=True)
