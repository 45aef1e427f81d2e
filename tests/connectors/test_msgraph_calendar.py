"""The Microsoft Graph calendar connector against a fake ``calendarView/delta``."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
import sqlalchemy as sa
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from connectors.base import ConnectorContext
from connectors.http import RetryPolicy, TokenBucket
from connectors.msgraph_calendar import MsGraphCalendarConfig, MsGraphCalendarConnector
from connectors.oauth import CredentialStore, TokenSet, load_cipher
from connectors.sync import SyncResult, load_cursor, sync_connector
from tests.connectors.fake_msgraph import BASE, DELTA, VENDOR, FakeGraph, graph_event

VENDOR_BASE = "https://graph.microsoft.com/v1.0"
KEY = Fernet.generate_key().decode()
NOW = 1_772_452_800.0  # 2026-03-02 12:00 UTC


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGraph]:
    monkeypatch.setenv("BUSYWORK_SECRET_KEYS", KEY)
    api = FakeGraph()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback("GET", DELTA, callback=api)
        yield api


def make(
    engine: Engine, *, base: str = BASE, sleeps: list[float] | None = None, now: float = NOW
) -> MsGraphCalendarConnector:
    store = CredentialStore(engine, load_cipher())
    if store.load("acme", "outlook") is None:
        tokens = TokenSet("eyJ0-graph-access", "graph-refresh", time.time() + 3600)
        store.save("acme", "outlook", tokens, expected_version=None)
    config = MsGraphCalendarConfig(
        name="outlook",
        client_id="app-1",
        client_secret=SecretStr("graph-client-secret"),
        base_url=base,
        page_size=2,
        owner_emails=("owner@clinic.example",),
    )
    return MsGraphCalendarConnector(
        config,
        ConnectorContext(business="acme", timezone="Europe/London", currency="GBP", engine=engine),
        sleep=(sleeps.append if sleeps is not None else lambda _s: None),
        retry=RetryPolicy(max_attempts=3, base_delay_s=0.01),
        limiter=TokenBucket(1000, 1000),
        clock=lambda: now,
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


def seed(api: FakeGraph) -> None:
    api.put(graph_event("one-off", "2026-02-10T14:00:00"))
    for day in ("05", "12"):
        api.put(graph_event(f"occ-{day}", f"2026-01-{day}T09:00:00", seriesMasterId="master-1"))
    api.put(graph_event("missed", "2026-02-11T09:00:00", categories=["No-show", "Physio"]))
    api.put(graph_event("called-off", "2026-02-12T09:00:00", isCancelled=True))


def test_a_declined_invitation_is_cancelled_by_the_invitee(engine: Engine, fake: FakeGraph) -> None:
    body = graph_event("turned-down", "2026-02-13T09:00:00")
    body["attendees"][0]["status"] = {"response": "declined", "time": "2026-02-12T18:00:00Z"}
    fake.put(body)
    sync(engine)
    row = live(engine)["turned-down"]
    assert (row["status"], row["cancelled_by"]) == ("cancelled", "invitee")


def test_a_round_maps_series_no_shows_cancellations_and_keeps_the_delta_link(
    engine: Engine, fake: FakeGraph
) -> None:
    seed(fake)
    result = sync(engine)
    assert result.pages == 3
    found = live(engine)
    assert sorted(found) == ["called-off", "missed", "occ-05", "occ-12", "one-off"]
    assert (found["occ-05"]["series_id"], found["occ-05"]["origin"]) == ("master-1", "recurring")
    assert (found["one-off"]["origin"], found["one-off"]["attendee_email"]) == (
        "manual",
        "ann@example.com",
    )
    assert found["missed"]["status"] == "no_show"
    assert found["called-off"]["status"] == "cancelled"
    assert str(found["called-off"]["cancelled_at"]).startswith("2026-01-02 10:00:00.123456")
    # The organiser cancelled it; Graph does not say at whose request.
    assert found["called-off"]["cancelled_by"] is None
    first = fake.requests[0]
    assert 'outlook.timezone="UTC"' in first.headers["Prefer"]
    query = parse_qs(urlsplit(str(first.url)).query)
    assert query["startDateTime"] == ["2025-03-02T12:00:00Z"]
    assert query["endDateTime"] == ["2026-08-29T12:00:00Z"]
    cursor = load_cursor(engine, "acme", "outlook")
    assert cursor is not None
    assert cursor["delta_link"].endswith("$deltatoken=5")


def test_delta_applies_changes_and_removals_then_asks_nothing_more(
    engine: Engine, fake: FakeGraph
) -> None:
    seed(fake)
    sync(engine)
    nothing = sync(engine)
    assert nothing.stats.events == 0
    fake.put(graph_event("one-off", "2026-02-10T15:00:00", subject="Moved"))
    fake.remove("occ-12")
    fake.put(graph_event("new", "2026-02-20T09:00:00"))
    result = sync(engine)
    assert (result.stats.inserted, result.stats.updated, result.stats.deleted) == (1, 1, 1)
    assert live(engine)["one-off"]["title"] == "Moved"
    assert "occ-12" not in live(engine)


def test_410_starts_a_new_round_without_duplicates_and_finds_deletions(
    engine: Engine, fake: FakeGraph
) -> None:
    seed(fake)
    sync(engine)
    fake.expired.add("5")
    del fake.events["one-off"]  # gone while the token was dead: no @removed for it
    result = sync(engine)
    assert (result.stats.inserted, result.stats.updated, result.stats.deleted) == (0, 0, 1)
    assert sorted(live(engine)) == ["called-off", "missed", "occ-05", "occ-12"]
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM appointment")).scalar_one() == 5


def test_a_window_about_to_run_out_starts_a_new_round_keeping_history(
    engine: Engine, fake: FakeGraph
) -> None:
    seed(fake)
    sync(engine)
    later = NOW + 160 * 86400  # 30 days of the 180-day window left
    sync(engine, now=later)
    last = parse_qs(urlsplit(str(fake.requests[-1].url)).query)
    assert "$deltatoken" not in last
    # Appointments from before the new window are history, not deletions.
    assert sorted(live(engine)) == ["called-off", "missed", "occ-05", "occ-12", "one-off"]


def test_429_with_retry_after_and_503_are_retried(engine: Engine, fake: FakeGraph) -> None:
    seed(fake)
    fake.failures = [(429, {"Retry-After": "3"}), (503, {})]
    sleeps: list[float] = []
    sync(engine, sleeps=sleeps)
    assert sleeps[0] == 3.0
    assert len(sleeps) == 2
    assert len(live(engine)) == 5


def test_the_documented_delta_pages_sync_as_documented(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not VENDOR.is_dir():
        pytest.skip("shared/vendor/msgraph is absent beside the repository")
    monkeypatch.setenv("BUSYWORK_SECRET_KEYS", KEY)
    pages = {
        name: json.loads((VENDOR / f"calendarView_delta.{name}.json").read_text())
        for name in ("round1.page1", "round1.page2", "round1.page3.final", "round2.page1.removed")
    }
    by_token = {
        "R0usmcCM996atia_s": pages["round1.page2"],
        "R0usmci39OQxqJrxK4": pages["round1.page3.final"],
        "R0usmcMDNGg0J1E": pages["round2.page1.removed"],
    }

    def serve(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        query = {k: v[-1] for k, v in parse_qs(urlsplit(str(request.url)).query).items()}
        token = query.get("$skiptoken") or query.get("$deltatoken")
        return 200, {}, json.dumps(by_token[token] if token else pages["round1.page1"])

    with responses.RequestsMock() as mock:
        mock.add_callback("GET", DELTA, callback=serve)
        first = sync(engine, base=VENDOR_BASE)
        round_one = sum(len(page["value"]) for name, page in pages.items() if "round1" in name)
        assert first.stats.inserted == round_one
        found = live(engine)
        assert found["AAMkADj1HuAAA="]["title"] == "Rest!"
        assert str(found["AAMkADj1HuAAA="]["start_at"]).startswith("2016-12-12 02:00")
        second = sync(engine, base=VENDOR_BASE)
    assert second.stats.inserted == 1
    assert "AAMkADj1HvAAA=" in live(engine)
    cursor = load_cursor(engine, "acme", "outlook")
    assert cursor is not None
    assert cursor["delta_link"].endswith("$deltatoken=R0usmcFuQtZdtpk4")


def test_identity_endpoints_follow_the_tenant() -> None:
    config = MsGraphCalendarConfig(
        name="outlook", client_id="c", client_secret=SecretStr("s"), tenant="contoso.example"
    )
    identity = "https://login.microsoftonline.com/contoso.example/oauth2/v2.0"
    assert (config.authorize_url, config.token_url) == (
        f"{identity}/authorize",
        f"{identity}/token",
    )
    assert MsGraphCalendarConnector.scopes == ("offline_access", "Calendars.Read")
