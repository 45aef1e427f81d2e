"""Calendly (API v2): scheduled events and their invitees.

Calendly cannot filter events by update time, so the first sync lists every event (oldest
first, keyset-resumable on ``start_time`` because stale page tokens are refused) and later
syncs re-read the events starting within ``lookback_days`` before today or later. Invitees
are read per event (concurrently, paced by Calendly's ``X-RateLimit-*`` headers; see
:mod:`connectors.calendly_fetch`), only for events that are new or changed since the last
poll, or that ended within ``no_show_days`` and are due a no-show re-read (once after the
end, then at most every ``no_show_recheck_hours``). An event whose reads fail is *owed*:
kept in the cursor, reported as a problem, and read first on the next poll. One appointment
per event: its first active invitee is the attendee; a cancelled event is ``cancelled``,
with who cancelled (``host`` or ``invitee``); an invitee marked as a no-show makes it
``no_show``.

Origin: a booking through an event type the invitee picks a slot from is ``booking_link``;
a booking through an ad hoc event type (``type: AdhocEventType``, Calendly's one-off
meetings, which the host sets up by hand for one invitee) is ``manual``. The event type is
read once per distinct type (``GET /event_types/{uuid}``) and kept in the cursor.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal

from pydantic import Field, SecretStr, model_validator

from busywork.errors import FatalError
from busywork.store.records import RecordKind
from connectors.base import SyncPage
from connectors.calendar_api import vendor_id
from connectors.calendly_fetch import CalendlyClient, SerialAuthenticator, read_details
from connectors.calendly_fetch import uuid_of as _uuid
from connectors.http import Authenticator, BearerToken, HttpClient
from connectors.ical import lower_set
from connectors.oauth import OAuthConnectorConfig
from connectors.paging import CursorPaginator
from connectors.ratelimit import header_limiter_for
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
    no_show_recheck_hours: float = Field(
        default=6.0, gt=0, description="Re-read an ended event's invitees at most this often."
    )
    concurrency: int = Field(
        default=4, ge=1, le=16, description="Invitee reads in flight at once (one rate limit)."
    )
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

    def client(self) -> HttpClient:
        """The API client with the personal access token or the OAuth2 tokens.

        It is paced by the account's :class:`HeaderRateLimiter` (Calendly's own
        ``X-RateLimit-*`` headers), unless a limiter was injected.
        """
        auth: Authenticator = (
            BearerToken(self.config.token.get_secret_value())
            if self.config.token is not None
            else SerialAuthenticator(self.oauth(self.config.token_url or TOKEN_URL))
        )
        return self.make_client(
            self.config.base_url,
            tenant=self.name,
            authenticator=auth,
            client_class=CalendlyClient,
            # Calendly limits each user account; one limiter per business's connector.
            limiter=header_limiter_for(self.vendor, f"{self.context.business}/{self.name}"),
        )

    def pages(self, cursor: dict[str, Any] | None) -> Iterator[SyncPage]:
        """Owed events first, then the full listing (resumable), then the re-read window."""
        client = self.client()
        cursor = dict(cursor or {})
        if "owner" not in cursor:
            cursor["owner"] = self._owner(client)
        now = datetime.fromtimestamp(self.clock(), UTC)
        if cursor.get("owed"):
            yield self._settle_owed(client, cursor, now)
        if cursor.get("mode") != "window":
            yield from self._listing(client, cursor, now, since=cursor.get("after"), full=True)
            return
        since = (now - timedelta(days=self.config.lookback_days)).strftime(_CALENDLY_TIME)
        yield from self._listing(client, cursor, now, since=since, full=False)

    def _owner(self, client: HttpClient) -> dict[str, str]:
        """The ``organization`` or ``user`` filter, from ``/users/me``."""
        me = client.get_json("/users/me").get("resource") or {}
        key = "current_organization" if self.config.scope == "organization" else "uri"
        if not me.get(key):
            raise FatalError(f"{self.name}: /users/me did not say which {self.config.scope}")
        return {self.config.scope: str(me[key])}

    def _settle_owed(self, client: HttpClient, cursor: dict[str, Any], now: datetime) -> SyncPage:
        """Read again the events a past poll could not finish; what still fails stays owed."""
        owed: dict[str, Any] = dict(cursor["owed"])
        events = [entry["event"] for entry in owed.values()]
        return self._page(client, cursor, now, events, events, owed)

    def _listing(
        self,
        client: HttpClient,
        cursor: dict[str, Any],
        now: datetime,
        *,
        since: str | None,
        full: bool,
    ) -> Iterator[SyncPage]:
        params: dict[str, Any] = {
            **cursor["owner"],
            "count": self.config.page_size,
            "sort": "start_time:asc",
        }
        if since:
            params["min_start_time"] = since
        paginator = CursorPaginator(param="page_token")
        while not paginator.done:
            body = client.get_json("/scheduled_events", params={**params, **paginator.params()})
            events = body.get("collection") or []
            token = (body.get("pagination") or {}).get("next_page_token")
            paginator.advance(token, has_more=bool(token))
            seen: dict[str, str] = cursor.get("seen", {})
            stale = [
                event
                for event in events
                if full
                or seen.get(_uuid(event)) != event.get("updated_at")
                or self._no_show_due(cursor, event, now)
            ]
            if full:
                # Keyset on start_time: a crash resumes at the last committed start.
                last = events[-1].get("start_time") if events else since
                cursor.update(mode="full" if not paginator.done else "window", after=last)
            else:
                cursor["mode"] = "window"
            page = self._page(client, cursor, now, events, stale, dict(cursor.get("owed", {})))
            if page.batches or page.problems or paginator.done or full:
                yield page

    def _page(
        self,
        client: HttpClient,
        cursor: dict[str, Any],
        now: datetime,
        listed: list[dict[str, Any]],
        stale: list[dict[str, Any]],
        owed: dict[str, Any],
    ) -> SyncPage:
        """Read the details of ``stale`` events, map them, and move the cursor past them.

        ``cursor`` is updated in place: event types learnt, events seen, no-show checks
        done, and what is owed (an event whose reads failed is left unseen and owed, so the
        next poll reads it again whatever the window).
        """
        types: dict[str, str] = dict(cursor.get("types", {}))
        details = read_details(client, stale, types, workers=self.config.concurrency)
        problems: list[str] = []
        for event in stale:
            uuid = _uuid(event)
            if uuid in details.owed:
                attempts = int((owed.get(uuid) or {}).get("attempts", 0)) + 1
                owed[uuid] = {"event": event, "attempts": attempts}
                problems.append(
                    f"scheduled_events/{uuid}: not read ({details.owed[uuid]}); "
                    f"owed, read again on the next poll (attempt {attempts})"
                )
            else:
                owed.pop(uuid, None)
        rows = Rows("calendly")
        rows.add_objects(
            "scheduled_events",
            [
                {**event, "_invitees": details.invitees[uuid], "_type": types.get(uri) or None}
                for event in stale
                if (uuid := _uuid(event)) in details.invitees
                for uri in [str(event.get("event_type") or "")]
            ],
            self._map,
        )
        seen: dict[str, str] = dict(cursor.get("seen", {}))
        checked: dict[str, float] = dict(cursor.get("checked", {}))
        window_start = now - timedelta(days=self.config.lookback_days)
        for event in listed:
            uuid = _uuid(event)
            if uuid in owed or not event.get("updated_at"):
                continue
            if _time(event.get("start_time")) >= window_start:
                seen[uuid] = str(event["updated_at"])
        no_show_from = now - timedelta(days=self.config.no_show_days)
        for event in stale:
            if _uuid(event) in details.invitees:
                checked[_uuid(event)] = now.timestamp()
        checked = {
            uuid: at
            for uuid, at in checked.items()
            if at >= (no_show_from - timedelta(days=1)).timestamp()
        }
        cursor.update(types=types, seen=seen, checked=checked, owed=owed)
        batches, rejected = rows.batches(self.context.timezone)
        return SyncPage(batches=batches, cursor=dict(cursor), problems=(*problems, *rejected))

    def _no_show_due(
        self, cursor: Mapping[str, Any], event: Mapping[str, Any], now: datetime
    ) -> bool:
        """Whether an ended event's invitees should be read again for a no-show mark.

        A host marks a no-show after the meeting, and Calendly's event does not change
        when they do. An event that ended within ``no_show_days`` is read once after its
        end and then at most every ``no_show_recheck_hours``, not on every poll.
        """
        end = _time(event.get("end_time"))
        if not now - timedelta(days=self.config.no_show_days) <= end <= now:
            return False
        last = float(cursor.get("checked", {}).get(_uuid(event), 0.0))
        recheck = self.config.no_show_recheck_hours * 3600
        return last < end.timestamp() or now.timestamp() - last >= recheck

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
            "calendar": _host_calendar(event),
            "cancelled_at": cancelled_at,
            "cancelled_by": cancelled_by,
            "origin": "manual" if event.get("_type") in HAND_MADE_EVENT_TYPES else "booking_link",
            "mirror_id": _mirror_id(event),
            "created_at": event.get("created_at"),
            "updated_at": event.get("updated_at"),
        }
        return [(RecordKind.APPOINTMENT, row)]


def _host_calendar(event: Mapping[str, Any]) -> str:
    """Whose calendar the booking takes time from: the first host's e-mail, else "calendly".

    ``event_memberships`` names the Calendly users hosting the event; their e-mail is the
    calendar the booking is written into, so calendar load is counted per host, beside the
    host's own Google or Outlook calendar rather than under the booking tool's name.
    """
    for membership in event.get("event_memberships") or ():
        email = str((membership or {}).get("user_email") or "").strip()
        if email:
            return email
    return "calendly"


def _mirror_id(event: Mapping[str, Any]) -> str | None:
    """The id of the copy Calendly wrote into Google or Outlook (``calendar_event``), if any."""
    external = (event.get("calendar_event") or {}).get("external_id")
    return vendor_id(str(external)) if external else None


def _time(value: Any) -> datetime:
    if not value:
        return datetime.min.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
