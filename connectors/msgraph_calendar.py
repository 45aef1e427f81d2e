"""Microsoft 365 calendars through Microsoft Graph: ``calendarView/delta`` with delta links.

A round starts with ``calendarView/delta`` over a window around today (Graph freezes the
window into the token), follows ``@odata.nextLink`` pages and ends with an
``@odata.deltaLink``, which the cursor keeps; the next poll asks only that link for
changes. ``@removed`` entries are deletions. A 410 (``SyncStateNotFound``) or a window
about to run out starts a fresh round; like Google's full listing it carries no
tombstones, so stored appointments inside the window that it lacks become deletions.
Occurrences of a series carry ``seriesMasterId``, which becomes the series id.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator

from busywork.store.records import RecordKind
from connectors.base import SyncPage
from connectors.calendar_api import (
    CalendarHttpClient,
    SyncStateGoneError,
    cancelled_by,
    first_attendee,
    live_appointment_ids,
    utc_iso,
    vendor_id,
    written_by_booking_tool,
)
from connectors.http import limiter_for
from connectors.ical import lower_set
from connectors.oauth import OAuthConnectorConfig
from connectors.paging import NextLinkPaginator
from connectors.registry import register
from connectors.rest import ApiConnector, Row, Rows

SCOPES = ("offline_access", "Calendars.Read")
IDENTITY = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0"
#: Start a new round when less than this much of the window is left ahead of today.
REWINDOW_MARGIN = timedelta(days=30)


class MsGraphCalendarConfig(OAuthConnectorConfig):
    """A Microsoft 365 mailbox's calendar, read with an app registered in Entra ID."""

    type: Literal["msgraph_calendar"] = "msgraph_calendar"
    tenant: str = Field(default="common", description="Entra tenant id or domain.")
    user: str = Field(default="me", description="'me', or a user id / UPN (app permissions).")
    base_url: str = "https://graph.microsoft.com/v1.0"
    past_days: int = Field(default=365, ge=1, description="Window start, days before today.")
    future_days: int = Field(default=180, ge=31, description="Window end, days after today.")
    page_size: int = Field(default=100, ge=1, le=1000, description="odata.maxpagesize.")
    owner_emails: tuple[str, ...] = ()
    no_show_categories: tuple[str, ...] = ("no-show", "no show")
    scopes: tuple[str, ...] = SCOPES

    @model_validator(mode="before")
    @classmethod
    def _tenant_endpoints(cls, data: Any) -> Any:
        # The identity endpoints are per tenant; fill them in unless given explicitly.
        if isinstance(data, dict):
            base = IDENTITY.format(tenant=data.get("tenant") or "common")
            data = {
                **data,
                "authorize_url": data.get("authorize_url") or f"{base}/authorize",
                "token_url": data.get("token_url") or f"{base}/token",
            }
        return data


