"""A fake Microsoft Graph ``calendarView/delta`` over ``responses``, with a change log."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

BASE = "https://graph.microsoft.test/v1.0"
VENDOR = Path(__file__).resolve().parents[2] / ".." / "shared" / "vendor" / "msgraph"
DELTA = re.compile(r".*/me/calendarView/delta(\?.*)?$")


def graph_event(event_id: str, start: str, **extra: Any) -> dict[str, Any]:
    """An ``event`` as Graph returns it with ``Prefer: outlook.timezone="UTC"``."""
    hour = int(start[11:13]) + 1
    body: dict[str, Any] = {
        "@odata.type": "#microsoft.graph.event",
        "@odata.etag": 'W/"EZ9r3czxY0m2jz8c45czkwAAFXcvIQ=="',
        "id": event_id,
        "subject": "Session",
        "createdDateTime": "2026-01-01T10:00:00.0000000Z",
        "lastModifiedDateTime": "2026-01-02T10:00:00.1234567Z",
        "isAllDay": False,
        "isCancelled": False,
        "showAs": "busy",
        "categories": [],
        "start": {"dateTime": f"{start}.0000000", "timeZone": "UTC"},
        "end": {"dateTime": f"{start[:11]}{hour:02d}{start[13:]}.0000000", "timeZone": "UTC"},
        "organizer": {"emailAddress": {"name": "Owner", "address": "owner@clinic.example"}},
        "attendees": [
            {
                "type": "required",
                "status": {"response": "accepted", "time": "2026-01-02T10:00:00Z"},
                "emailAddress": {"name": "Ann Lee", "address": "Ann@Example.com"},
            }
        ],
    }
    body.update(extra)
    return body


class FakeGraph:
    """Events with a change log; delta tokens name a position in it."""

    def __init__(self) -> None:
        self.events: dict[str, dict[str, Any]] = {}
        self.log: list[str] = []
        self.removed: set[str] = set()
        self.expired: set[str] = set()
        self.failures: list[tuple[int, dict[str, str]]] = []
        self.requests: list[requests.PreparedRequest] = []

    def put(self, body: dict[str, Any]) -> None:
        self.events[body["id"]] = body
        self.removed.discard(body["id"])
        self.log.append(body["id"])

    def remove(self, event_id: str) -> None:
        self.events.pop(event_id)
        self.removed.add(event_id)
        self.log.append(event_id)

    def __call__(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        self.requests.append(request)
        query = {k: v[-1] for k, v in parse_qs(urlsplit(str(request.url)).query).items()}
        if self.failures:
            status, headers = self.failures.pop(0)
            return status, headers, json.dumps({"error": {"code": "x", "message": "busy"}})
        prefer = request.headers.get("Prefer", "")
        size = int(re.search(r"maxpagesize=(\d+)", prefer).group(1))  # type: ignore[union-attr]
        if "$deltatoken" in query:
            token = query["$deltatoken"]
            if token in self.expired:
                return 410, {}, json.dumps(gone_body())
            ids, offset = list(dict.fromkeys(self.log[int(token) :])), 0
        elif "$skiptoken" in query:
            kind, _, rest = query["$skiptoken"].partition(":")
            since, offset = (int(part) for part in rest.split(","))
            ids = list(dict.fromkeys(self.log[since:])) if kind == "d" else list(self.events)
        else:
            assert {"startDateTime", "endDateTime"} <= set(query)
            ids, offset = list(self.events), 0
        chunk = ids[offset : offset + size]
        value = [
            {"id": i, "@removed": {"reason": "deleted"}} if i in self.removed else self.events[i]
            for i in chunk
        ]
        body: dict[str, Any] = {"value": value}
        if offset + size < len(ids):
            kind = (
                "d"
                if "$deltatoken" in query or query.get("$skiptoken", "").startswith("d")
                else "f"
            )
            since = int(query.get("$deltatoken", 0)) if kind == "d" else 0
            if "$skiptoken" in query and kind == "d":
                since = int(query["$skiptoken"].partition(":")[2].split(",")[0])
            body["@odata.nextLink"] = (
                f"{BASE}/me/calendarView/delta?$skiptoken={kind}:{since},{offset + size}"
            )
        else:
            body["@odata.deltaLink"] = f"{BASE}/me/calendarView/delta?$deltatoken={len(self.log)}"
        return 200, {"Content-Type": "application/json"}, json.dumps(body)


def gone_body() -> dict[str, Any]:
    path = VENDOR / "error.410.syncStateNotFound.json"
    if path.is_file():
        return dict(json.loads(path.read_text()))
    return {"error": {"code": "SyncStateNotFound", "message": "The sync state is not found."}}
