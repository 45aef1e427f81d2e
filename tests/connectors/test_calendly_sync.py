"""Calendly's sync machinery: header-driven pacing, concurrent invitee reads, owed work."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import responses
from pydantic import SecretStr
from rich.console import Console
from sqlalchemy.engine import Engine

from busywork.errors import RetriableError
from busywork.progress import BackfillProgress
from connectors.base import ConnectorContext
from connectors.calendly import CalendlyConfig, CalendlyConnector
from connectors.calendly_fetch import SerialAuthenticator
from connectors.http import Limiter, RetryPolicy, TokenBucket
from connectors.ratelimit import HeaderRateLimiter
from connectors.sync import load_cursor, sync_connector
from tests.connectors.fake_calendly import BASE, FakeCalendly, RateWindow
from tests.connectors.test_calendly import NOW, TOKEN, live, seed


class FakeTime:
    """A clock that moves only when someone sleeps; the sleeps are recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


@pytest.fixture
def fake() -> Iterator[FakeCalendly]:
    api = FakeCalendly()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        api.install(mock)
        yield api


def make(
    *, limiter: Limiter | None = None, concurrency: int = 4, now: float = NOW, page_size: int = 2
) -> CalendlyConnector:
    config = CalendlyConfig(
        name="bookings",
        token=SecretStr(TOKEN),
        base_url=BASE,
        page_size=page_size,
        concurrency=concurrency,
    )
    return CalendlyConnector(
        config,
        ConnectorContext(business="acme", timezone="Europe/London", currency="GBP"),
        sleep=lambda _s: None,
        retry=RetryPolicy(max_attempts=3, base_delay_s=0.0),
        limiter=limiter or TokenBucket(1000, 1000),
        clock=lambda: now,
    )


def test_the_limiter_waits_for_the_reset_only_when_the_allowance_is_spent() -> None:
    time = FakeTime()
    limiter = HeaderRateLimiter(clock=time.clock, sleep=time.sleep)
    assert limiter.acquire() == 0.0  # nothing known yet: no wait
    limiter.observe(
        {"X-RateLimit-Limit": "3", "X-RateLimit-Remaining": "2", "X-RateLimit-Reset": "40"}
    )
    assert (limiter.acquire(), limiter.acquire()) == (0.0, 0.0)
    assert limiter.acquire() == 40.0  # spent: wait out the window, then the limit is back
    assert (limiter.acquire(), limiter.acquire()) == (0.0, 0.0)
    assert time.sleeps == [40.0]


