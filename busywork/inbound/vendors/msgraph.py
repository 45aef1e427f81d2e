"""Microsoft Graph change notifications: ``validationToken`` echo, ``clientState`` checked.

See https://learn.microsoft.com/graph/change-notifications-delivery-webhooks. Creating or
renewing a subscription makes Graph post ``?validationToken=…``, which must be echoed as
``text/plain`` within 10 seconds. Each notification carries the ``clientState`` we chose
(random, secret) and its subscription id. Lifecycle notifications:
``reauthorizationRequired`` asks for a renewal, ``missed`` means changes were dropped (poll),
``subscriptionRemoved`` means polling is on its own until the subscription is re-created.
"""

from __future__ import annotations

from busywork.inbound.vendors.base import (
    Notification,
    Secrets,
    Verdict,
    json_body,
    reject,
    same,
    short_id,
)

#: Graph's tokens are short; anything much longer is not Graph.
MAX_VALIDATION_TOKEN = 1024
LIFECYCLE_STATES = {"reauthorizationRequired": "renew", "subscriptionRemoved": "lost"}


def verify(notification: Notification, secrets: Secrets) -> Verdict:
    """Check a Graph notification batch (or answer its validation request)."""
    if notification.method != "POST":
        return reject(405, "Graph posts notifications")
    validation = notification.query.get("validationToken")
    if validation is not None:
        if not validation or len(validation) > MAX_VALIDATION_TOKEN or notification.body:
            return reject(400, "not a Graph validation request")
        return Verdict(status=200, reason="validation", body=validation)
    client_state, subscription = secrets.get("client_state"), secrets.get("subscription_id")
    if not client_state:
        return reject(409, "no Graph subscription created; run busywork webhooks sync")
    try:
        payload = json_body(notification)
    except ValueError as exc:
        return reject(400, str(exc))
    items = payload.get("value") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        return reject(400, "not a Graph notification batch")
    for item in items:
        if not same(str(client_state), str(item.get("clientState", ""))):
            return reject(401, "clientState does not match")
        if subscription and not same(str(subscription), str(item.get("subscriptionId", ""))):
            return reject(401, "not our subscription")
    state: str | None = None
    ids: list[str] = []
    poll = False
    for item in items:
        lifecycle = item.get("lifecycleEvent")
        if lifecycle is not None:
            state = LIFECYCLE_STATES.get(str(lifecycle), state)
            poll = poll or lifecycle in ("missed", "subscriptionRemoved")
            ids.append(short_id("lifecycle", lifecycle, item.get("subscriptionExpirationDateTime")))
            continue
        poll = True
        data = item.get("resourceData") if isinstance(item.get("resourceData"), dict) else {}
        ids.append(
            short_id(
                item.get("changeType"),
                item.get("resource"),
                (data or {}).get("@odata.etag"),
            )
        )
    return Verdict(
        status=202,
        reason=f"{len(items)} notification(s)",
        event_ids=tuple(ids),
        poll=poll,
        state=state,
    )
