"""QuickBooks Online: ``intuit-signature`` = base64 HMAC-SHA256 of the body, verifier token key.

See https://developer.intuit.com/app/developer/qbo/docs/develop/webhooks. Notifications come
batched per realm (company); only the connector's own realm asks for a poll, which is the
connector's change-data-capture fetch. Both the classic ``eventNotifications`` payload and
the CloudEvents list are understood.
"""

from __future__ import annotations

from typing import Any

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
    """Check an Intuit webhook delivery."""
    if notification.method != "POST":
        return reject(405, "Intuit posts notifications")
    keys = list(secrets.get("secrets") or [])
    if not keys:
        return reject(409, "no verifier token stored yet; run busywork webhooks secret")
    signature = notification.headers.get("intuit-signature", "")
    if not signature:
        return reject(401, "no intuit-signature header")
    if not body_signed(signature, keys, notification.body):
        return reject(401, "signature does not match")
    try:
        payload = json_body(notification)
        entities = list(_entities(payload))
    except ValueError as exc:
        return reject(400, str(exc))
    realm = secrets.get("scope")
    ids = tuple(
        short_id(entity_realm, *entity)
        for entity_realm, entity in entities
        if realm is None or entity_realm == realm
    )
    if not ids:
        return Verdict(status=200, reason="no change for this company")
    return Verdict(status=200, reason=f"{len(ids)} change(s)", event_ids=ids, poll=True)


def _entities(payload: Any) -> list[tuple[str, tuple[str, ...]]]:
    """(realm, (entity, id, operation, when)) for every change in either payload format."""
    found: list[tuple[str, tuple[str, ...]]] = []
    if isinstance(payload, list):  # CloudEvents
        for event in payload:
            if not isinstance(event, dict) or not isinstance(event.get("id"), str):
                raise ValueError("not a CloudEvents list")
            found.append((str(event.get("intuitaccountid", "")), (event["id"],)))
        return found
    if not isinstance(payload, dict) or not isinstance(payload.get("eventNotifications"), list):
        raise ValueError("no eventNotifications")
    for batch in payload["eventNotifications"]:
        if not isinstance(batch, dict):
            raise ValueError("eventNotifications holds a non-object")
        change = batch.get("dataChangeEvent") or {}
        entities = change.get("entities") if isinstance(change, dict) else None
        if not isinstance(entities, list):
            raise ValueError("dataChangeEvent has no entities")
        for entity in entities:
            if not isinstance(entity, dict):
                raise ValueError("entities holds a non-object")
            found.append(
                (
                    str(batch.get("realmId", "")),
                    tuple(
                        str(entity.get(key, ""))
                        for key in ("name", "id", "operation", "lastUpdated")
                    ),
                )
            )
    return found
