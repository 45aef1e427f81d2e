"""A fake Calendly API v2 over ``responses``, checked against the vendor's OpenAPI spec."""

from __future__ import annotations

import functools
import json
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import responses
import yaml

BASE = "https://api.calendly.test"
ORG = "https://api.calendly.com/organizations/ORG1"
ME = "https://api.calendly.com/users/USER1"
Reply = tuple[int, dict[str, str], str]
SPEC = (
    Path(__file__).resolve().parents[2] / ".." / "shared" / "vendor" / "calendly" / "openapi.yaml"
)


@functools.cache
def spec() -> dict[str, Any] | None:
    """The Calendly v2 OpenAPI document, or None when the shared folder is absent."""
    return yaml.safe_load(SPEC.read_text()) if SPEC.is_file() else None


def scheduled_event(uuid: str, start: str, end: str, **extra: Any) -> dict[str, Any]:
    """An ``Event`` with every property the spec requires."""
    body: dict[str, Any] = {
        "uri": f"https://api.calendly.com/scheduled_events/{uuid}",
        "name": "30 Minute Consultation",
        "status": "active",
        "start_time": start,
        "end_time": end,
        "event_type": "https://api.calendly.com/event_types/ET1",
        "location": {"type": "physical", "location": "Clinic"},
        "invitees_counter": {"total": 1, "active": 1, "limit": 1},
        "created_at": "2026-01-01T10:00:00.000000Z",
        "updated_at": "2026-01-01T10:00:00.000000Z",
        "event_memberships": [{"user": ME}],
        "event_guests": [],
        "calendar_event": {"kind": "google", "external_id": f"g-{uuid}"},
    }
    body.update(extra)
    return body


def invitee(uuid: str, email: str, name: str, **extra: Any) -> dict[str, Any]:
    """An ``Invitee`` with every property the spec requires."""
    event = f"https://api.calendly.com/scheduled_events/{uuid}"
    body: dict[str, Any] = {
        "uri": f"{event}/invitees/I-{uuid}",
        "email": email,
        "first_name": name.split(maxsplit=1)[0],
        "last_name": name.rsplit(maxsplit=1)[-1],
        "name": name,
        "status": "active",
        "questions_and_answers": [],
        "timezone": "Europe/London",
        "event": event,
        "created_at": "2026-01-01T10:00:00.000000Z",
        "updated_at": "2026-01-01T10:00:00.000000Z",
        "tracking": {"utm_campaign": None, "utm_source": None, "utm_medium": None},
        "text_reminder_number": None,
        "rescheduled": False,
        "old_invitee": None,
        "new_invitee": None,
        "cancel_url": f"https://calendly.com/cancellations/I-{uuid}",
        "reschedule_url": f"https://calendly.com/reschedulings/I-{uuid}",
        "routing_form_submission": None,
        "payment": None,
        "no_show": None,
        "reconfirmation": None,
    }
    body.update(extra)
    return body


def event_type(uuid: str, *, adhoc: bool = False, **extra: Any) -> dict[str, Any]:
    """An ``EventType`` with every property the spec requires: a public one, or ad hoc."""
    body: dict[str, Any] = {
        "uri": f"https://api.calendly.com/event_types/{uuid}",
        "name": "One-off meeting" if adhoc else "30 Minute Consultation",
        "active": True,
        "slug": None if adhoc else "consultation",
        "scheduling_url": f"https://calendly.com/{'d/' + uuid if adhoc else 'heron/consultation'}",
        "duration": 30,
        "kind": "solo",
        "pooling_type": None,
        "type": "AdhocEventType" if adhoc else "StandardEventType",
        "color": "#fff200",
        "created_at": "2025-01-02T03:04:05.678123Z",
        "updated_at": "2025-01-02T03:04:05.678123Z",
        "internal_note": None,
        "description_plain": None,
        "description_html": None,
        "profile": {"type": "User", "name": "Owner", "owner": ME},
        "secret": adhoc,
        "booking_method": "instant",
        "custom_questions": [],
        "deleted_at": None,
        "kind_description": "One-on-One",
        "admin_managed": False,
    }
    body.update(extra)
    return body