def test_a_429_blocks_every_caller_and_a_stale_response_cannot_raise_the_allowance() -> None:
    time = FakeTime()
    limiter = HeaderRateLimiter(clock=time.clock, sleep=time.sleep)
    headers = {"X-RateLimit-Limit": "500", "X-RateLimit-Remaining": "10", "X-RateLimit-Reset": "30"}
    limiter.observe(headers)
    limiter.observe({**headers, "X-RateLimit-Remaining": "12"})  # an earlier request, late
    assert limiter.remaining == 10
    limiter.observe(
        {**headers, "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "25"}, status=429
    )
    assert limiter.acquire() == 30.0
    limiter.block(7.0)
    assert limiter.acquire() == 7.0


def test_the_cold_sync_keeps_within_the_reported_limit_without_a_429(
    engine: Engine, fake: FakeCalendly
) -> None:
    seed(fake)
    time = FakeTime()
    fake.rate = RateWindow(limit=3, window_s=60.0, clock=time.clock)
    limiter = HeaderRateLimiter(clock=time.clock, sleep=time.sleep)
    result = sync_connector(engine, make(limiter=limiter))
    assert result.ok, result.error
    assert fake.rate.rejected == 0
    # 1 owner + 2 listing pages + 4 invitee reads + 1 event type, 3 per minute.
    assert len(fake.requests) == 8
    assert time.sleeps
    assert sum(time.sleeps) >= 120.0
    assert len(live(engine)) == 4


def test_a_429_retry_after_is_waited_once_by_the_shared_limiter(
    engine: Engine, fake: FakeCalendly
) -> None:
    seed(fake)
    fake.failures = [(429, {"Retry-After": "7"})]
    time = FakeTime()
    limiter = HeaderRateLimiter(clock=time.clock, sleep=time.sleep)
    result = sync_connector(engine, make(limiter=limiter))
    assert result.ok, result.error
    assert time.sleeps == [7.0]
    assert len(live(engine)) == 4


def records(connector: CalendlyConnector) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for page in connector.pages(None):
        for batch in page.batches:
            rows += [{str(k): v for k, v in row.items()} for row in batch.frame.to_dict("records")]
    return sorted(rows, key=lambda row: str(row["source_id"]))


def test_concurrent_invitee_reads_give_the_same_records_as_one_by_one(
    fake: FakeCalendly,
) -> None:
    seed(fake)
    one_by_one = records(make(concurrency=1))
    concurrent = records(make(concurrency=4))
    assert len(one_by_one) == 4
    assert concurrent == one_by_one


def test_an_idle_poll_costs_only_the_listing(engine: Engine, fake: FakeCalendly) -> None:
    seed(fake)
    assert sync_connector(engine, make(page_size=100)).ok
    before = len(fake.requests)
    quiet = sync_connector(engine, make(page_size=100, now=NOW + 3600))
    assert quiet.ok
    assert quiet.stats.events == 0
    # Owner and event types come from the cursor, MISS was read after it ended.
    assert len(fake.requests) - before == 1


def test_a_failing_invitee_read_is_owed_and_read_on_the_next_poll(
    engine: Engine, fake: FakeCalendly
) -> None:
    seed(fake)
    fake.broken_invitees["NEXT"] = 3  # every attempt of this poll fails
    first = sync_connector(engine, make())
    assert first.ok, first.error
    assert sorted(live(engine)) == ["GONE", "MISS", "OLD1"]
    assert [p for p in first.problems if "NEXT" in p and "owed" in p]
    cursor = load_cursor(engine, "acme", "bookings")
    assert cursor is not None
    assert list(cursor["owed"]) == ["NEXT"]

    second = sync_connector(engine, make(now=NOW + 60))
    assert second.ok
    assert not second.problems
    assert live(engine)["NEXT"]["attendee_email"] == "dee@example.com"
    cursor = load_cursor(engine, "acme", "bookings")
    assert cursor is not None
    assert cursor["owed"] == {}


def test_the_cold_sync_shows_its_pages_on_the_backfill_progress(
    engine: Engine, fake: FakeCalendly
) -> None:
    seed(fake)
    console = Console(file=io.StringIO(), force_terminal=True)
    lines: list[str | None] = []
    with BackfillProgress(console) as progress:

        def on_page(result: Any) -> None:
            progress.update(result)
            lines.append(progress.describe("bookings"))

        sync_connector(engine, make(), on_page=on_page)
    assert lines == ["bookings: 1 pages, 2 records", "bookings: 2 pages, 4 records"]


def test_a_failed_listing_page_keeps_what_was_committed_and_resumes_there(
    fake: FakeCalendly,
) -> None:
    seed(fake)
    # The second listing page fails every attempt of the poll.
    cold = make()
    pages = cold.pages(None)
    first = next(pages)
    fake.failures = [(500, {})] * 3
    with pytest.raises(RetriableError):
        next(pages)
    assert first.cursor["mode"] == "full"
    assert first.cursor["after"] == "2026-02-28T09:00:00.000000Z"
    fake.failures = []
    rest = list(make().pages(first.cursor))
    assert sum(len(batch.frame) for page in rest for batch in page.batches) == 3


class CountingAuth:
    """An authenticator whose refreshes are counted (a rotated refresh token works once)."""

    def __init__(self) -> None:
        self.refreshes = 0

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer access-{self.refreshes}"}

    def refresh(self) -> bool:
        self.refreshes += 1
        return True


def test_threads_refused_together_refresh_the_token_once() -> None:
    inner = CountingAuth()
    shared = SerialAuthenticator(inner, clock=lambda: 50.0)
    threads = [threading.Thread(target=shared.refresh) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert inner.refreshes == 1
    assert shared.headers() == {"Authorization": "Bearer access-1"}
