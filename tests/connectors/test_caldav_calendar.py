"""The CalDAV connector against a real Radicale server on a loopback port."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from caldav.collection import Calendar
from caldav.davclient import DAVClient
from sqlalchemy.engine import Engine

from connectors.base import ConnectorContext
from connectors.caldav_calendar import CaldavConfig, CaldavConnector
from connectors.sync import SyncResult, load_cursor, sync_connector
from tests.connectors.radicale_server import free_port, radicale_server

CONTEXT = ConnectorContext(business="acme", timezone="Europe/London", currency="GBP")
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
BERLIN = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:STANDARD
DTSTART:19701025T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
END:VTIMEZONE
"""


def vcalendar(*events: str, timezone: str = "") -> str:
    """One iCalendar object holding ``events`` (VEVENT bodies without BEGIN/END)."""
    body = "".join(f"BEGIN:VEVENT\n{event.strip()}\nEND:VEVENT\n" for event in events)
    head = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//busywork//tests//EN\n"
    return f"{head}{timezone}{body}END:VCALENDAR\n"


def one_off(uid: str, start: str, *, extra: str = "", summary: str = "Session") -> str:
    """A one-hour event at ``start`` (UTC, ``YYYYMMDDTHHMMSS``) with one outside attendee."""
    end = (datetime.strptime(start, "%Y%m%dT%H%M%S") + timedelta(hours=1)).strftime("%Y%m%dT%H%M%S")
    return vcalendar(
        f"""UID:{uid}
DTSTAMP:20260101T000000Z
DTSTART:{start}Z
DTEND:{end}Z
SUMMARY:{summary}
ORGANIZER;CN=Owner:mailto:owner@clinic.example
ATTENDEE;CN=Owner:mailto:owner@clinic.example
ATTENDEE;CUTYPE=ROOM;CN=Room 1:mailto:room1@clinic.example
ATTENDEE;CN=Ann Lee;PARTSTAT=ACCEPTED:mailto:Ann.Lee@example.com
{extra}"""
    )


