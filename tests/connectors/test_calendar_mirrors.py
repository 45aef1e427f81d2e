"""A Calendly booking and the copy Calendly writes into Google Calendar are one booking."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import responses
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from busywork.store.read import load_frames
from busywork.store.records import RecordKind
from connectors.base import ConnectorContext
from connectors.calendar_api import written_by_booking_tool
from connectors.calendly import CalendlyConfig, CalendlyConnector
from connectors.google_calendar import GoogleCalendarConfig, GoogleCalendarConnector
from connectors.http import RetryPolicy, TokenBucket
from connectors.msgraph_calendar import event_origin as msgraph_origin
from connectors.sync import sync_connector
from detectors import ManualSchedulingDetector, NoShowRemindersDetector
from detectors._mirrors import one_per_booking
from detectors.base import DetectionContext
from tests.connectors import fake_calendly, fake_google, fake_msgraph
from tests.connectors.test_google_calendar import TOKEN_URL, connect

KEY = Fernet.generate_key().decode()
NOW = 1_772_452_800.0  # 2026-03-02 12:00 UTC
WEEKS = ("01-06", "01-13", "01-20", "01-27", "02-03", "02-10", "02-17", "02-24")
#: What Calendly writes into the description of the Google event it creates.
CALENDLY_FOOTER = (
    "Event Name: 30 Minute Consultation\n\nNeed to make changes to this event?\n"
    "Cancel: https://calendly.com/cancellations/I-{uuid}\n"
    "Reschedule: https://calendly.com/reschedulings/I-{uuid}\n\nPowered by Calendly.com"
)


@pytest.fixture
def apis(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    monkeypatch.setenv("BUSYWORK_SECRET_KEYS", KEY)
    calendly, google = fake_calendly.FakeCalendly(), fake_google.FakeGoogle()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        calendly.install(mock)
        google.install(mock)
        mock.post(TOKEN_URL, json={"access_token": "ya29.fresh-access", "expires_in": 3600})
        yield calendly, google


def _book_weekly(calendly: Any, google: Any, *, footer: bool = True) -> None:
    """Ann books herself every Tuesday at 10:00 through Calendly; Calendly copies to Google."""
    for week in WEEKS:
        uuid = f"W{week.replace('-', '')}"
        start, end = f"2026-{week}T10:00:00.000000Z", f"2026-{week}T10:30:00.000000Z"
        if calendly is not None:
            calendly.book(
                fake_calendly.scheduled_event(uuid, start, end),
                fake_calendly.invitee(uuid, "ann@example.com", "Ann Lee"),
            )
        extra = {"description": CALENDLY_FOOTER.format(uuid=uuid)} if footer else {}
        # The Google copy's id is the one Calendly reports as calendar_event.external_id.
        google.put(fake_google.event(f"g-{uuid}", f"2026-{week}T10:00:00Z", **extra))


def _sync(engine: Engine, *, with_calendly: bool) -> None:
    retry, limiter = RetryPolicy(max_attempts=2, base_delay_s=0.01), TokenBucket(1000, 1000)
    context = ConnectorContext(
        business="acme", timezone="Europe/London", currency="GBP", engine=engine
    )
    connect(engine)
    google = GoogleCalendarConnector(
        GoogleCalendarConfig(
            name="gcal",
            client_id="client-1.apps.googleusercontent.com",
            client_secret=SecretStr("gcal-client-secret"),
            token_url=TOKEN_URL,
            base_url=fake_google.BASE,
        ),
        context,
        sleep=lambda _s: None,
        retry=retry,
        limiter=limiter,
    )
    connectors: list[Any] = [google]
    if with_calendly:
        calendly = CalendlyConnector(
            CalendlyConfig(
                name="bookings", token=SecretStr("calendly-pat"), base_url=fake_calendly.BASE
            ),
            context,
            sleep=lambda _s: None,
            retry=retry,
            limiter=limiter,
            clock=lambda: NOW,
        )
        connectors.append(calendly)
    for connector in connectors:
        result = sync_connector(engine, connector)
        assert result.ok, result.error


def _frames(engine: Engine) -> Any:
    columns = {
        RecordKind.APPOINTMENT: ManualSchedulingDetector.input_columns()[RecordKind.APPOINTMENT]
        + NoShowRemindersDetector.input_columns()[RecordKind.APPOINTMENT]
    }
    return load_frames(engine, "acme", columns)


CONTEXT = DetectionContext(
    business="acme", as_of=datetime.fromtimestamp(NOW, UTC), timezone="Europe/London"
)


def test_a_calendly_booking_and_its_google_copy_are_one_self_booked_appointment(
    engine: Engine, apis: tuple[Any, Any]
) -> None:
    calendly, google = apis
    _book_weekly(calendly, google)
    _sync(engine, with_calendly=True)
    appointments = _frames(engine)[RecordKind.APPOINTMENT]
    assert len(appointments) == 16  # both copies are stored, linked by mirror_id
    calendly_rows = appointments[appointments["source"] == "bookings"]
    assert set(calendly_rows["mirror_id"]) == set(
        appointments.loc[appointments["source"] == "gcal", "source_id"]
    )
    once = one_per_booking(appointments)
    assert len(once) == 8
    assert set(once["source"]) == {"bookings"}
    assert set(once["origin"]) == {"booking_link"}
    assert ManualSchedulingDetector().detect(_frames(engine), CONTEXT) == []


def test_the_google_copy_alone_is_a_self_booking_not_a_hand_made_one(
    engine: Engine, apis: tuple[Any, Any]
) -> None:
    _, google = apis
    _book_weekly(None, google)
    _sync(engine, with_calendly=False)
    appointments = _frames(engine)[RecordKind.APPOINTMENT]
    assert set(appointments["origin"]) == {"booking_link"}
    assert ManualSchedulingDetector().detect(_frames(engine), CONTEXT) == []


def test_without_the_calendly_signature_the_same_slots_are_manual_scheduling(
    engine: Engine, apis: tuple[Any, Any]
) -> None:
    _, google = apis
    _book_weekly(None, google, footer=False)
    _sync(engine, with_calendly=False)
    (finding,) = ManualSchedulingDetector().detect(_frames(engine), CONTEXT)
    assert finding.subject.id == "ann@example.com"


@pytest.mark.parametrize(
    ("text", "written"),
    [
        (CALENDLY_FOOTER.format(uuid="X1"), True),
        ("<p>Powered by <a href='https://calendly.com'>Calendly</a></p>", False),
        ("<p>Powered by Calendly.com</p>", True),
        ("Book your next session: https://calendly.com/heron/consultation", False),
        (None, False),
    ],
)
def test_only_the_booking_tools_own_text_marks_a_copy(text: str | None, written: bool) -> None:
    assert written_by_booking_tool(text) is written


def test_an_outlook_copy_with_the_calendly_footer_is_self_booked() -> None:
    footer = CALENDLY_FOOTER.format(uuid="X1")
    copy = fake_msgraph.graph_event(
        "AAMkAGI2T", "2026-02-03T10:00:00", body={"contentType": "text", "content": footer}
    )
    typed = fake_msgraph.graph_event("AAMkAGI2U", "2026-02-03T11:00:00")
    assert msgraph_origin(copy, None) == "booking_link"
    assert msgraph_origin(typed, None) == "manual"
    assert msgraph_origin(typed, "series-1") == "recurring"
