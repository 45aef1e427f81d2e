"""The Calendly connector against a fake API shaped by Calendly's OpenAPI spec."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
import sqlalchemy as sa
from pydantic import SecretStr, ValidationError
from sqlalchemy.engine import Engine

from connectors.base import ConnectorContext
from connectors.calendly import CalendlyConfig, CalendlyConnector
from connectors.http import RetryPolicy, TokenBucket
from connectors.sync import SyncResult, load_cursor, sync_connector
from tests.connectors.fake_calendly import (
    BASE,
    ME,
    ORG,
    FakeCalendly,
    event_type,
    invitee,
    scheduled_event,
    spec,
)

TOKEN = "eyJraWQiOiJjYWxlbmRseS1wYXQtdGVzdCJ9"
NOW = 1_772_452_800.0  # 2026-03-02 12:00 UTC


@pytest.fixture
def fake() -> Iterator[FakeCalendly]:
    api = FakeCalendly()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        api.install(mock)
        yield api


def make(*, now: float = NOW, sleeps: list[float] | None = None) -> CalendlyConnector:
    config = CalendlyConfig(
        name="bookings", token=SecretStr(TOKEN), base_url=BASE, page_size=2, lookback_days=30
    )
    return CalendlyConnector(
        config,
        ConnectorContext(business="acme", timezone="Europe/London", currency="GBP"),
        sleep=(sleeps.append if sleeps is not None else lambda _s: None),
        retry=RetryPolicy(max_attempts=3, base_delay_s=0.01),
        limiter=TokenBucket(1000, 1000),
        clock=lambda: now,
    )


def sync(engine: Engine, **options: Any) -> SyncResult:
    result = sync_connector(engine, make(**options))
    assert result.ok, result.error
    return result


def live(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT * FROM appointment")).mappings()
        return {row["source_id"]: dict(row) for row in rows}


def seed(api: FakeCalendly) -> None:
    api.book(
        scheduled_event("OLD1", "2025-06-01T09:00:00.000000Z", "2025-06-01T09:30:00.000000Z"),
        invitee("OLD1", "Ann.Lee@example.com", "Ann Lee"),
    )
    api.book(
        scheduled_event("MISS", "2026-02-28T09:00:00.000000Z", "2026-02-28T09:30:00.000000Z"),
        invitee(
            "MISS",
            "bob@example.com",
            "Bob Stone",
            no_show={"uri": "https://api.calendly.com/invitee_no_shows/N1", "created_at": "x"},
        ),
    )
    api.book(
        scheduled_event(
            "GONE",
            "2026-03-05T09:00:00.000000Z",
            "2026-03-05T09:30:00.000000Z",
            status="canceled",
            updated_at="2026-02-25T08:00:00.000000Z",
            cancellation={
                "canceled_by": "Cy Young",
                "reason": "ill",
                "canceler_type": "invitee",
                "created_at": "2026-02-25T08:00:00.000000Z",
            },
        ),
        invitee("GONE", "cy@example.com", "Cy Young", status="canceled"),
    )
    api.book(
        scheduled_event("NEXT", "2026-03-10T09:00:00.000000Z", "2026-03-10T09:30:00.000000Z"),
        invitee("NEXT", "dee@example.com", "Dee Park"),
    )


def test_full_sync_reads_all_pages_with_invitees_no_shows_and_cancellations(
    engine: Engine, fake: FakeCalendly
) -> None:
    seed(fake)
    result = sync(engine)
    assert result.pages == 2
    found = live(engine)
    assert sorted(found) == ["GONE", "MISS", "NEXT", "OLD1"]
    assert {row["origin"] for row in found.values()} == {"booking_link"}
    assert (found["OLD1"]["attendee_email"], found["OLD1"]["attendee_name"]) == (
        "ann.lee@example.com",
        "Ann Lee",
    )
    assert found["MISS"]["status"] == "no_show"
    assert found["GONE"]["status"] == "cancelled"
    assert str(found["GONE"]["cancelled_at"]).startswith("2026-02-25 08:00")
    assert found["GONE"]["cancelled_by"] == "invitee"
    assert {found[key]["cancelled_by"] for key in ("OLD1", "MISS", "NEXT")} == {None}
    assert found["NEXT"]["status"] == "confirmed"
    first = parse_qs(urlsplit(str(fake.requests[1].url)).query)
    assert first["organization"] == [ORG]
    assert first["sort"] == ["start_time:asc"]
    assert fake.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"
    cursor = load_cursor(engine, "acme", "bookings")
    assert cursor is not None
    assert cursor["mode"] == "window"


def test_later_polls_reread_the_window_and_fetch_invitees_only_when_needed(
    engine: Engine, fake: FakeCalendly
) -> None:
    seed(fake)
    sync(engine)
    before = len(fake.requests)
    quiet = sync(engine)
    assert quiet.stats.events == 0
    calls = [urlsplit(str(r.url)) for r in fake.requests[before:]]
    assert all("OLD1" not in call.path for call in calls)
    listing = parse_qs(calls[0].query)
    assert listing["min_start_time"] == ["2026-01-31T12:00:00.000000Z"]
    # Nothing changed and every ended event was read after its end: only the listing.
    assert [call.path for call in calls] == ["/scheduled_events"] * 2

    # Later, only MISS (ended within the no-show days) is due a no-show re-read.
    before = len(fake.requests)
    sync(engine, now=NOW + 7 * 3600)
    calls = [urlsplit(str(r.url)) for r in fake.requests[before:]]
    assert [call.path for call in calls if call.path.endswith("/invitees")] == [
        "/scheduled_events/MISS/invitees"
    ]

    fake.events["NEXT"].update(status="canceled", updated_at="2026-03-02T10:00:00.000000Z")
    fake.book(
        scheduled_event("NEW1", "2026-03-11T09:00:00.000000Z", "2026-03-11T09:30:00.000000Z"),
        invitee("NEW1", "eve@example.com", "Eve Moss"),
    )
    result = sync(engine)
    assert (result.stats.inserted, result.stats.updated) == (1, 1)
    assert live(engine)["NEXT"]["status"] == "cancelled"


def test_an_interrupted_full_listing_resumes_at_the_last_start_time(
    engine: Engine, fake: FakeCalendly
) -> None:
    seed(fake)
    first = sync_connector(engine, make(), should_stop=lambda: True)
    assert first.pages == 1
    cursor = load_cursor(engine, "acme", "bookings")
    assert cursor is not None
    assert (cursor["mode"], cursor["after"]) == ("full", "2026-02-28T09:00:00.000000Z")
    before = len(fake.requests)
    rest = sync(engine)
    resumed = parse_qs(urlsplit(str(fake.requests[before].url)).query)
    assert resumed["min_start_time"] == ["2026-02-28T09:00:00.000000Z"]
    # The boundary event comes again and changes nothing; the rest is new.
    assert (rest.stats.inserted, rest.stats.updated) == (2, 0)
    assert len(live(engine)) == 4


def test_who_cancelled_comes_from_the_event_or_else_the_invitee(
    engine: Engine, fake: FakeCalendly
) -> None:
    called_off = {"canceled_by": "Owner", "reason": "ill", "canceler_type": "host"}
    fake.book(
        scheduled_event(
            "HOST",
            "2026-02-20T09:00:00.000000Z",
            "2026-02-20T09:30:00.000000Z",
            status="canceled",
            cancellation=called_off,
        ),
        invitee("HOST", "gil@example.com", "Gil Moss", status="canceled"),
    )
    fake.book(
        scheduled_event(
            "ONLY",
            "2026-02-21T09:00:00.000000Z",
            "2026-02-21T09:30:00.000000Z",
            status="canceled",
        ),
        invitee(
            "ONLY",
            "hal@example.com",
            "Hal Ince",
            status="canceled",
            cancellation={**called_off, "canceler_type": "invitee", "canceled_by": "Hal Ince"},
        ),
    )
    sync(engine)
    found = live(engine)
    assert (found["HOST"]["status"], found["HOST"]["cancelled_by"]) == ("cancelled", "host")
    assert (found["ONLY"]["status"], found["ONLY"]["cancelled_by"]) == ("cancelled", "invitee")


def test_one_off_meetings_are_manual_and_each_event_type_is_read_once(
    engine: Engine, fake: FakeCalendly
) -> None:
    fake.event_types["ADHOC1"] = event_type("ADHOC1", adhoc=True)
    fake.event_types["ADHOC2"] = event_type("ADHOC2", adhoc=True)
    types = {"A1": "ADHOC1", "A2": "ADHOC2", "P1": "ET1", "A3": "ADHOC1", "P2": "ET1", "X": "DEL"}
    for day, (uuid, kind) in enumerate(types.items(), start=10):
        fake.book(
            scheduled_event(
                uuid,
                f"2026-02-{day}T09:00:00.000000Z",
                f"2026-02-{day}T09:30:00.000000Z",
                event_type=f"https://api.calendly.com/event_types/{kind}",
            ),
            invitee(uuid, f"{uuid.lower()}@example.com", "Ann Lee"),
        )
    result = sync(engine)
    assert result.pages == 3
    origins = {key: row["origin"] for key, row in live(engine).items()}
    assert origins == {
        "A1": "manual",
        "A2": "manual",
        "A3": "manual",
        "P1": "booking_link",
        "P2": "booking_link",
        "X": "booking_link",  # the event type is gone (404): no evidence of a hand booking
    }
    read = [urlsplit(str(r.url)).path for r in fake.requests if "/event_types/" in str(r.url)]
    assert sorted(read) == [
        "/event_types/ADHOC1",
        "/event_types/ADHOC2",
        "/event_types/DEL",
        "/event_types/ET1",
    ]


def test_429_and_500_are_retried(engine: Engine, fake: FakeCalendly) -> None:
    seed(fake)
    fake.failures = [(429, {"Retry-After": "4"}), (500, {})]
    sleeps: list[float] = []
    sync(engine, sleeps=sleeps)
    assert sleeps[0] == 4.0
    assert len(sleeps) == 2
    assert len(live(engine)) == 4


def test_the_token_never_appears_in_errors(engine: Engine, fake: FakeCalendly) -> None:
    seed(fake)
    fake.failures = [(500, {})] * 3
    failed = sync_connector(engine, make())
    assert failed.error is not None
    assert failed.error.startswith("RetriableError")
    assert TOKEN not in failed.error


def test_config_needs_a_token_or_an_oauth_app() -> None:
    with pytest.raises(ValidationError, match="personal access token"):
        CalendlyConfig(name="bookings")
    oauth = CalendlyConfig(name="bookings", client_id="c", client_secret=SecretStr("s"))
    assert oauth.token is None


def test_fake_payloads_carry_what_the_spec_requires() -> None:
    document = spec()
    if document is None:
        pytest.skip("shared/vendor/calendly/openapi.yaml is absent beside the repository")
    schemas = document["components"]["schemas"]
    event = scheduled_event("E", "2026-01-01T09:00:00Z", "2026-01-01T09:30:00Z")
    person = invitee("E", "a@example.com", "A B")
    assert set(schemas["Event"]["required"]) <= set(event)
    assert set(event) <= set(schemas["Event"]["properties"])
    assert set(schemas["Invitee"]["required"]) <= set(person)
    assert set(person) <= set(schemas["Invitee"]["properties"])
    assert schemas["Event"]["properties"]["status"]["enum"] == ["active", "canceled"]
    assert set(schemas["Cancellation"]["required"]) <= {"canceled_by", "reason", "canceler_type"}
    assert schemas["Cancellation"]["properties"]["canceler_type"]["enum"] == ["host", "invitee"]
    for adhoc in (False, True):
        kind = event_type("T", adhoc=adhoc)
        assert set(schemas["EventType"]["required"]) <= set(kind)
        assert set(kind) <= set(schemas["EventType"]["properties"])
        assert kind["type"] in schemas["EventType"]["properties"]["type"]["enum"]
    assert "/event_types/{uuid}" in document["paths"]


def test_a_booking_sits_in_its_hosts_calendar_when_calendly_names_the_host(
    engine: Engine, fake: FakeCalendly
) -> None:
    # The spec requires only the host's user URI; Calendly's responses also carry the
    # host's e-mail, which is the calendar the booking is written into.
    fake.book(
        scheduled_event(
            "HOSTED",
            "2026-03-10T09:00:00.000000Z",
            "2026-03-10T09:30:00.000000Z",
            event_memberships=[{"user": ME, "user_email": "jo@clinic.example"}],
        ),
        invitee("HOSTED", "dee@example.com", "Dee Park"),
    )
    fake.book(
        scheduled_event("BARE", "2026-03-11T09:00:00.000000Z", "2026-03-11T09:30:00.000000Z"),
        invitee("BARE", "eve@example.com", "Eve Hart"),
    )
    sync(engine)
    found = live(engine)
    assert found["HOSTED"]["calendar"] == "jo@clinic.example"
    assert found["BARE"]["calendar"] == "calendly"
