"""Google Calendar (API v3): ``events.list`` with sync tokens, series instances and attendees.

The first sync lists every event (``singleEvents=true``, so a recurring series arrives as
instances carrying ``recurringEventId``; ``showDeleted=true``, so cancellations arrive as
changes) and keeps the ``nextSyncToken`` Google sends on the last page. Later syncs send
only that token. A 410 means the token expired: the full listing runs again and, since it
carries no tombstones, ids the store holds but the listing lacks become deletions.
Cancelled events often come back as stubs with no times; those cancel the stored copy.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from busywork.store.records import RecordKind
from connectors.base import SyncPage
from connectors.calendar_api import (
    CalendarHttpClient,
    SyncStateGoneError,
    cancelled_by,
    first_attendee,
    live_appointment_ids,
    stored_appointments,
    utc_iso,
    vendor_id,
    written_by_booking_tool,
)
from connectors.http import limiter_for
from connectors.ical import lower_set
from connectors.oauth import OAuthConnectorConfig
from connectors.paging import CursorPaginator
from connectors.registry import register
from connectors.rest import ApiConnector, Row, Rows

TOKEN_URL = "https://oauth2.googleapis.com/token"
AUTHORIZE_URL = "https://accounts.google.com/o/oauth2/v2/auth"
SCOPES = ("https://www.googleapis.com/auth/calendar.readonly",)


class GoogleCalendarConfig(OAuthConnectorConfig):
    """One Google calendar, read with an OAuth2 app of the business's own."""

    type: Literal["google_calendar"] = "google_calendar"
    calendar_id: str = Field(default="primary", description="Calendar id; primary by default.")
    base_url: str = "https://www.googleapis.com/calendar/v3"
    page_size: int = Field(default=250, ge=1, le=2500)
    owner_emails: tuple[str, ...] = Field(
        default=(), description="The owner's addresses; never taken as the attendee."
    )
    no_show_markers: tuple[str, ...] = Field(
        default=("no-show", "no show"), description="Text in a title that marks a no-show."
    )
    scopes: tuple[str, ...] = SCOPES