@register
class MsGraphCalendarConnector(ApiConnector):
    """Appointments from one Microsoft 365 calendar, incrementally with delta links."""

    type = "msgraph_calendar"
    config_model = MsGraphCalendarConfig
    config: MsGraphCalendarConfig
    vendor = "msgraph"
    authorize_url: ClassVar[str] = IDENTITY.format(tenant="common") + "/authorize"
    token_url: ClassVar[str] = IDENTITY.format(tenant="common") + "/token"
    scopes: ClassVar[tuple[str, ...]] = SCOPES
    #: Outlook allows 10,000 requests per 10 minutes per mailbox; stay well below.
    rate_per_s: ClassVar[float] = 8.0
    burst: ClassVar[float] = 4.0

    def client(self) -> CalendarHttpClient:
        """The Graph client, with OAuth2 refresh and the mailbox's limiter."""
        tenant = f"{self.config.tenant}:{self.config.user}"
        token_url = self.config.token_url or IDENTITY.format(tenant=self.config.tenant) + "/token"
        return CalendarHttpClient(
            self.config.base_url,
            vendor=self.vendor,
            tenant=tenant,
            session=self.session,
            authenticator=self.oauth(token_url),
            limiter=self._limiter or limiter_for(self.vendor, tenant, self.rate_per_s, self.burst),
            headers={
                # Times in UTC whatever the mailbox's zone, so Windows zone names never appear.
                "Prefer": f'outlook.timezone="UTC", odata.maxpagesize={self.config.page_size}'
            },
            retry=self.retry,
            sleep=self.sleep,
        )

    def pages(self, cursor: dict[str, Any] | None) -> Iterator[SyncPage]:
        """Changes since the delta link; a fresh round when there is none or it expired."""
        client = self.client()
        now = datetime.fromtimestamp(self.clock(), UTC)
        cursor = cursor or {}
        link = cursor.get("delta_link")
        window_end = cursor.get("window_end")
        if link and window_end and datetime.fromisoformat(window_end) - now > REWINDOW_MARGIN:
            try:
                yield from self._round(client, link, cursor, known=None)
                return
            except SyncStateGoneError:
                pass  # the delta token expired: start a new round, below
        window = (
            now - timedelta(days=self.config.past_days),
            now + timedelta(days=self.config.future_days),
        )
        known = live_appointment_ids(
            self.context.engine, self.context.business, self.name, window=window
        )
        query = urlencode(
            {"startDateTime": _graph_time(window[0]), "endDateTime": _graph_time(window[1])}
        )
        first = f"{client.url(self._path())}?{query}"
        fresh = {"window_start": window[0].isoformat(), "window_end": window[1].isoformat()}
        yield from self._round(client, first, fresh, known=known)

    def _path(self) -> str:
        user = "/me" if self.config.user == "me" else f"/users/{self.config.user}"
        return f"{user}/calendarView/delta"

    def _round(
        self,
        client: CalendarHttpClient,
        url: str,
        cursor: dict[str, Any],
        *,
        known: set[str] | None,
    ) -> Iterator[SyncPage]:
        """Follow one delta round to its delta link; ``known`` is diffed at the end."""
        paginator = NextLinkPaginator(url)
        seen: set[str] = set()
        while not paginator.done:
            body = client.get_json(paginator.url)
            items = body.get("value") or []
            paginator.advance(body.get("@odata.nextLink"))
            rows = Rows("msgraph")
            for item in items:
                if isinstance(item, Mapping) and "@removed" in item and "id" in item:
                    rows.delete(RecordKind.APPOINTMENT, vendor_id(str(item["id"])))
            current = [
                item for item in items if not (isinstance(item, Mapping) and "@removed" in item)
            ]
            rows.add_objects("events", current, self._map)
            seen |= {vendor_id(str(item["id"])) for item in current if "id" in item}
            page_cursor = dict(cursor)
            if paginator.done:
                if known is not None:
                    for source_id in sorted(known - seen):
                        rows.delete(RecordKind.APPOINTMENT, source_id)
                page_cursor["delta_link"] = body.get("@odata.deltaLink")
            batches, problems = rows.batches(self.context.timezone)
            # Mid-round pages keep the previous cursor: a crash repeats the round, harmlessly.
            yield SyncPage(batches=batches, cursor=page_cursor, problems=problems)

    def _map(self, event: Mapping[str, Any]) -> list[tuple[RecordKind, Row]]:
        zone = ZoneInfo(self.context.timezone)
        people = [
            {
                "email": (person.get("emailAddress") or {}).get("address"),
                "name": (person.get("emailAddress") or {}).get("name"),
                "response": (person.get("status") or {}).get("response"),
            }
            for person in event.get("attendees") or []
            if person.get("type") != "resource"
        ]
        organizer = ((event.get("organizer") or {}).get("emailAddress") or {}).get("address")
        owners = lower_set([*self.config.owner_emails, *([organizer] if organizer else [])])
        attendee = first_attendee(people, owners)
        updated = utc_iso(event.get("lastModifiedDateTime"), UTC)
        status = _status(event, attendee, lower_set(self.config.no_show_categories))
        series = event.get("seriesMasterId")
        start, end = _times(event, zone)
        row: Row = {
            "source_id": vendor_id(str(event["id"])),
            "title": event.get("subject"),
            "start_at": start,
            "end_at": end,
            "status": status,
            "attendee_email": attendee["email"] if attendee else None,
            "attendee_name": attendee.get("name") if attendee else None,
            "series_id": vendor_id(str(series)) if series else None,
            "calendar": self.config.user,
            "cancelled_at": updated if status == "cancelled" else None,
            "cancelled_by": cancelled_by(bool(event.get("isCancelled")), status, attendee),
            "origin": event_origin(event, series),
            "created_at": utc_iso(event.get("createdDateTime"), UTC),
            "updated_at": updated,
        }
        return [(RecordKind.APPOINTMENT, row)]


def event_origin(event: Mapping[str, Any], series: object) -> str:
    """``booking_link`` for a booking tool's copy, ``recurring`` for a series, else manual."""
    if written_by_booking_tool((event.get("body") or {}).get("content"), event.get("bodyPreview")):
        return "booking_link"
    return "recurring" if series else "manual"


def _times(event: Mapping[str, Any], zone: ZoneInfo) -> tuple[str | None, str | None]:
    start, end = event["start"], event["end"]
    if event.get("isAllDay"):
        # All-day events are calendar dates: midnight in the business timezone.
        return (
            utc_iso(str(start["dateTime"])[:10], zone),
            utc_iso(str(end["dateTime"])[:10], zone),
        )
    return (
        utc_iso(start["dateTime"], zone, zone=start.get("timeZone")),
        utc_iso(end["dateTime"], zone, zone=end.get("timeZone")),
    )


def _status(
    event: Mapping[str, Any], attendee: Mapping[str, Any] | None, categories: frozenset[str]
) -> str:
    response = attendee.get("response") if attendee else None
    if event.get("isCancelled") or response == "declined":
        return "cancelled"
    if categories & lower_set(str(c) for c in event.get("categories") or []):
        return "no_show"
    if event.get("showAs") == "tentative" or response == "tentativelyAccepted":
        return "tentative"
    return "confirmed"


def _graph_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