WEEKLY = vcalendar(
    """UID:series-1
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Berlin:20260105T090000
DTEND;TZID=Europe/Berlin:20260105T100000
RRULE:FREQ=WEEKLY;COUNT=5
EXDATE;TZID=Europe/Berlin:20260112T090000
SUMMARY:Weekly physio
ATTENDEE;CN=Bob Stone:mailto:bob@example.com""",
    """UID:series-1
DTSTAMP:20260101T000000Z
RECURRENCE-ID;TZID=Europe/Berlin:20260119T090000
DTSTART;TZID=Europe/Berlin:20260119T110000
DTEND;TZID=Europe/Berlin:20260119T120000
STATUS:CANCELLED
LAST-MODIFIED:20260110T080000Z
SUMMARY:Weekly physio""",
    timezone=BERLIN,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with radicale_server(tmp_path_factory.mktemp("radicale"), auth_delay_seconds=0) as url:
        yield url


@pytest.fixture
def calendar(server: str) -> Iterator[Calendar]:
    """A fresh calendar of its own for every test (the server is shared by the module)."""
    with DAVClient(url=server, username="alice", password="x") as client:
        name = f"cal-{uuid.uuid4().hex[:8]}"
        principal: Any = client.principal()  # type: ignore[no-untyped-call]
        yield principal.make_calendar(name=name, cal_id=name)


def delete_event(calendar: Calendar, uid: str) -> None:
    """Delete the event ``uid`` on the server."""
    found: Any = calendar.event_by_uid(uid)
    found.delete()


def connector(server: str, calendar: Calendar, **options: Any) -> CaldavConnector:
    config = CaldavConfig(
        name="calendar",
        url=server,
        username="alice",
        password="x",
        calendars=(calendar.get_display_name(),),
        owner_emails=("owner@clinic.example",),
        **options,
    )
    return CaldavConnector(config, CONTEXT, clock=lambda: NOW)


def appointments(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT * FROM appointment WHERE deleted = :no ORDER BY source_id"),
            {"no": False},
        ).mappings()
        return {row["source_id"]: dict(row) for row in rows}


def event_types(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        return [
            (row.type, row.source_id)
            for row in connection.execute(sa.text("SELECT type, source_id FROM event ORDER BY id"))
        ]


def sync(engine: Engine, source: CaldavConnector) -> SyncResult:
    result = sync_connector(engine, source, now=lambda: NOW)
    assert result.ok, result.error
    return result


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=None)


def test_full_sync_maps_one_offs_series_time_zones_and_cancellations(
    engine: Engine, server: str, calendar: Calendar
) -> None:
    calendar.save_event(one_off("visit-1", "20260210T140000"))
    calendar.save_event(WEEKLY)
    calendar.save_event(
        one_off(
            "visit-2", "20260211T090000", extra="STATUS:CANCELLED\nLAST-MODIFIED:20260209T100000Z"
        )
    )
    calendar.save_event(
        vcalendar("UID:floating\nDTSTAMP:20260101T000000Z\nDTSTART:20260701T090000\nDURATION:PT30M")
    )
    calendar.save_event(
        vcalendar("UID:day-off\nDTSTAMP:20260101T000000Z\nDTSTART;VALUE=DATE:20260704\nSUMMARY:Off")
    )
    result = sync(engine, connector(server, calendar))
    found = appointments(engine)
    assert sorted(found) == [
        "day-off",
        "floating",
        "series-1/20260105T080000Z",
        "series-1/20260119T080000Z",
        "series-1/20260126T080000Z",
        "series-1/20260202T080000Z",
        "visit-1",
        "visit-2",
    ]
    assert result.stats.inserted == 8
    visit = found["visit-1"]
    assert (visit["attendee_email"], visit["attendee_name"]) == ("ann.lee@example.com", "Ann Lee")
    assert (visit["origin"], visit["series_id"], visit["status"]) == ("manual", None, "confirmed")
    assert visit["calendar"] == calendar.get_display_name()
    assert utc(str(visit["start_at"])) == datetime(2026, 2, 10, 14, 0)
    first = found["series-1/20260105T080000Z"]
    # 09:00 in Berlin in winter is 08:00 UTC.
    assert utc(str(first["start_at"])) == datetime(2026, 1, 5, 8, 0)
    assert (first["series_id"], first["origin"]) == ("series-1", "recurring")
    assert first["attendee_email"] == "bob@example.com"
    moved = found["series-1/20260119T080000Z"]
    assert moved["status"] == "cancelled"
    assert utc(str(moved["start_at"])) == datetime(2026, 1, 19, 10, 0)
    assert utc(str(moved["cancelled_at"])) == datetime(2026, 1, 10, 8, 0)
    assert found["visit-2"]["status"] == "cancelled"
    assert utc(str(found["visit-2"]["cancelled_at"])) == datetime(2026, 2, 9, 10, 0)
    # Floating times and all-day dates are read in the business timezone (BST in July).
    assert utc(str(found["floating"]["start_at"])) == datetime(2026, 7, 1, 8, 0)
    assert utc(str(found["floating"]["end_at"])) == datetime(2026, 7, 1, 8, 30)
    assert utc(str(found["day-off"]["start_at"])) == datetime(2026, 7, 3, 23, 0)
    assert utc(str(found["day-off"]["end_at"])) == datetime(2026, 7, 4, 23, 0)


@pytest.mark.parametrize("incremental", ["auto", "etag"])
def test_incremental_sync_sees_exactly_the_created_changed_and_deleted_events(
    engine: Engine, server: str, calendar: Calendar, incremental: str
) -> None:
    calendar.save_event(one_off("keep", "20260210T140000"))
    calendar.save_event(one_off("change", "20260211T140000"))
    calendar.save_event(one_off("drop", "20260212T140000"))
    calendar.save_event(WEEKLY)
    sync(engine, connector(server, calendar, incremental=incremental))
    mode = load_cursor(engine, "acme", "calendar")
    assert mode is not None
    tokens = {state["token"] for state in mode["calendars"].values()}
    assert (tokens == {"etag"}) == (incremental == "etag")

    again = sync(engine, connector(server, calendar, incremental=incremental))
    assert (again.pages, again.stats.events) == (0, 0)

    before = len(event_types(engine))
    calendar.save_event(one_off("change", "20260211T150000", summary="Moved"))
    delete_event(calendar, "drop")
    delete_event(calendar, "series-1")
    calendar.save_event(one_off("new", "20260213T140000"))
    result = sync(engine, connector(server, calendar, incremental=incremental))
    assert (result.stats.inserted, result.stats.updated, result.stats.deleted) == (1, 1, 5)
    assert sorted(event_types(engine)[before:]) == sorted(
        [
            ("appointment.created", "new"),
            ("appointment.updated", "change"),
            ("appointment.deleted", "drop"),
            *(
                ("appointment.deleted", f"series-1/{day}")
                for day in (
                    "20260105T080000Z",
                    "20260119T080000Z",
                    "20260126T080000Z",
                    "20260202T080000Z",
                )
            ),
        ]
    )
    found = appointments(engine)
    assert sorted(found) == ["change", "keep", "new"]
    assert found["change"]["title"] == "Moved"
    assert utc(str(found["change"]["start_at"])) == datetime(2026, 2, 11, 15, 0)


def test_a_series_losing_instances_deletes_exactly_those(
    engine: Engine, server: str, calendar: Calendar
) -> None:
    calendar.save_event(WEEKLY)
    sync(engine, connector(server, calendar))
    calendar.save_event(WEEKLY.replace("COUNT=5", "COUNT=3"))
    result = sync(engine, connector(server, calendar))
    assert result.stats.deleted == 2
    assert sorted(appointments(engine)) == [
        "series-1/20260105T080000Z",
        "series-1/20260119T080000Z",
    ]


def test_an_expired_sync_token_lists_everything_again_without_duplicates(
    engine: Engine, server: str, calendar: Calendar
) -> None:
    calendar.save_event(one_off("a", "20260210T140000"))
    calendar.save_event(one_off("b", "20260211T140000"))
    sync(engine, connector(server, calendar))
    cursor = load_cursor(engine, "acme", "calendar")
    assert cursor is not None
    for state in cursor["calendars"].values():
        state["token"] = "http://radicale.org/ns/sync/" + "0" * 64
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE connector_state SET cursor = :c"),
            {"c": json.dumps(cursor)},
        )
    delete_event(calendar, "b")
    result = sync(engine, connector(server, calendar))
    assert (result.stats.inserted, result.stats.updated, result.stats.deleted) == (0, 0, 1)
    assert sorted(appointments(engine)) == ["a"]


