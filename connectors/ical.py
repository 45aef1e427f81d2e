"""iCalendar text to appointment rows: recurrence expansion, time zones, attendees, status."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

import icalendar
import recurring_ical_events  # type: ignore[import-untyped]

from busywork.errors import SkippableError

#: Longest source id the store accepts; longer UIDs are hashed.
MAX_SOURCE_ID = 128
_INSTANCE_FORMAT = "%Y%m%dT%H%M%SZ"
_SKIPPED_CUTYPES = frozenset({"ROOM", "RESOURCE"})


@dataclass(frozen=True)
class EventOptions:
    """How events are read: whose calendar it is and what marks a no-show."""

    timezone: tzinfo
    window_start: datetime
    window_end: datetime
    calendar: str | None = None
    #: Lower-case e-mail addresses of the calendar's owner; never taken as the attendee.
    owner_emails: frozenset[str] = field(default_factory=frozenset)
    #: Lower-case CATEGORIES values that mark an appointment as a no-show.
    no_show_categories: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class ParsedObject:
    """The appointment rows of one calendar object and whether it holds a recurring series."""

    rows: tuple[dict[str, Any], ...]
    recurring: bool


def parse_object(text: str, options: EventOptions) -> ParsedObject:
    """Appointment rows for every VEVENT in one iCalendar object (one CalDAV resource).

    A series (RRULE or RDATE) is expanded over the options' window into instances with
    ``series_id`` = UID and origin ``recurring``; a one-off event gives one row with origin
    ``manual``. Times come out as UTC; floating times and all-day dates are read in the
    business timezone.

    Raises:
        SkippableError: the text is not iCalendar or an event lacks UID or DTSTART.
    """
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except ValueError as exc:
        raise SkippableError(f"not a valid iCalendar object: {exc}") from exc
    events: list[Any] = list(calendar.walk("VEVENT"))
    masters = [event for event in events if "RECURRENCE-ID" not in event]
    recurring = any("RRULE" in event or "RDATE" in event for event in masters)
    if not recurring:
        return ParsedObject(tuple(_row(event, options, series=None) for event in masters), False)
    try:
        instances = recurring_ical_events.of(calendar).between(
            options.window_start, options.window_end
        )
    except (ValueError, TypeError) as exc:
        raise SkippableError(f"cannot expand the recurrence: {exc}") from exc
    rows = tuple(_row(event, options, series=str(event.get("UID", ""))) for event in instances)
    return ParsedObject(rows, True)


def instance_start(source_id: str) -> datetime | None:
    """The original start (UTC) encoded in an instance's source id; None for one-off events."""
    _, slash, suffix = source_id.rpartition("/")
    if not slash:
        return None
    try:
        return datetime.strptime(suffix, _INSTANCE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def _row(event: Any, options: EventOptions, *, series: str | None) -> dict[str, Any]:
    uid = str(event.get("UID") or "").strip()
    if not uid or "DTSTART" not in event:
        raise SkippableError("an event without UID or DTSTART")
    start = _utc(event["DTSTART"].dt, options.timezone)
    end = _end(event, options.timezone, start)
    source_id = _source_id(uid)
    if series is not None:
        recurrence = event.get("RECURRENCE-ID")
        original = _utc(recurrence.dt, options.timezone) if recurrence is not None else start
        source_id = f"{source_id}/{original.strftime(_INSTANCE_FORMAT)}"
    status = _status(event, options.no_show_categories)
    email, name = _attendee(event, options.owner_emails)
    updated = _optional_utc(event, "LAST-MODIFIED", options.timezone)
    return {
        "source_id": source_id,
        "title": str(event.get("SUMMARY") or "").strip() or None,
        "start_at": start.isoformat(),
        "end_at": end.isoformat(),
        "status": status,
        "attendee_email": email,
        "attendee_name": name,
        "series_id": _source_id(series) if series else None,
        "calendar": options.calendar,
        "cancelled_at": (
            (updated or _optional_utc(event, "DTSTAMP", options.timezone) or start).isoformat()
            if status == "cancelled"
            else None
        ),
        "origin": "recurring" if series else "manual",
        "created_at": _iso(_optional_utc(event, "CREATED", options.timezone)),
        "updated_at": _iso(updated),
    }


def _source_id(uid: str) -> str:
    # Instance ids append "/<UTC start>" (17 characters); leave room for it.
    if len(uid) <= MAX_SOURCE_ID - 17:
        return uid
    return "sha256:" + hashlib.sha256(uid.encode()).hexdigest()[:64]


def _utc(value: date | datetime, timezone: tzinfo) -> datetime:
    """A DATE or DATE-TIME as UTC; dates and floating times are in the business timezone."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone)
    return value.astimezone(UTC)


def _end(event: Any, timezone: tzinfo, start: datetime) -> datetime:
    if "DTEND" in event:
        return max(_utc(event["DTEND"].dt, timezone), start)
    if "DURATION" in event:
        duration: timedelta = event["DURATION"].dt
        return start + duration
    # RFC 5545 3.6.1: an all-day event without an end lasts one day, a timed one no time.
    all_day = not isinstance(event["DTSTART"].dt, datetime)
    return start + (timedelta(days=1) if all_day else timedelta())


def _optional_utc(event: Any, name: str, timezone: tzinfo) -> datetime | None:
    value = event.get(name)
    return None if value is None else _utc(value.dt, timezone)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _status(event: Any, no_show_categories: frozenset[str]) -> str:
    status = str(event.get("STATUS") or "").strip().upper()
    if status == "CANCELLED":
        return "cancelled"
    if no_show_categories & _categories(event.get("CATEGORIES")):
        return "no_show"
    return "tentative" if status == "TENTATIVE" else "confirmed"


def _categories(value: Any) -> frozenset[str]:
    if value is None:
        return frozenset()
    values = value if isinstance(value, list) else [value]
    return frozenset(
        str(category).strip().lower()
        for item in values
        for category in getattr(item, "cats", [item])
    )


def _attendee(event: Any, owners: frozenset[str]) -> tuple[str | None, str | None]:
    """The first attendee who is a person other than the organiser or the calendar's owner."""
    organizer = _email(event.get("ORGANIZER"))
    for attendee in _as_list(event.get("ATTENDEE")):
        email = _email(attendee)
        params = getattr(attendee, "params", {})
        if str(params.get("CUTYPE", "")).upper() in _SKIPPED_CUTYPES:
            continue
        if email and (email == organizer or email in owners):
            continue
        name = str(params.get("CN", "")).strip() or None
        if email or name:
            return email, name
    return None, None


def _as_list(value: Any) -> Sequence[Any]:
    if value is None:
        return ()
    return value if isinstance(value, list) else (value,)


def _email(address: Any) -> str | None:
    if address is None:
        return None
    text = str(address).strip()
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :]
    return text.lower() or None


def lower_set(values: Iterable[str]) -> frozenset[str]:
    """Configured strings, trimmed and lower-cased, for case-insensitive matching."""
    return frozenset(value.strip().lower() for value in values if value.strip())
