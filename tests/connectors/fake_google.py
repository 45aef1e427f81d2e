"""A fake Google Calendar ``events.list`` over ``responses``, checked against the discovery doc."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import responses

BASE = "https://calendar.google.test/calendar/v3"
DISCOVERY = (
    Path(__file__).resolve().parents[2] / ".." / "shared" / "vendor" / "google" / "calendar.v3.json"
)
#: Parameters the discovery doc forbids next to ``syncToken``.
NOT_WITH_SYNC_TOKEN = frozenset(
    {"iCalUID", "orderBy", "privateExtendedProperty", "q", "sharedExtendedProperty"}
    | {"timeMin", "timeMax", "updatedMin"}
)


def discovery() -> dict[str, Any] | None:
    """The Calendar v3 discovery document, or None when the shared folder is absent."""
    return json.loads(DISCOVERY.read_text()) if DISCOVERY.is_file() else None


def event(
    event_id: str,
    start: str,
    *,
    attendee: str | None = "ann@example.com",
    response: str = "accepted",
    name: str = "Ann Lee",
    **extra: Any,
) -> dict[str, Any]:
    """An ``Event`` resource one hour long from ``start`` (RFC 3339)."""
    begin = start
    hour = int(start[11:13]) + 1
    end = f"{start[:11]}{hour:02d}{start[13:]}"
    body: dict[str, Any] = {
        "kind": "calendar#event",
        "id": event_id,
        "status": "confirmed",
        "summary": "Session",
        "created": "2026-01-01T10:00:00.000Z",
        "updated": "2026-01-02T10:00:00.000Z",
        "start": {"dateTime": begin, "timeZone": "Europe/London"},
        "end": {"dateTime": end, "timeZone": "Europe/London"},
        "organizer": {"email": "owner@clinic.example", "self": True},
        "attendees": [{"email": "owner@clinic.example", "organizer": True, "self": True}],
    }
    if attendee:
        body["attendees"].append(
            {"email": attendee, "displayName": name, "responseStatus": response}
        )
    body.update(extra)
    return body


class FakeGoogle:
    """Events with a change log; sync tokens name a position in the log."""

    def __init__(self, *, calendar_id: str = "primary") -> None:
        self.calendar_id = calendar_id
        self.events: dict[str, dict[str, Any]] = {}
        self.log: list[str] = []
        self.expired: set[str] = set()
        #: Responses to send before the real ones: (status, headers, body).
        self.failures: list[tuple[int, dict[str, str], dict[str, Any]]] = []
        self.requests: list[requests.PreparedRequest] = []
        self.schema = discovery()

    def put(self, body: dict[str, Any]) -> None:
        """Create or change an event."""
        self.events[body["id"]] = body
        self.log.append(body["id"])

    def delete(self, event_id: str) -> None:
        """Delete an event: Google keeps a cancelled stub."""
        self.events[event_id] = {
            "kind": "calendar#event",
            "id": event_id,
            "status": "cancelled",
            "updated": "2026-03-01T09:00:00.000Z",
        }
        self.log.append(event_id)

    def install(self, mock: responses.RequestsMock) -> None:
        """Serve ``events.list`` for the calendar."""
        path = f"{BASE}/calendars/{self.calendar_id}/events"
        mock.add_callback("GET", re.compile(re.escape(path) + r"(\?.*)?$"), callback=self._list)

    def _list(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        self.requests.append(request)
        query = {
            key: values[-1] for key, values in parse_qs(urlsplit(str(request.url)).query).items()
        }
        self._check(query)
        if self.failures:
            status, headers, body = self.failures.pop(0)
            return status, headers, json.dumps(body)
        token = query.get("syncToken")
        if token in self.expired:
            gone = {"error": {"code": 410, "message": "Sync token is no longer valid."}}
            gone["error"]["errors"] = [{"reason": "fullSyncRequired", "domain": "calendar"}]
            return 410, {}, json.dumps(gone)
        since = int(token.removeprefix("tok-")) if token else 0
        ids = list(dict.fromkeys(self.log[since:])) if token else list(self.events)
        offset = int(query.get("pageToken", "0"))
        size = int(query.get("maxResults", "250"))
        chunk = ids[offset : offset + size]
        body: dict[str, Any] = {
            "kind": "calendar#events",
            "summary": "Clinic",
            "timeZone": "Europe/London",
            "items": [self.events[i] for i in chunk],
        }
        if offset + size < len(ids):
            body["nextPageToken"] = str(offset + size)
        else:
            body["nextSyncToken"] = f"tok-{len(self.log)}"
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    def _check(self, query: dict[str, str]) -> None:
        """Requests must use parameters the discovery doc defines, in legal combinations."""
        if "syncToken" in query:
            assert not NOT_WITH_SYNC_TOKEN & set(query), query
        if self.schema is None:
            return
        method = self.schema["resources"]["events"]["methods"]["list"]
        assert set(query) <= set(method["parameters"]), set(query) - set(method["parameters"])
        maximum = int(method["parameters"]["maxResults"].get("maximum", 2500))
        assert 1 <= int(query.get("maxResults", "250")) <= maximum


def queries(api: FakeGoogle) -> Iterator[dict[str, str]]:
    """The query of every request the fake received, in order."""
    for request in api.requests:
        yield {
            key: values[-1] for key, values in parse_qs(urlsplit(str(request.url)).query).items()
        }
