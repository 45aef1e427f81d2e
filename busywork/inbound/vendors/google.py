"""Google Calendar push: an ``events.watch`` channel posts headers only, no body.

See https://developers.google.com/calendar/api/guides/push. The channel's token (ours,
random) comes back in ``X-Goog-Channel-Token``; the channel and resource ids must be the
ones Google gave when the channel was opened. ``X-Goog-Message-Number`` grows per
channel, so it is the redelivery key. ``sync`` only confirms a new channel; ``exists`` and
``not_exists`` mean the calendar changed.
"""

from __future__ import annotations

from busywork.inbound.vendors.base import Notification, Secrets, Verdict, reject, same, short_id

STATES = ("sync", "exists", "not_exists")


def verify(notification: Notification, secrets: Secrets) -> Verdict:
    """Check a Google push notification."""
    if notification.method != "POST":
        return reject(405, "Google posts notifications")
    headers = notification.headers
    channel, token = secrets.get("channel_id"), secrets.get("channel_token")
    if not channel or not token:
        return reject(409, "no watch channel open; run busywork webhooks sync")
    if not same(str(token), headers.get("x-goog-channel-token", "")):
        return reject(401, "channel token does not match")
    if not same(str(channel), headers.get("x-goog-channel-id", "")):
        return reject(401, "not the open channel")
    resource = secrets.get("resource_id")
    if resource and not same(str(resource), headers.get("x-goog-resource-id", "")):
        return reject(401, "not the watched resource")
    state = headers.get("x-goog-resource-state", "")
    if state not in STATES:
        return reject(400, "unknown X-Goog-Resource-State")
    number = headers.get("x-goog-message-number", "")
    if not number.isdigit():
        return reject(400, "X-Goog-Message-Number is not a number")
    if notification.body:
        return reject(400, "Google push notifications carry no body")
    if state == "sync":
        return Verdict(status=200, reason="channel opened", state="active")
    return Verdict(status=200, reason=state, event_ids=(short_id(channel, number),), poll=True)
