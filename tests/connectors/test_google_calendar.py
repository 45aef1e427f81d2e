"""The Google Calendar connector against a fake ``events.list`` shaped by the discovery doc."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import responses
import sqlalchemy as sa
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from connectors.base import ConnectorContext
from connectors.google_calendar import GoogleCalendarConfig, GoogleCalendarConnector
from connectors.http import RetryPolicy, TokenBucket
from connectors.oauth import CredentialStore, TokenSet, load_cipher
from connectors.sync import SyncResult, sync_connector
from tests.connectors.fake_google import BASE, FakeGoogle, discovery, event, queries

TOKEN_URL = "https://oauth.google.test/token"
KEY = Fernet.generate_key().decode()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGoogle]:
    monkeypatch.setenv("BUSYWORK_SECRET_KEYS", KEY)
    api = FakeGoogle()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        api.install(mock)
        mock.post(
            TOKEN_URL,
            json={"access_token": "ya29.fresh-access", "expires_in": 3600},
        )
        yield api


def connect(engine: Engine, *, expires_at: float | None = None) -> None:
    store = CredentialStore(engine, load_cipher())
    tokens = TokenSet("ya29.old-access", "1//refresh-token", expires_at or time.time() + 3600)
    store.save("acme", "gcal", tokens, expected_version=None)


def make(engine: Engine, *, page_size: int = 2, sleeps: list[float] | None = None) -> Any:
    config = GoogleCalendarConfig(
        name="gcal",
        client_id="client-1.apps.googleusercontent.com",
        client_secret=SecretStr("gcal-client-secret"),
        token_url=TOKEN_URL,
        base_url=BASE,
        page_size=page_size,
    )
    return GoogleCalendarConnector(
        config,
        ConnectorContext(business="acme", timezone="Europe/London", currency="GBP", engine=engine),
        sleep=(sleeps.append if sleeps is not None else lambda _s: None),
        retry=RetryPolicy(max_attempts=3, base_delay_s=0.01),
        limiter=TokenBucket(1000, 1000),
    )


def sync(engine: Engine, **options: Any) -> SyncResult:
    result = sync_connector(engine, make(engine, **options))
    assert result.ok, result.error
    return result


def live(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT * FROM appointment WHERE deleted = :no"), {"no": False}
        ).mappings()
        return {row["source_id"]: dict(row) for row in rows}


def seed(api: FakeGoogle) -> None:
    api.put(event("one-off", "2026-02-10T14:00:00Z"))
    for day in ("05", "12", "19"):
        api.put(
            event(
                f"series1_202601{day}T090000Z",
                f"2026-01-{day}T09:00:00+00:00",
                recurringEventId="series1",
                attendee="bob@example.com",
            )
        )
    all_day = event("all-day", "2026-07-04T00:00:00Z", attendee=None)
    api.put({**all_day, "start": {"date": "2026-07-04"}, "end": {"date": "2026-07-05"}})
    api.put(event("declined", "2026-02-11T09:00:00Z", response="declined"))


def test_full_sync_reads_every_page_and_maps_series_attendees_and_all_day(
    engine: Engine, fake: FakeGoogle
) -> None:
    connect(engine)
    seed(fake)
    result = sync(engine)
    assert result.pages == 3
    found = live(engine)
    assert len(found) == 6
    first = found["series1_20260105T090000Z"]
    assert (first["series_id"], first["origin"], first["attendee_email"]) == (
        "series1",
        "recurring",
        "bob@example.com",
    )
    one_off = found["one-off"]
    assert (one_off["origin"], one_off["series_id"], one_off["status"]) == (
        "manual",
        None,
        "confirmed",
    )
    assert (one_off["attendee_email"], one_off["attendee_name"]) == ("ann@example.com", "Ann Lee")
    # The client declined the invitation: cancelled, by the invitee.
    assert (found["declined"]["status"], found["declined"]["cancelled_by"]) == (
        "cancelled",
        "invitee",
    )
    # An all-day date is midnight in the business timezone (BST in July).
    assert str(found["all-day"]["start_at"]).startswith("2026-07-03 23:00")
    assert found["all-day"]["attendee_email"] is None
    sent = list(queries(fake))
    assert [q.get("pageToken") for q in sent] == [None, "2", "4"]
    assert all(q["singleEvents"] == "true" and q["showDeleted"] == "true" for q in sent)
    assert fake.requests[0].headers["Authorization"] == "Bearer ya29.old-access"


def test_incremental_sync_sends_only_the_token_and_applies_changes(
    engine: Engine, fake: FakeGoogle
) -> None:
    connect(engine)
    seed(fake)
    sync(engine)
    before = len(fake.requests)
    nothing = sync(engine)
    assert (nothing.stats.inserted, nothing.stats.updated, nothing.stats.events) == (0, 0, 0)
    assert len(fake.requests) == before + 1
    assert list(queries(fake))[-1]["syncToken"] == "tok-6"

    fake.put(event("one-off", "2026-02-10T15:00:00Z", summary="Moved"))
    fake.put(event("new", "2026-02-12T10:00:00Z"))
    fake.delete("series1_20260112T090000Z")
    result = sync(engine)
    assert (result.stats.inserted, result.stats.updated) == (1, 2)
    found = live(engine)
    assert found["one-off"]["title"] == "Moved"
    cancelled = found["series1_20260112T090000Z"]
    assert cancelled["status"] == "cancelled"
    assert str(cancelled["cancelled_at"]).startswith("2026-03-01 09:00")
    assert cancelled["series_id"] == "series1"
    # Removed from the organiser's calendar: Google does not say at whose request.
    assert cancelled["cancelled_by"] is None


def test_410_relists_everything_without_duplicates_and_finds_deletions(
    engine: Engine, fake: FakeGoogle
) -> None:
    connect(engine)
    seed(fake)
    sync(engine)
    fake.expired.add("tok-6")
    # Deleted while the token was dead: the fresh listing simply lacks it.
    del fake.events["one-off"]
    fake.put(event("late", "2026-02-13T10:00:00Z"))
    result = sync(engine)
    assert (result.stats.inserted, result.stats.updated, result.stats.deleted) == (1, 0, 1)
    assert sorted(live(engine)) == sorted(
        [
            "series1_20260105T090000Z",
            "series1_20260112T090000Z",
            "series1_20260119T090000Z",
            "all-day",
            "declined",
            "late",
        ]
    )
    sent = list(queries(fake))
    assert "syncToken" in sent[-4]
    assert all("syncToken" not in q for q in sent[-3:])
    with engine.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM appointment")).scalar_one()
    assert count == 7  # six live and one deleted, no duplicates


def test_429_and_503_are_retried_honouring_retry_after(engine: Engine, fake: FakeGoogle) -> None:
    connect(engine)
    seed(fake)
    fake.failures = [
        (429, {"Retry-After": "7"}, {"error": {"code": 429, "message": "slow down"}}),
        (503, {}, {"error": {"code": 503, "message": "backend error"}}),
    ]
    sleeps: list[float] = []
    result = sync(engine, sleeps=sleeps)
    assert len(live(engine)) == 6
    assert result.pages == 3
    assert sleeps[0] == 7.0
    assert len(sleeps) == 2


def test_quota_403_is_retried_and_persistent_5xx_fails_without_moving_the_cursor(
    engine: Engine, fake: FakeGoogle
) -> None:
    connect(engine)
    seed(fake)
    quota = {"error": {"code": 403, "errors": [{"reason": "rateLimitExceeded"}], "message": "q"}}
    fake.failures = [(403, {}, quota)]
    sync(engine)
    fake.put(event("new", "2026-02-12T10:00:00Z"))
    fake.failures = [(500, {}, {})] * 3
    failed = sync_connector(engine, make(engine))
    assert failed.error is not None
    assert failed.error.startswith("RetriableError")
    assert "new" not in live(engine)
    assert sync(engine).stats.inserted == 1


def test_an_expired_access_token_is_refreshed_and_secrets_stay_out_of_errors(
    engine: Engine, fake: FakeGoogle
) -> None:
    connect(engine, expires_at=1.0)
    seed(fake)
    sync(engine)
    assert fake.requests[0].headers["Authorization"] == "Bearer ya29.fresh-access"
    fake.failures = [(400, {}, {"error": {"message": "bad ya29.fresh-access"}})]
    failed = sync_connector(engine, make(engine))
    assert failed.error is not None
    assert "FatalError" in failed.error
    assert "ya29.fresh-access" not in failed.error


def test_fake_payloads_use_only_fields_of_the_discovery_doc() -> None:
    doc = discovery()
    if doc is None:
        pytest.skip("shared/vendor/google/calendar.v3.json is absent beside the repository")
    schemas = doc["schemas"]
    sample = event("x", "2026-02-10T14:00:00Z", recurringEventId="s")
    assert set(sample) <= set(schemas["Event"]["properties"])
    assert set(sample["start"]) <= set(schemas["EventDateTime"]["properties"])
    for person in sample["attendees"]:
        assert set(person) <= set(schemas["EventAttendee"]["properties"])
    enum = schemas["EventAttendee"]["properties"]["responseStatus"]
    assert "declined" in enum.get("description", "")
