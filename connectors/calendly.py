"""Calendly (API v2): scheduled events and their invitees.

Calendly cannot filter events by update time, so the first sync lists every event (oldest
first, keyset-resumable on ``start_time`` because stale page tokens are refused) and later
syncs re-read the events starting within ``lookback_days`` before today or later. Invitees
are read per event, only for events that are new or changed since the last poll, or that
ended within ``no_show_days`` (a host marks a no-show after the meeting). One appointment
per event: its first active invitee is the attendee; a cancelled event is ``cancelled``,
with who cancelled (``host`` or ``invitee``); an invitee marked as a no-show makes it
``no_show``.

Origin: a booking through an event type the invitee picks a slot from is ``booking_link``;
a booking through an ad hoc event type (``type: AdhocEventType``, Calendly's one-off
meetings, which the host sets up by hand for one invitee) is ``manual``. The event type is
read once per distinct type per sync (``GET /event_types/{uuid}``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal

from pydantic import Field, SecretStr, model_validator

from busywork.errors import AuthError, FatalError
from busywork.store.records import RecordKind
from connectors.base import SyncPage
from connectors.calendar_api import vendor_id
from connectors.http import Authenticator, BearerToken, HttpClient
from connectors.ical import lower_set
from connectors.oauth import OAuthConnectorConfig
from connectors.paging import CursorPaginator
from connectors.registry import register
from connectors.rest import ApiConnector, Row, Rows

TOKEN_URL = "https://auth.calendly.com/oauth/token"
AUTHORIZE_URL = "https://auth.calendly.com/oauth/authorize"
_CALENDLY_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"
#: Event types a host creates by hand for one meeting (Calendly's "one-off meetings").
HAND_MADE_EVENT_TYPES = frozenset({"AdhocEventType"})
#: Who may cancel, as Calendly's ``cancellation.canceler_type`` says.
CANCELERS = frozenset({"host", "invitee"})


class CalendlyConfig(OAuthConnectorConfig):
    """A Calendly account: a personal access token, or an OAuth app (client id and secret)."""

    type: Literal["calendly"] = "calendly"
    token: SecretStr | None = Field(default=None, description="Personal access token; ${ENV}.")
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    scope: Literal["organization", "user"] = Field(
        default="organization", description="Every member's events (admins) or only yours."
    )
    base_url: str = "https://api.calendly.com"
    page_size: int = Field(default=100, ge=1, le=100)
    lookback_days: int = Field(default=30, ge=1, description="Re-read events this far back.")
    no_show_days: int = Field(default=3, ge=0, description="Re-read invitees this long after.")
    owner_emails: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _one_way_in(self) -> CalendlyConfig:
        if self.token is None and not (self.client_id and self.client_secret.get_secret_value()):
            raise ValueError("set token (a personal access token) or client_id and client_secret")
        return self


@register
class CalendlyConnector(ApiConnector):
    """Appointments booked through Calendly, with invitees, cancellations and no-shows."""

    type = "calendly"
    config_model = CalendlyConfig
    config: CalendlyConfig
    vendor = "calendly"
    authorize_url: ClassVar[str] = AUTHORIZE_URL
    token_url: ClassVar[str] = TOKEN_URL
    scopes: ClassVar[tuple[str, ...]] = ()
    rate_per_s: ClassVar[float] = 3.0
    burst: ClassVar[float] = 5.0

    def client(self) -> HttpClient:
        """The API client with the personal access token or the OAuth2 tokens."""
        auth: Authenticator = (
            BearerToken(self.config.token.get_secret_value())
            if self.config.token is not None
            else self.oauth(self.config.token_url or TOKEN_URL)
        )
        return self.make_client(self.config.base_url, tenant=self.name, authenticator=auth)

    def pages(self, cursor: dict[str, Any] | None) -> Iterator[SyncPage]:
        """The full listing first (resumable), then the re-read window on every poll."""
        client = self.client()
        cursor = dict(cursor or {})
        if "owner" not in cursor:
            cursor["owner"] = self._owner(client)
        now = datetime.fromtimestamp(self.clock(), UTC)
        # Event type uri -> its ``type``, for this sync only (one request per distinct type).
        types: dict[str, str] = {}
        if cursor.get("mode") != "window":
            yield from self._listing(
                client, cursor, now, types, since=cursor.get("after"), full=True
            )
            return
        since = (now - timedelta(days=self.config.lookback_days)).strftime(_CALENDLY_TIME)
        yield from self._listing(client, cursor, now, types, since=since, full=False)

    def _owner(self, client: HttpClient) -> dict[str, str]:
        """The ``organization`` or ``user`` filter, from ``/users/me``."""
        me = client.get_json("/users/me").get("resource") or {}
        key = "current_organization" if self.config.scope == "organization" else "uri"
        if not me.get(key):
            raise FatalError(f"{self.name}: /users/me did not say which {self.config.scope}")
        return {self.config.scope: str(me[key])}

    def _listing(
        self,
        client: HttpClient,
        cursor: dict[str, Any],
        now: datetime,
        types: dict[str, str],
        *,
        since: str | None,
        full: bool,
    ) -> Iterator[SyncPage]:
        seen: dict[str, str] = dict(cursor.get("seen", {}))
        params: dict[str, Any] = {
            **cursor["owner"],
            "count": self.config.page_size,
            "sort": "start_time:asc",
        }
        if since:
            params["min_start_time"] = since
        paginator = CursorPaginator(param="page_token")
        ended_since = now - timedelta(days=self.config.no_show_days)
        while not paginator.done:
            body = client.get_json("/scheduled_events", params={**params, **paginator.params()})
            events = body.get("collection") or []
            token = (body.get("pagination") or {}).get("next_page_token")
            paginator.advance(token, has_more=bool(token))
            stale = [
                event
                for event in events
                if full
                or seen.get(_uuid(event)) != event.get("updated_at")
                or ended_since <= _time(event.get("end_time")) <= now
            ]
            rows = Rows("calendly")
            rows.add_objects(
                "scheduled_events",
                [
                    {
                        **event,
                        "_invitees": self._invitees(client, event),
                        "_type": self._event_type(client, event, types),
                    }
                    for event in stale
                ],
                self._map,
            )
            window_start = now - timedelta(days=self.config.lookback_days)
            for event in events:
                if _time(event.get("start_time")) >= window_start:
                    seen[_uuid(event)] = str(event.get("updated_at"))
            seen = {k: v for k, v in seen.items() if v}
            last = events[-1].get("start_time") if events else since
            if full:
                # Keyset on start_time: a crash resumes at the last committed start.
                state = {
                    **cursor,
                    "mode": "full" if not paginator.done else "window",
                    "after": last,
                }
            else:
                state = {**cursor, "mode": "window"}
            state["seen"] = seen
            cursor.update(state)
            batches, problems = rows.batches(self.context.timezone)
            if batches or problems or paginator.done or full:
                yield SyncPage(batches=batches, cursor=dict(cursor), problems=problems)

    def _invitees(self, client: HttpClient, event: Mapping[str, Any]) -> list[Any]:
        paginator = CursorPaginator(param="page_token")
        invitees: list[Any] = []
        while not paginator.done:
            body = client.get_json(
                f"/scheduled_events/{_uuid(event)}/invitees",
                params={"count": 100, **paginator.params()},
            )
            invitees += body.get("collection") or []
            token = (body.get("pagination") or {}).get("next_page_token")
            paginator.advance(token, has_more=bool(token))
        return invitees

    def _event_type(
        self, client: HttpClient, event: Mapping[str, Any], types: dict[str, str]
    ) -> str | None:
        """The ``type`` of the event's event type, read at most once per sync.

        An event type Calendly no longer serves (404) is taken as a booking link: without
        evidence of a hand-made booking, none is claimed.
        """
        uri = str(event.get("event_type") or "")
        if not uri:
            return None
        if uri not in types:
            try:
                body = client.get_json(f"/event_types/{_last_segment(uri)}")
            except AuthError:
                raise
            except FatalError:
                body = {}
            types[uri] = str((body.get("resource") or {}).get("type") or "")
        return types[uri] or None

    def _map(self, event: Mapping[str, Any]) -> list[tuple[RecordKind, Row]]:
        owners = lower_set(self.config.owner_emails)
        invitees = [
            person
            for person in event["_invitees"]
            if str(person.get("email") or "").lower() not in owners
        ]
        active = [person for person in invitees if person.get("status") == "active"]
        invitee = (active or invitees or [None])[0]
        status = "confirmed"
        cancelled_at = cancelled_by = None
        if event["status"] == "canceled":
            status = "cancelled"
            cancellation = event.get("cancellation") or (invitee or {}).get("cancellation") or {}
            cancelled_at = cancellation.get("created_at") or event.get("updated_at")
            canceler = str(cancellation.get("canceler_type") or "").lower()
            cancelled_by = canceler if canceler in CANCELERS else None
        elif invitee is not None and invitee.get("no_show"):
            status = "no_show"
        row: Row = {
            "source_id": _uuid(event),
            "title": event.get("name"),
            "start_at": event["start_time"],
            "end_at": event["end_time"],
            "status": status,
            "attendee_email": str(invitee["email"]).lower() if invitee else None,
            "attendee_name": invitee.get("name") if invitee else None,
            "series_id": None,
            "calendar": "calendly",
            "cancelled_at": cancelled_at,
            "cancelled_by": cancelled_by,
            "origin": "manual" if event.get("_type") in HAND_MADE_EVENT_TYPES else "booking_link",
            "mirror_id": _mirror_id(event),
            "created_at": event.get("created_at"),
            "updated_at": event.get("updated_at"),
        }
        return [(RecordKind.APPOINTMENT, row)]


def _mirror_id(event: Mapping[str, Any]) -> str | None:
    """The id of the copy Calendly wrote into Google or Outlook (``calendar_event``), if any."""
    external = (event.get("calendar_event") or {}).get("external_id")
    return vendor_id(str(external)) if external else None


def _uuid(event: Mapping[str, Any]) -> str:
    """The event's uuid: the last segment of its URI."""
    return _last_segment(str(event.get("uri", "")))


def _last_segment(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


def _time(value: Any) -> datetime:
    if not value:
        return datetime.min.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
