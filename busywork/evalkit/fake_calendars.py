"""A generated business's appointments served as Google Calendar v3 and Calendly v2.

Booking-link appointments live in Calendly (``scheduled_events`` with invitees and a public
event type); every other appointment lives in its staff member's Google calendar
(``events.list`` with ``pageToken``/``nextSyncToken``). Shapes follow Google's discovery
document and Calendly's OpenAPI description.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote

import pandas as pd

from busywork.evalkit.vendor_server import Answer, Request, bearer_ok

GOOGLE_ACCESS = "google-eval-access"
GOOGLE_REFRESH = "google-eval-refresh"
CALENDLY_TOKEN = "calendly-eval-pat"
ORG = "https://api.calendly.com/organizations/EVALORG"
ME = "https://api.calendly.com/users/EVALUSER"
EVENT_TYPE = "https://api.calendly.com/event_types/EVALBOOK"
NO_SHOW_MARK = "No-show: "


def _utc(value: Any) -> str | None:
    if value is None or pd.isna(value):
        return None
    moment = pd.Timestamp(value)
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def _text(value: Any) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def google_events(appointments: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """Event resources per calendar id, for appointments not made through a booking link."""
    calendars: dict[str, list[dict[str, Any]]] = {}
    for row in appointments[appointments["origin"] != "booking_link"].to_dict("records"):
        status = row["status"]
        declined = status == "cancelled" and row["cancelled_by"] == "invitee"
        event: dict[str, Any] = {
            "kind": "calendar#event",
            "id": str(row["source_id"]).lower().replace("-", ""),
            "status": "cancelled" if status == "cancelled" and not declined else "confirmed",
            "summary": (NO_SHOW_MARK if status == "no_show" else "") + str(row["title"]),
            "created": _utc(row["created_at"]),
            "updated": _utc(row["updated_at"]),
            "start": {"dateTime": _utc(row["start_at"]), "timeZone": "UTC"},
            "end": {"dateTime": _utc(row["end_at"]), "timeZone": "UTC"},
            "organizer": {"email": row["calendar"], "self": True},
            "attendees": [{"email": row["calendar"], "organizer": True, "self": True}],
        }
        if status == "tentative":
            event["status"] = "tentative"
        if _text(row["attendee_email"]) or _text(row["attendee_name"]):
            person: dict[str, Any] = {
                "responseStatus": "declined" if declined else "accepted",
            }
            if _text(row["attendee_email"]):
                person["email"] = row["attendee_email"]
            if _text(row["attendee_name"]):
                person["displayName"] = row["attendee_name"]
            event["attendees"].append(person)
        if _text(row["series_id"]):
            event["recurringEventId"] = str(row["series_id"]).lower().replace("-", "")
        calendars.setdefault(str(row["calendar"]), []).append(event)
    return calendars


def calendly_events(appointments: pd.DataFrame) -> list[dict[str, Any]]:
    """Scheduled events with their invitees (under ``_invitees``), by start time."""
    booked = appointments[appointments["origin"] == "booking_link"].sort_values("start_at")
    events = []
    for row in booked.to_dict("records"):
        uuid = str(row["source_id"]).replace("-", "")
        uri = f"https://api.calendly.com/scheduled_events/{uuid}"
        cancelled = row["status"] == "cancelled"
        event: dict[str, Any] = {
            "uri": uri,
            "name": row["title"],
            "status": "canceled" if cancelled else "active",
            "start_time": _utc(row["start_at"]),
            "end_time": _utc(row["end_at"]),
            "event_type": EVENT_TYPE,
            "location": {"type": "physical", "location": "Clinic"},
            "invitees_counter": {"total": 1, "active": 0 if cancelled else 1, "limit": 1},
            "created_at": _utc(row["created_at"]),
            "updated_at": _utc(row["updated_at"]),
            "event_memberships": [{"user": ME, "user_email": row["calendar"]}],
            "event_guests": [],
            "calendar_event": {"kind": "google", "external_id": uuid},
        }
        if cancelled:
            event["cancellation"] = {
                "canceled_by": row["attendee_name"],
                "reason": None,
                "canceler_type": _text(row["cancelled_by"]) or "host",
                "created_at": _utc(row["cancelled_at"]) or event["updated_at"],
            }
        event["_invitees"] = [
            {
                "uri": f"{uri}/invitees/I{uuid}",
                "email": row["attendee_email"],
                "name": row["attendee_name"],
                "status": "canceled" if cancelled else "active",
                "event": uri,
                "timezone": "Europe/London",
                "created_at": event["created_at"],
                "updated_at": event["updated_at"],
                "rescheduled": False,
                "no_show": {"uri": f"{uri}/no_show", "created_at": event["end_time"]}
                if row["status"] == "no_show"
                else None,
            }
        ]
        events.append(event)
    return events


class GoogleCalendarApi:
    """``calendars/{id}/events`` with page tokens, plus the OAuth token endpoint."""

    prefix = "/google"
    token_path = "/token"

    def __init__(self, calendars: dict[str, list[dict[str, Any]]]) -> None:
        self.calendars = calendars
        self.access_token = GOOGLE_ACCESS

    def handle(self, request: Request) -> Answer:
        """Serve the token endpoint and ``events.list``."""
        if request.path == self.token_path:
            if request.form.get("refresh_token", [""])[-1] != GOOGLE_REFRESH:
                return 400, {"error": "invalid_grant"}
            self.access_token = f"{GOOGLE_ACCESS}-fresh"
            return 200, {"access_token": self.access_token, "expires_in": 3599}
        if not bearer_ok(request, self.access_token):
            return 401, {"error": {"code": 401, "message": "Invalid Credentials"}}
        parts = request.path.strip("/").split("/")
        if len(parts) != 3 or parts[0] != "calendars" or parts[2] != "events":
            return 404, {"error": {"code": 404, "message": "Not Found"}}
        items = self.calendars.get(unquote(parts[1]), [])
        if request.arg("syncToken"):
            items = []  # nothing changes while the evaluation runs
        offset = int(request.arg("pageToken") or 0)
        size = int(request.arg("maxResults") or 250)
        body: dict[str, Any] = {
            "kind": "calendar#events",
            "summary": unquote(parts[1]),
            "timeZone": "UTC",
            "items": items[offset : offset + size],
        }
        if offset + size < len(items):
            body["nextPageToken"] = str(offset + size)
        else:
            body["nextSyncToken"] = f"sync-{len(items)}"
        return 200, body


def calendar_path(calendar_id: str) -> str:
    """The URL-path form of a calendar id (an e-mail address)."""
    return quote(calendar_id, safe="")


class CalendlyApi:
    """``/users/me``, ``/scheduled_events`` (+ invitees) and ``/event_types/{uuid}``."""

    prefix = "/calendly"

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        self.by_uuid = {e["uri"].rsplit("/", 1)[-1]: e for e in events}

    def handle(self, request: Request) -> Answer:
        """Serve the few Calendly endpoints the connector reads."""
        if not bearer_ok(request, CALENDLY_TOKEN):
            return 401, {"title": "Unauthenticated", "message": "The access token is invalid"}
        parts = request.path.strip("/").split("/")
        if parts == ["users", "me"]:
            return 200, {"resource": {"uri": ME, "name": "Owner", "current_organization": ORG}}
        if parts[0] == "event_types" and len(parts) == 2:
            return 200, {"resource": {"uri": EVENT_TYPE, "type": "StandardEventType"}}
        if parts == ["scheduled_events"]:
            since = request.arg("min_start_time") or ""
            items = [
                {k: v for k, v in e.items() if k != "_invitees"}
                for e in self.events
                if str(e["start_time"]) >= since
            ]
            return 200, _page(items, request)
        if len(parts) == 3 and parts[0] == "scheduled_events" and parts[2] == "invitees":
            event = self.by_uuid.get(parts[1])
            if event is None:
                return 404, {"title": "Resource Not Found", "message": "no such event"}
            return 200, _page(event["_invitees"], request)
        return 404, {"title": "Resource Not Found", "message": request.path}


def _page(items: list[dict[str, Any]], request: Request) -> dict[str, Any]:
    count = int(request.arg("count") or 20)
    offset = int(request.arg("page_token") or 0)
    more = offset + count < len(items)
    return {
        "collection": items[offset : offset + count],
        "pagination": {
            "count": len(items[offset : offset + count]),
            "next_page": None,
            "previous_page": None,
            "next_page_token": str(offset + count) if more else None,
            "previous_page_token": None,
        },
    }
