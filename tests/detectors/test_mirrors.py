"""A booking seen twice is one appointment; two people at the same time are not."""

from __future__ import annotations

import pandas as pd
import pytest

from detectors._mirrors import _may_hold_copies, one_per_booking


def _rows(*rows: tuple[str, str, str, str, str | None]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "source": source,
                "source_id": source_id,
                "start_at": pd.Timestamp(start, tz="UTC"),
                "status": "confirmed",
                "attendee_email": email,
                "attendee_name": None,
                "origin": origin,
            }
            for source, source_id, start, email, origin in rows
        ]
    )


def test_a_booking_tools_copy_in_the_same_export_is_dropped_and_the_booking_kept() -> None:
    frame = _rows(
        ("exports", "A1", "2026-10-05 10:00", "ann@example.com", "booking_link"),
        ("exports", "gcal-A1", "2026-10-05 10:00", "ann@example.com", None),
    )
    kept = one_per_booking(frame)
    assert list(kept["source_id"]) == ["A1"]
    assert list(kept["origin"]) == ["booking_link"]


def test_two_hand_bookings_in_one_source_stay_two() -> None:
    # Same person, same minute, both keyed by hand in one calendar: nothing says it is a copy.
    frame = _rows(
        ("exports", "A1", "2026-10-05 10:00", "ann@example.com", "manual"),
        ("exports", "A2", "2026-10-05 10:00", "ann@example.com", None),
    )
    assert list(one_per_booking(frame)["source_id"]) == ["A1", "A2"]


def test_other_people_at_the_same_time_are_not_copies() -> None:
    frame = _rows(
        ("exports", "A1", "2026-10-05 10:00", "ann@example.com", "booking_link"),
        ("exports", "B1", "2026-10-05 10:00", "bob@example.com", None),
    )
    assert list(one_per_booking(frame)["source_id"]) == ["A1", "B1"]


@pytest.mark.parametrize("unknown", [None, "", "unknown", "Unknown "])
def test_the_copy_is_dropped_whichever_way_the_origin_says_unknown(unknown: str | None) -> None:
    # The store writes "unknown" where a CSV cell was blank; a frame built by hand holds None.
    frame = _rows(
        ("exports", "A1", "2026-10-05 10:00", "ann@example.com", "booking_link"),
        ("exports", "gcal-A1", "2026-10-05 10:00", "ann@example.com", unknown),
    )
    assert list(one_per_booking(frame)["source_id"]) == ["A1"]


def test_a_hand_booking_and_an_unknown_one_in_one_source_stay_two() -> None:
    frame = _rows(
        ("exports", "A1", "2026-10-05 10:00", "ann@example.com", "manual"),
        ("exports", "A2", "2026-10-05 10:00", "ann@example.com", "unknown"),
    )
    assert list(one_per_booking(frame)["source_id"]) == ["A1", "A2"]


def test_the_booking_kept_sits_in_the_hosts_calendar_it_was_written_into() -> None:
    # Calendly files every booking under a calendar of its own ("calendly"); the copy it
    # wrote into Google says whose calendar the hour is taken from. Calendar load is the
    # host's, so the kept booking carries the host's calendar, not the tool's.
    frame = _rows(
        ("calendly", "EVT-1", "2026-10-05 10:00", "ann@example.com", "booking_link"),
        ("google", "g-1", "2026-10-05 10:00", "ann@example.com", None),
        ("calendly", "EVT-2", "2026-10-06 10:00", "bob@example.com", "booking_link"),
    ).assign(
        calendar=["calendly", "jo@clinic.example", "calendly"],
        mirror_id=["g-1", None, None],
    )
    kept = one_per_booking(frame)
    assert list(kept["source_id"]) == ["EVT-1", "EVT-2"]
    # A booking with no copy stays where its tool put it: nothing says whose calendar it is.
    assert list(kept["calendar"]) == ["jo@clinic.example", "calendly"]
    assert list(frame["calendar"]) == ["calendly", "jo@clinic.example", "calendly"]


def test_copies_are_found_at_a_busy_instant_and_only_there() -> None:
    # Many sessions of one source start at 10:00; one of them also arrives from a second
    # source. An hour where a single source books everyone holds no copy at all.
    frame = _rows(
        *(
            ("exports", f"A{n}", "2026-10-05 10:00", f"client{n}@example.com", "manual")
            for n in range(6)
        ),
        ("google", "g-3", "2026-10-05 10:00", "Client3@example.com ", None),
        ("exports", "B1", "2026-10-05 11:00", "ann@example.com", "manual"),
        ("exports", "B2", "2026-10-05 11:00", "ann@example.com", "manual"),
    )
    kept = one_per_booking(frame)
    assert list(kept["source_id"]) == ["A0", "A1", "A2", "A3", "A4", "A5", "B1", "B2"]


def test_a_frame_that_cannot_hold_a_copy_is_told_apart_before_any_attendee_is_read() -> None:
    one_source = _rows(
        ("exports", "A1", "2026-10-05 10:00", "ann@example.com", "booking_link"),
        ("exports", "A2", "2026-10-05 10:00", "ann@example.com", "manual"),
    )
    assert not _may_hold_copies(one_source)
    assert one_per_booking(one_source) is one_source
    # Each of these could hold one: a second source, a missing source (not known to be the
    # same), a row of unknown origin beside a booking link, a row naming its copy.
    second_source = one_source.assign(source=["exports", "google"])
    no_source = one_source.assign(source=["exports", None])
    unknown_beside_link = one_source.assign(origin=["booking_link", "unknown"])
    naming = one_source.assign(mirror_id=[None, "A1"])
    for frame in (second_source, no_source, unknown_beside_link, naming):
        assert _may_hold_copies(frame)
