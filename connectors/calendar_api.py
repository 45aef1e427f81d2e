"""What the calendar API connectors share: a 410-aware client and the store's appointment ids.

Google and Microsoft Graph answer 410 Gone when a sync token or delta link has expired; the
shared :class:`~connectors.http.HttpClient` classifies every other 4xx as fatal, so this
adapter raises :class:`SyncStateGoneError` instead and the connector starts a full resync. A
full resync gives no tombstones for events deleted while the token was dead, so it is
diffed against the ids the store already holds (:func:`live_appointment_ids`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.errors import FatalError, RetriableError
from busywork.logs import redact
from busywork.store.records import Appointment
from connectors.http import HttpClient

#: Longest source id the store accepts; longer vendor ids are hashed.
MAX_SOURCE_ID = 128
#: Text only a booking tool writes into the calendar copy of a booking it made: Calendly's
#: footer and its per-invitee cancel/reschedule links (a pasted scheduling link is not enough).
BOOKING_TOOL_MARKERS = (
    "powered by calendly",
    "calendly.com/cancellations/",
    "calendly.com/reschedulings/",
)
#: Google reports quota exhaustion as 403 with one of these reasons; they are retriable.
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})


class SyncStateGoneError(FatalError):
    """The vendor no longer knows the sync token or delta link (410): resync in full."""


class CalendarHttpClient(HttpClient):
    """:class:`HttpClient` that tells an expired sync state and quota 403s apart."""

    def classify(self, response: requests.Response) -> None:
        """410 → :class:`SyncStateGoneError`; Google quota 403 → retriable; the rest as usual."""
        if response.status_code == 410:
            raise SyncStateGoneError(
                redact(f"{self.vendor}: the sync state expired (HTTP 410); resyncing in full")
            )
        if response.status_code == 403 and _reasons(response) & RATE_LIMIT_REASONS:
            raise RetriableError(f"{self.vendor}: quota exceeded (HTTP 403 rate limit)")
        super().classify(response)


def _reasons(response: requests.Response) -> set[str]:
    try:
        body = response.json()
    except ValueError:
        return set()
    error = body.get("error") if isinstance(body, dict) else None
    errors = error.get("errors") if isinstance(error, dict) else None
    if not isinstance(errors, list):
        return set()
    return {str(item.get("reason")) for item in errors if isinstance(item, dict)}


def live_appointment_ids(
    engine: Engine | None,
    business: str,
    source: str,
    *,
    window: tuple[datetime, datetime] | None = None,
) -> set[str] | None:
    """Source ids of the connector's appointments not yet deleted; None without a store.

    With ``window`` only appointments starting inside it: a listing limited to a window
    says nothing about the history before it.
    """
    if engine is None:
        return None
    table = Appointment.__table__  # type: ignore[attr-defined]
    query = sa.select(table.c.source_id).where(
        table.c.business == business, table.c.source == source, table.c.deleted.is_(False)
    )
    if window is not None:
        start, end = (moment.astimezone(UTC) for moment in window)
        query = query.where(table.c.start_at >= start, table.c.start_at < end)
    with engine.connect() as connection:
        return set(connection.execute(query).scalars())


def stored_appointments(
    engine: Engine | None, business: str, source: str, ids: list[str]
) -> dict[str, dict[str, Any]]:
    """The stored rows of ``ids`` (to cancel an event the vendor now sends only as a stub)."""
    if engine is None or not ids:
        return {}
    table = Appointment.__table__  # type: ignore[attr-defined]
    columns = [
        table.c[name]
        for name in (
            "source_id",
            "title",
            "start_at",
            "end_at",
            "attendee_email",
            "attendee_name",
            "series_id",
            "calendar",
            "origin",
            "created_at",
            "status",
            "cancelled_at",
        )
    ]
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(*columns).where(
                table.c.business == business,
                table.c.source == source,
                table.c.source_id.in_(ids),
            )
        ).mappings()
        return {row["source_id"]: {k: _iso(v) for k, v in row.items()} for row in rows}


def written_by_booking_tool(*texts: object) -> bool:
    """Whether an event's description (or source link) shows a booking tool wrote it.

    Such an event is the calendar's copy of a self-service booking, not an appointment typed
    in by hand: its origin is ``booking_link`` whether or not the booking tool is connected.
    """
    text = " ".join(str(part) for part in texts if part).lower()
    return any(marker in text for marker in BOOKING_TOOL_MARKERS)


def vendor_id(value: str) -> str:
    """A vendor id as a source id: unchanged when it fits, else a stable hash."""
    if len(value) <= MAX_SOURCE_ID:
        return value
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def utc_iso(value: str | None, timezone: tzinfo, *, zone: str | None = None) -> str | None:
    """An RFC 3339 time, a naive time in ``zone`` (or the business timezone), or a date, as UTC.

    Raises:
        ValueError: the value is not a date or time.
    """
    if not value:
        return None
    text = value.strip()
    if len(text) == 10:
        parsed = datetime.combine(datetime.fromisoformat(text).date(), time.min)
    else:
        # Graph sends seven fractional digits; Python reads at most six.
        head, dot, fraction = text.partition(".")
        if dot:
            digits = "".join(c for c in fraction if c.isdigit())
            text = f"{head}.{digits[:6]}{fraction[len(digits) :]}"
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_zone(zone, timezone))
    return parsed.astimezone(UTC).isoformat()


def first_attendee(
    people: Sequence[Mapping[str, Any]], owners: frozenset[str]
) -> Mapping[str, Any] | None:
    """The first attendee (already normalised to ``email``/``name`` keys) not the owner."""
    for person in people:
        email = str(person.get("email") or "").strip().lower()
        if email and email in owners:
            continue
        if email or person.get("name"):
            return {**person, "email": email or None}
    return None


def cancelled_by(
    event_cancelled: bool, status: str, attendee: Mapping[str, Any] | None
) -> str | None:
    """``invitee`` when the cancellation is the outside attendee's decline, else None.

    A cancelled event says only that the organiser's copy was called off, not whether the
    client asked for it, so who cancelled is unknown.
    """
    if status != "cancelled" or event_cancelled or attendee is None:
        return None
    return "invitee" if attendee.get("response") == "declined" else None


def _zone(name: str | None, default: tzinfo) -> tzinfo:
    """An IANA zone name as a zone; anything else (Windows names, None) is ``default``."""
    if name in ("UTC", "Etc/UTC"):
        return UTC
    try:
        return ZoneInfo(name) if name else default
    except (ValueError, ZoneInfoNotFoundError):
        return default


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    return value
