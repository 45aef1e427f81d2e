"""Scheduling sources end to end: a scan over Radicale or a fake API finds the planted work."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import responses
from caldav.davclient import DAVClient
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from config.loader import parse_config
from config.models import AppConfig
from connectors.base import Connector, ConnectorContext
from connectors.caldav_calendar import CaldavConnector
from connectors.calendly import CalendlyConnector
from connectors.google_calendar import GoogleCalendarConnector
from connectors.http import RetryPolicy, TokenBucket
from connectors.msgraph_calendar import MsGraphCalendarConfig, MsGraphCalendarConnector
from connectors.oauth import CredentialStore, TokenSet, load_cipher
from connectors.sync import sync_connector
from tests.connectors import fake_calendly
from tests.connectors.fake_google import BASE as GOOGLE_BASE
from tests.connectors.fake_google import FakeGoogle, event
from tests.connectors.fake_msgraph import BASE as GRAPH_BASE
from tests.connectors.fake_msgraph import DELTA as GRAPH_DELTA
from tests.connectors.fake_msgraph import FakeGraph, graph_event
from tests.connectors.radicale_server import radicale_server
from tests.connectors.test_caldav_calendar import vcalendar
from worker import Worker

LONDON = ZoneInfo("Europe/London")
#: The fixed "today at noon" of every test here: the connectors' clock, the scan's as-of
#: date and the anchor of every planted appointment (a Wednesday, away from clock changes).
NOW = datetime(2026, 6, 17, 12, tzinfo=UTC)
CONFIG = """\
business: {{id: clinic, name: Heron Physio, timezone: Europe/London, currency: GBP}}
storage: {{url: "sqlite:///store.db"}}
connectors:
{connectors}
goals:
  - {{id: time, name: Less admin, objective: owner_time}}
  - {{id: revenue, name: Fill the diary, objective: revenue}}