@register
class GoogleCalendarConnector(ApiConnector):
    """Appointments from one Google calendar, incrementally with sync tokens."""

    type = "google_calendar"
    config_model = GoogleCalendarConfig
    config: GoogleCalendarConfig
    vendor = "google_calendar"
    authorize_url: ClassVar[str] = AUTHORIZE_URL
    token_url: ClassVar[str] = TOKEN_URL
    scopes: ClassVar[tuple[str, ...]] = SCOPES
    #: Without offline access Google issues no refresh token; consent again to get a new one.
    consent_params: ClassVar[dict[str, str]] = {"access_type": "offline", "prompt": "consent"}
    #: Google's default quota is 600 queries a minute per user; stay well below.
    rate_per_s: ClassVar[float] = 5.0
    burst: ClassVar[float] = 10.0

    def client(self) -> CalendarHttpClient:
        """The API client, with OAuth2 refresh and this account's limiter."""
        tenant = f"{self.context.business}:{self.name}"
        return CalendarHttpClient(
            self.config.base_url,
            vendor=self.vendor,
            tenant=tenant,
            session=self.session,
            authenticator=self.oauth(self.config.token_url or TOKEN_URL),
            limiter=self._limiter or limiter_for(self.vendor, tenant, self.rate_per_s, self.burst),
            retry=self.retry,
            sleep=self.sleep,
        )

    def pages(self, cursor: dict[str, Any] | None) -> Iterator[SyncPage]:
        """Changes since the sync token; the full listing when there is none or it expired."""
        client = self.client()
        token = (cursor or {}).get("sync_token")
        if token:
            try:
                yield from self._listing(client, {"syncToken": token}, known=None, token=token)
                return
            except SyncStateGoneError:
                pass  # the token expired: list everything again, below
        known = live_appointment_ids(self.context.engine, self.context.business, self.name)
        yield from self._listing(client, {}, known=known, token=None)

    def _listing(
        self,
        client: CalendarHttpClient,
        extra: dict[str, Any],
        *,
        known: set[str] | None,
        token: str | None,
    ) -> Iterator[SyncPage]:
        """One run of ``events.list``; ``known`` (full listings only) is diffed at the end."""
        # Parameters must match between the full listing and the syncToken calls.
        params = {
            "singleEvents": "true",
            "showDeleted": "true",
            "maxResults": self.config.page_size,
            **extra,
        }
        path = f"/calendars/{self.config.calendar_id}/events"
        paginator = CursorPaginator(param="pageToken")
        seen: set[str] = set()
        while not paginator.done:
            body = client.get_json(path, params={**params, **paginator.params()})
            items = body.get("items") or []
            next_page = body.get("nextPageToken")
            paginator.advance(next_page, has_more=bool(next_page))
            rows = self._rows(items)
            seen |= {vendor_id(str(item["id"])) for item in items if "id" in item}
            if paginator.done:
                if known is not None:
                    for source_id in sorted(known - seen):
                        rows.delete(RecordKind.APPOINTMENT, source_id)
                cursor: dict[str, Any] = {"sync_token": body.get("nextSyncToken")}
            else:
                # Mid-listing: a crash resumes from the old token, or relists from scratch.
                cursor = {"sync_token": token}
            batches, problems = rows.batches(self.context.timezone)
            yield SyncPage(batches=batches, cursor=cursor, problems=problems)

    def _rows(self, items: list[Mapping[str, Any]]) -> Rows:
        rows = Rows("google_calendar")
        stubs = [item for item in items if isinstance(item, Mapping) and "start" not in item]
        full = [item for item in items if not (isinstance(item, Mapping) and "start" not in item)]
        rows.add_objects("events", full, self._map)
        stored = stored_appointments(
            self.context.engine,
            self.context.business,
            self.name,
            [vendor_id(str(stub.get("id"))) for stub in stubs],
        )
        for stub in stubs:
            old = stored.get(vendor_id(str(stub.get("id"))))
            if stub.get("status") != "cancelled" or old is None or old["status"] == "cancelled":
                continue  # nothing we hold to cancel, or already cancelled
            when = utc_iso(stub.get("updated"), UTC) or datetime.now(UTC).isoformat()
            rows.rows.setdefault(RecordKind.APPOINTMENT, []).append(
                {**old, "status": "cancelled", "cancelled_at": when}
            )
        return rows

    def _map(self, event: Mapping[str, Any]) -> list[tuple[RecordKind, Row]]:
        zone = ZoneInfo(self.context.timezone)
        start, end = event["start"], event.get("end") or event["start"]
        people = [
            {
                "email": person.get("email"),
                "name": person.get("displayName"),
                "response": person.get("responseStatus"),
            }
            for person in event.get("attendees") or []
            if not (person.get("self") or person.get("organizer") or person.get("resource"))
        ]
        attendee = first_attendee(people, lower_set(self.config.owner_emails))
        updated = utc_iso(event.get("updated"), zone)
        status = _status(event, attendee, lower_set(self.config.no_show_markers))
        series = event.get("recurringEventId")
        row: Row = {
            "source_id": vendor_id(str(event["id"])),
            "title": event.get("summary"),
            "start_at": utc_iso(start.get("dateTime") or start.get("date"), zone),
            "end_at": utc_iso(end.get("dateTime") or end.get("date"), zone),
            "status": status,
            "attendee_email": attendee["email"] if attendee else None,
            "attendee_name": attendee.get("name") if attendee else None,
            "series_id": vendor_id(str(series)) if series else None,
            "calendar": self.config.calendar_id,
            "cancelled_at": updated if status == "cancelled" else None,
            "cancelled_by": cancelled_by(event.get("status") == "cancelled", status, attendee),
            "origin": event_origin(event, series),
            "created_at": utc_iso(event.get("created"), zone),
            "updated_at": updated,
        }
        return [(RecordKind.APPOINTMENT, row)]


def event_origin(event: Mapping[str, Any], series: object) -> str:
    """``booking_link`` for a booking tool's copy, ``recurring`` for a series, else manual."""
    source = event.get("source") or {}
    if written_by_booking_tool(event.get("description"), source.get("url"), source.get("title")):
        return "booking_link"
    return "recurring" if series else "manual"


def _status(
    event: Mapping[str, Any], attendee: Mapping[str, Any] | None, markers: frozenset[str]
) -> str:
    """Cancelled when the event is, or when its one outside attendee declined."""
    if event.get("status") == "cancelled" or (attendee and attendee["response"] == "declined"):
        return "cancelled"
    title = str(event.get("summary") or "").lower()
    if any(marker in title for marker in markers):
        return "no_show"
    tentative = event.get("status") == "tentative" or (
        attendee is not None and attendee["response"] == "tentative"
    )
    return "tentative" if tentative else "confirmed"
