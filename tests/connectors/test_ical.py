"""iCalendar parsing: what is rejected, and how attendees and ids are chosen."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from busywork.errors import SkippableError
from connectors.ical import EventOptions, instance_start, lower_set, parse_object
from tests.connectors.test_caldav_calendar import vcalendar

OPTIONS = EventOptions(
    timezone=ZoneInfo("Europe/London"),
    window_start=datetime(2026, 1, 1, tzinfo=UTC),
    window_end=datetime(2026, 12, 31, tzinfo=UTC),
    owner_emails=lower_set(["Owner@Clinic.example", " "]),
    no_show_categories=lower_set(["no-show"]),
)


@pytest.mark.parametrize(
    "text",
    [
        "not a calendar",
        vcalendar("UID:x\nDTSTAMP:20260101T000000Z"),
        vcalendar("DTSTAMP:20260101T000000Z\nDTSTART:20260105T090000Z"),
    ],
)
def test_unreadable_objects_are_skippable(text: str) -> None:
    with pytest.raises(SkippableError):
        parse_object(text, OPTIONS)


def test_a_bad_recurrence_rule_is_skippable() -> None:
    text = vcalendar("UID:r\nDTSTART:20260105T090000Z\nRRULE:FREQ=SOMETIMES")
    with pytest.raises(SkippableError):
        parse_object(text, OPTIONS)


def test_the_attendee_is_the_first_person_who_is_not_the_owner() -> None:
    text = vcalendar(
        "UID:a\nDTSTART:20260105T090000Z\n"
        "ATTENDEE;CN=Me:mailto:OWNER@clinic.example\n"
        "ATTENDEE;CUTYPE=RESOURCE;CN=Projector:mailto:p@clinic.example\n"
        "ATTENDEE;CN=Cy Young:mailto:cy@example.com"
    )
    (row,) = parse_object(text, OPTIONS).rows
    assert (row["attendee_email"], row["attendee_name"]) == ("cy@example.com", "Cy Young")
    # No DTEND and no DURATION: a timed event takes no time (RFC 5545 3.6.1).
    assert row["start_at"] == row["end_at"] == "2026-01-05T09:00:00+00:00"


def test_long_uids_are_hashed_to_fit_and_instances_carry_their_start() -> None:
    uid = "u" * 200
    text = vcalendar(f"UID:{uid}\nDTSTART:20260105T090000Z\nRRULE:FREQ=DAILY;COUNT=2")
    parsed = parse_object(text, OPTIONS)
    assert parsed.recurring
    ids = [row["source_id"] for row in parsed.rows]
    assert all(len(source_id) <= 128 for source_id in ids)
    assert ids[0].startswith("sha256:")
    assert ids[0].endswith("/20260105T090000Z")
    assert {row["series_id"] for row in parsed.rows} == {ids[0].split("/")[0]}
    assert instance_start(ids[1]) == datetime(2026, 1, 6, 9, tzinfo=UTC)
    assert instance_start("one-off") is None