"""


def tuesdays_at_ten(weeks: int) -> list[datetime]:
    """The last ``weeks`` Tuesdays at 10:00 London time, oldest first, as UTC."""
    today = NOW.astimezone(LONDON).date()
    last = today - timedelta(days=(today.weekday() - 1) % 7 or 7)
    days = [last - timedelta(weeks=n) for n in range(weeks)][::-1]
    return [datetime(d.year, d.month, d.day, 10, tzinfo=LONDON).astimezone(UTC) for d in days]


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def clinic_diary() -> list[str]:
    """iCalendar objects: one client booked by hand weekly, one proper series, many no-shows."""
    objects = []
    for n, start in enumerate(tuesdays_at_ten(10)):
        objects.append(
            vcalendar(
                f"UID:gail-{n}\nDTSTART:{stamp(start)}\nDTEND:{stamp(start + timedelta(hours=1))}\n"
                "SUMMARY:Physio\nATTENDEE;CN=Gail Hart:mailto:gail@example.com"
            )
        )
    first = tuesdays_at_ten(10)[0] + timedelta(days=2, hours=1)
    objects.append(
        vcalendar(
            f"UID:hal-series\nDTSTART:{stamp(first)}\nDTEND:{stamp(first + timedelta(hours=1))}\n"
            "RRULE:FREQ=WEEKLY;COUNT=10\nSUMMARY:Physio\n"
            "ATTENDEE;CN=Hal Ince:mailto:hal@example.com"
        )
    )
    for n in range(30):
        start = NOW - timedelta(days=2 + 3 * n, hours=n % 5)
        missed = "CATEGORIES:No-Show\n" if n % 5 < 2 else ""
        objects.append(
            vcalendar(
                f"UID:visit-{n}\nDTSTART:{stamp(start)}\n"
                f"DTEND:{stamp(start + timedelta(hours=1))}\n{missed}SUMMARY:Assessment\n"
                f"ATTENDEE;CN=Client {n}:mailto:client{n}@example.com"
            )
        )
    return objects


def clinic(engine: Engine) -> ConnectorContext:
    return ConnectorContext(
        business="clinic", timezone="Europe/London", currency="GBP", engine=engine
    )


def scan(engine: Engine, app: AppConfig, connector: Connector) -> tuple[int, dict[str, set[str]]]:
    """Sync ``connector`` and process the business, both at ``NOW``: (rows inserted, findings)."""
    synced = sync_connector(engine, connector, now=lambda: NOW)
    assert synced.ok, synced.error
    worker = Worker([app], engine=engine, as_of=NOW, clock=lambda: NOW)
    return synced.stats.inserted, findings(worker.process(app).document)


def findings(document: dict[str, Any] | None) -> dict[str, set[str]]:
    """Subject names per finding kind in a recommendations document."""
    assert document is not None
    found: dict[str, set[str]] = {}
    for item in document["recommendations"]:
        found.setdefault(item["kind"], set()).add(str(item["subject"]["name"]))
    return found


@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[str]:
    with radicale_server(tmp_path / "radicale", auth_delay_seconds=0) as url:
        yield url


def test_a_scan_over_radicale_finds_manual_scheduling_and_no_shows(
    tmp_path: Path, engine: Engine, radicale: str
) -> None:
    with DAVClient(url=radicale, username="clinic", password="pw") as client:
        principal: Any = client.principal()  # type: ignore[no-untyped-call]
        calendar = principal.make_calendar(name="Clinic", cal_id=f"c{uuid.uuid4().hex[:6]}")
        for text in clinic_diary():
            calendar.save_event(text)
    connectors = (
        f"  - {{name: diary, type: caldav, url: '{radicale}', username: clinic, password: pw}}"
    )
    config = parse_config(CONFIG.format(connectors=connectors), base_dir=tmp_path)
    connector = CaldavConnector(config.connectors[0], clinic(engine), clock=lambda: NOW)
    _, found = scan(engine, config, connector)
    assert "Gail Hart" in " ".join(found["manual_scheduling"])
    # The RRULE series is already automated; it must not be reported as booked by hand.
    assert "Hal Ince" not in " ".join(found["manual_scheduling"])
    assert found["no_show_reminders"] == {"Clinic"}


def calendly_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def test_a_scan_over_calendly_finds_one_off_bookings_and_no_shows(
    tmp_path: Path, engine: Engine
) -> None:
    """Gail is booked as a one-off meeting every week; Hal books himself through the link."""
    api = fake_calendly.FakeCalendly()

    def book(uid: str, start: datetime, email: str, name: str, kind: str, no_show: bool) -> None:
        missed = {"uri": "https://api.calendly.com/invitee_no_shows/x", "created_at": "x"}
        api.book(
            fake_calendly.scheduled_event(
                uid,
                calendly_time(start),
                calendly_time(start + timedelta(hours=1)),
                event_type=f"https://api.calendly.com/event_types/{kind}",
            ),
            fake_calendly.invitee(uid, email, name, no_show=missed if no_show else None),
        )

    for n, start in enumerate(tuesdays_at_ten(10)):
        # Calendly makes one ad hoc event type per one-off meeting.
        api.event_types[f"ONEOFF{n}"] = fake_calendly.event_type(f"ONEOFF{n}", adhoc=True)
        book(f"GAIL{n}", start, "gail@example.com", "Gail Hart", f"ONEOFF{n}", no_show=False)
        later = start + timedelta(days=1, hours=4)
        book(f"HAL{n}", later, "hal@example.com", "Hal Ince", "ET1", no_show=False)
    for n in range(30):
        start = NOW - timedelta(days=n, hours=n % 4)
        book(f"EV{n:03d}", start, f"c{n}@example.com", f"C{n}", "ET1", no_show=n % 5 < 2)
    connectors = (
        f"  - {{name: bookings, type: calendly, token: pat-secret-123456,"
        f" base_url: '{fake_calendly.BASE}'}}"
    )
    config = parse_config(CONFIG.format(connectors=connectors), base_dir=tmp_path)
    connector = CalendlyConnector(config.connectors[0], clinic(engine), clock=NOW.timestamp)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        api.install(mock)
        inserted, found = scan(engine, config, connector)
    assert inserted == 50
    # One-off meetings are set up by hand; booking-link bookings are not hand work.
    assert found["manual_scheduling"] == {"Gail Hart"}
    # A booking link does not prove reminders go out: its no-shows count.
    assert found["no_show_reminders"] == {"calendly"}
    event_type_reads = [r for r in api.requests if "/event_types/" in str(r.url)]
    assert len(event_type_reads) == 11  # ten one-off meetings and the public event type


def test_google_appointments_carry_what_the_scheduling_detectors_need(
    tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker scan over the fake Google API, with the OAuth tokens in the store."""
    monkeypatch.setenv("BUSYWORK_SECRET_KEYS", Fernet.generate_key().decode())
    CredentialStore(engine, load_cipher()).save(
        "clinic", "gcal", TokenSet("ya29.a", "1//r", NOW.timestamp() + 1e6), expected_version=None
    )
    api = FakeGoogle()
    for n, start in enumerate(tuesdays_at_ten(10)):
        api.put(event(f"gail{n}", start.isoformat(), attendee="gail@example.com", name="Gail Hart"))
    for n in range(30):
        start = NOW - timedelta(days=2 + 3 * n)
        title = "No-show: assessment" if n % 5 < 2 else "Assessment"
        api.put(
            event(
                f"v{n}",
                start.isoformat(),
                attendee=f"c{n}@example.com",
                name=f"C{n}",
                summary=title,
            )
        )
    connectors = (
        "  - {name: gcal, type: google_calendar, client_id: id, client_secret: secret,"
        f" calendar_id: primary, base_url: '{GOOGLE_BASE}'}}"
    )
    app = parse_config(CONFIG.format(connectors=connectors), base_dir=tmp_path)
    connector = GoogleCalendarConnector(app.connectors[0], clinic(engine), clock=NOW.timestamp)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        api.install(mock)
        _, found = scan(engine, app, connector)
    assert found["manual_scheduling"] == {"Gail Hart"}
    assert found["no_show_reminders"] == {"primary"}