class RateWindow:
    """Calendly's documented limiting: ``limit`` requests per ``window_s``, told in headers.

    Every response carries ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and
    ``X-RateLimit-Reset`` (seconds until the window resets); a request over the limit gets
    429 with the same headers. ``clock`` is injectable so tests never really wait.
    """

    def __init__(
        self, limit: int, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self.started = clock()
        self.used = 0
        self.rejected = 0
        self._lock = threading.Lock()

    def take(self) -> tuple[bool, dict[str, str]]:
        """Count one request: whether it is allowed, and the headers to send back."""
        with self._lock:
            now = self.clock()
            if now - self.started >= self.window_s:
                self.started, self.used = now, 0
            allowed = self.used < self.limit
            self.used += allowed
            self.rejected += not allowed
            reset = max(self.window_s - (now - self.started), 0.0)
            return allowed, {
                "X-RateLimit-Limit": str(self.limit),
                "X-RateLimit-Remaining": str(self.limit - self.used),
                "X-RateLimit-Reset": f"{reset:.3f}",
            }


class FakeCalendly:
    """Scheduled events sorted by start, invitees per event, event types, token paging."""

    def __init__(self) -> None:
        self.events: dict[str, dict[str, Any]] = {}
        self.invitees: dict[str, list[dict[str, Any]]] = {}
        #: Served by ``GET /event_types/{uuid}``; ``ET1`` (every event's default) is public.
        self.event_types: dict[str, dict[str, Any]] = {"ET1": event_type("ET1")}
        self.failures: list[tuple[int, dict[str, str]]] = []
        self.requests: list[requests.PreparedRequest] = []
        self.schema = spec()
        #: Invitee reads that fail (HTTP 500) this many more times, per event uuid.
        self.broken_invitees: dict[str, int] = {}
        #: When set, responses carry rate-limit headers and over-limit requests get 429.
        self.rate: RateWindow | None = None
        #: Seconds each response takes (benchmarks; callbacks run in the caller's thread).
        self.latency_s = 0.0

    def book(self, event: dict[str, Any], *people: dict[str, Any]) -> None:
        uuid = event["uri"].rsplit("/", 1)[-1]
        self.events[uuid] = event
        self.invitees[uuid] = list(people)

    def install(self, mock: responses.RequestsMock) -> None:
        mock.add_callback("GET", f"{BASE}/users/me", callback=self._limited(self._me))
        mock.add_callback(
            "GET", re.compile(rf"{BASE}/scheduled_events(\?.*)?$"), self._limited(self._events)
        )
        mock.add_callback(
            "GET",
            re.compile(rf"{BASE}/scheduled_events/[^/?]+/invitees(\?.*)?$"),
            self._limited(self._people),
        )
        mock.add_callback(
            "GET", re.compile(rf"{BASE}/event_types/[^/?]+$"), self._limited(self._event_type)
        )

    def _limited(
        self, handler: Callable[[requests.PreparedRequest], Reply]
    ) -> Callable[..., Reply]:
        """``handler`` behind the latency and the rate window, when they are set."""

        def serve(request: requests.PreparedRequest) -> Reply:
            if self.latency_s:
                time.sleep(self.latency_s)
            if self.rate is None:
                return handler(request)
            allowed, headers = self.rate.take()
            if not allowed:
                self.requests.append(request)
                body = {"title": "Too Many Requests", "message": "Rate limit exceeded"}
                return 429, headers, json.dumps(body)
            status, extra, body_text = handler(request)
            return status, {**headers, **extra}, body_text

        return serve

    def _me(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        self.requests.append(request)
        body = {"resource": {"uri": ME, "name": "Owner", "current_organization": ORG}}
        return 200, {}, json.dumps(body)

    def _events(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        self.requests.append(request)
        query = self._query(request, "/scheduled_events")
        if self.failures:
            status, headers = self.failures.pop(0)
            return status, headers, json.dumps({"title": "Busy", "message": "try later"})
        assert query.get("organization") == ORG or query.get("user") == ME
        since = query.get("min_start_time", "")
        ordered = sorted(
            (e for e in self.events.values() if e["start_time"] >= since),
            key=lambda e: e["start_time"],
        )
        return self._page(ordered, query)

    def _people(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        self.requests.append(request)
        query = self._query(request, "/scheduled_events/{uuid}/invitees")
        uuid = urlsplit(str(request.url)).path.split("/")[-2]
        if self.broken_invitees.get(uuid, 0) > 0:
            self.broken_invitees[uuid] -= 1
            return 500, {}, json.dumps({"title": "Internal Server Error", "message": "oops"})
        return self._page(self.invitees[uuid], query)

    def _event_type(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        self.requests.append(request)
        uuid = urlsplit(str(request.url)).path.rsplit("/", 1)[-1]
        if uuid not in self.event_types:
            body = {"title": "Resource Not Found", "message": "The server could not find it."}
            return 404, {}, json.dumps(body)
        return 200, {}, json.dumps({"resource": self.event_types[uuid]})

    def _page(
        self, items: list[dict[str, Any]], query: dict[str, str]
    ) -> tuple[int, dict[str, str], str]:
        count = int(query.get("count", "20"))
        offset = int(query.get("page_token", "0"))
        chunk = items[offset : offset + count]
        more = offset + count < len(items)
        pagination = {
            "count": len(chunk),
            "next_page": None,
            "previous_page": None,
            "next_page_token": str(offset + count) if more else None,
            "previous_page_token": None,
        }
        return 200, {}, json.dumps({"collection": chunk, "pagination": pagination})

    def _query(self, request: requests.PreparedRequest, path: str) -> dict[str, str]:
        """The query, after checking it against the spec's parameters for ``path``."""
        query = {k: v[-1] for k, v in parse_qs(urlsplit(str(request.url)).query).items()}
        if self.schema is not None:
            names = set()
            for declared in self.schema["paths"][path]["get"]["parameters"]:
                parameter = declared
                if "$ref" in declared:
                    parameter = self.schema["components"]["parameters"][
                        declared["$ref"].rsplit("/", 1)[-1]
                    ]
                names.add(parameter["name"])
            assert set(query) <= names, set(query) - names
            assert 1 <= int(query.get("count", "20")) <= 100
        return query
