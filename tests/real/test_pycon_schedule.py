"""A real calendar of room bookings: the PyCon UK 2015 schedule, 18-21 September 2015.

162 talks, workshops and breaks in eleven rooms, several at once; no attendee or organiser
on any of them. A conference programme runs rooms in parallel: that is not one person's
overloaded diary, and nobody's bookings can be judged without attendees.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from connectors.ical import EventOptions, parse_object
from tests.real.scanning import REAL, kinds, scan

EXPORT = REAL / "pycon_uk_2015" / "schedule.ics"
SCHEDULING = ("manual_scheduling", "calendar_overload", "no_show_reminders")
ATTENDEE_CHECKS = ("manual_scheduling", "no_show_reminders", "appointment_to_invoice")


def appointments() -> pd.DataFrame:
    """The export read by the iCalendar parser the CalDAV connector uses."""
    options = EventOptions(
        timezone=ZoneInfo("Europe/London"),
        window_start=datetime(2015, 1, 1, tzinfo=UTC),
        window_end=datetime(2016, 1, 1, tzinfo=UTC),
        calendar="events@pyconuk.example",
    )
    rows = parse_object(EXPORT.read_text(encoding="utf-8"), options).rows
    return pd.DataFrame(list(rows))


def test_162_bookings_over_four_days_without_attendees() -> None:
    frame = appointments()
    assert len(frame) == 162
    assert frame["attendee_email"].isna().all()
    starts = pd.to_datetime(frame["start_at"], utc=True).dt.tz_convert("Europe/London")
    ends = pd.to_datetime(frame["end_at"], utc=True).dt.tz_convert("Europe/London")
    first = frame.loc[starts.idxmin(), "title"]
    assert (first, starts.min().strftime("%a %d %b %Y %H:%M")) == (
        "Registration / Breakfast",
        "Fri 18 Sep 2015 08:00",
    )
    assert ends.max().strftime("%a %d %b %Y %H:%M") == "Mon 21 Sep 2015 17:00"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The schedule imported as the organisation's appointments, scanned after the event."""
    return scan(
        {"appointments": appointments()}, tmp_path_factory.mktemp("pycon"), datetime(2015, 9, 30)
    )


def test_parallel_rooms_are_not_a_scheduling_problem(report: dict[str, Any]) -> None:
    found = kinds(report)
    assert not [kind for kind in SCHEDULING if kind in found]
    assert report["recommendations"] == []


@pytest.mark.parametrize("detector", ATTENDEE_CHECKS)
def test_checks_that_need_attendees_say_so(report: dict[str, Any], detector: str) -> None:
    entry = report["detectors"][detector]["coverage"]
    assert entry["checked"] is False
    assert "attendee" in entry["reason"]