def test_microsoft_365_appointments_carry_what_the_scheduling_detectors_need(
    tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Synced with a fixed clock (the delta window follows it), then processed by the worker."""
    monkeypatch.setenv("BUSYWORK_SECRET_KEYS", Fernet.generate_key().decode())
    CredentialStore(engine, load_cipher()).save(
        "clinic", "outlook", TokenSet("eyJ0.a", "r", NOW.timestamp() + 1e6), expected_version=None
    )
    api = FakeGraph()

    def booked(event_id: str, start: datetime, email: str, name: str, **extra: Any) -> None:
        body = graph_event(event_id, start.strftime("%Y-%m-%dT%H:%M:%S"), **extra)
        body["attendees"][0]["emailAddress"] = {"name": name, "address": email}
        api.put(body)

    for n, start in enumerate(tuesdays_at_ten(10)):
        booked(f"gail{n}", start, "gail@example.com", "Gail Hart")
    for n in range(30):
        missed = ["No-show"] if n % 5 < 2 else []
        booked(
            f"v{n}",
            NOW - timedelta(days=2 + 3 * n),
            f"c{n}@example.com",
            f"C{n}",
            categories=missed,
        )
    config = MsGraphCalendarConfig(
        name="outlook", client_id="id", client_secret=SecretStr("secret"), base_url=GRAPH_BASE
    )
    connector = MsGraphCalendarConnector(
        config,
        clinic(engine),
        limiter=TokenBucket(1e6, 1e6),
        retry=RetryPolicy(max_attempts=2, base_delay_s=0.0),
        clock=NOW.timestamp,
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback("GET", GRAPH_DELTA, callback=api)
        assert sync_connector(engine, connector).ok
    app = parse_config(
        CONFIG.replace("connectors:\n{connectors}\n", "").format(), base_dir=tmp_path
    )
    found = findings(Worker([app], engine=engine, as_of=NOW).process(app).document)
    assert found["manual_scheduling"] == {"Gail Hart"}
    assert found["no_show_reminders"] == {"me"}