def test_the_expansion_window_follows_the_clock(
    engine: Engine, server: str, calendar: Calendar
) -> None:
    calendar.save_event(
        vcalendar(
            "UID:monthly\nDTSTAMP:20260101T000000Z\nDTSTART:20260105T090000Z\n"
            "DTEND:20260105T100000Z\nRRULE:FREQ=MONTHLY"
        )
    )
    source = connector(server, calendar, expand_past_days=10, expand_future_days=40)
    sync(engine, source)
    assert sorted(appointments(engine)) == ["monthly/20260305T090000Z", "monthly/20260405T090000Z"]
    later = connector(server, calendar, expand_past_days=10, expand_future_days=40)
    later._clock = lambda: NOW + timedelta(days=31)
    result = sync(engine, later)
    # May's instance arrives; March's stays as history though it left the window.
    assert (result.stats.inserted, result.stats.deleted) == (1, 0)
    assert sorted(appointments(engine)) == [
        "monthly/20260305T090000Z",
        "monthly/20260405T090000Z",
        "monthly/20260505T090000Z",
    ]


def test_no_show_categories_and_tentative_status(
    engine: Engine, server: str, calendar: Calendar
) -> None:
    calendar.save_event(one_off("missed", "20260210T140000", extra="CATEGORIES:Physio,No-Show"))
    calendar.save_event(one_off("maybe", "20260211T140000", extra="STATUS:TENTATIVE"))
    sync(engine, connector(server, calendar))
    found = appointments(engine)
    assert (found["missed"]["status"], found["maybe"]["status"]) == ("no_show", "tentative")


def test_an_unknown_calendar_name_lists_the_calendars(
    engine: Engine, server: str, calendar: Calendar
) -> None:
    config = CaldavConfig(
        name="calendar", url=server, username="alice", password="x", calendars=("Nope",)
    )
    result = sync_connector(engine, CaldavConnector(config, CONTEXT))
    assert result.error is not None
    assert "FatalError" in result.error
    assert "no calendar 'Nope'" in result.error
    assert str(calendar.get_display_name()) in result.error


def test_an_unreachable_server_is_a_retriable_failure(engine: Engine) -> None:
    config = CaldavConfig(
        name="calendar", url=f"http://127.0.0.1:{free_port()}/", username="alice", password="pw1"
    )
    result = sync_connector(engine, CaldavConnector(config, CONTEXT))
    assert result.error is not None
    assert result.error.startswith("RetriableError")
    assert "pw1" not in result.error


def test_config_rejects_a_url_that_is_not_http() -> None:
    with pytest.raises(ValueError, match="not an http"):
        CaldavConfig(name="calendar", url="ftp://example.com/")


def test_registered_and_loadable_from_yaml(tmp_path: Path) -> None:
    from config.loader import parse_config
    from tests.factories import MINIMAL_CONFIG

    text = MINIMAL_CONFIG + (
        "connectors:\n  - {name: cal, type: caldav, url: 'https://dav.example.com/', "
        "username: me, password: secret, calendars: [Work]}\n"
    )
    config = parse_config(text, base_dir=tmp_path)
    entry = config.connectors[0]
    assert isinstance(entry, CaldavConfig)
    assert entry.calendars == ("Work",)
