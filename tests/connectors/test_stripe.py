from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from busywork.store.records import Invoice, InvoiceLine, Payment
from connectors.base import ConnectorContext
from connectors.http import RetryPolicy, TokenBucket
from connectors.stripe import (
    CLOCK_SKEW_S,
    EVENTS_WINDOW_S,
    STRIPE_VERSION,
    StripeConfig,
    StripeConnector,
)
from connectors.stripe_mapping import from_minor
from connectors.sync import load_cursor, sync_connector
from tests.connectors.fake_stripe import BASE, FakeStripe, customer, invoice

NOW = 1_700_100_000
KEY = "rk_test_abcdefghijklmnop1234"


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    api = FakeStripe()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        api.install(mock)
        yield api


def make(
    *,
    clock: float = NOW,
    sleeps: list[float] | None = None,
    attempts: int = 3,
    page_size: int = 100,
) -> StripeConnector:
    config = StripeConfig(name="cards", api_key=SecretStr(KEY), base_url=BASE, page_size=page_size)
    return StripeConnector(
        config,
        ConnectorContext(business="acme", timezone="Europe/London", currency="GBP"),
        sleep=(sleeps.append if sleeps is not None else lambda _s: None),
        retry=RetryPolicy(max_attempts=attempts, base_delay_s=0.01),
        limiter=TokenBucket(1000, 1000),
        clock=lambda: clock,
    )


def rows(engine: Engine, model: Any) -> list[Any]:
    table = model.__table__
    with engine.connect() as connection:
        return list(connection.execute(sa.select(table).order_by(table.c.source_id)).mappings())


def paths(api: FakeStripe) -> list[str]:
    return [urlsplit(request.url or "").path for request in api.requests]


def query(request: requests.PreparedRequest) -> dict[str, list[str]]:
    return parse_qs(urlsplit(request.url or "").query)


def test_backfill_reads_every_page_and_maps_minor_units(engine: Engine, fake: FakeStripe) -> None:
    fake.customers = [customer(n) for n in range(60)]
    fake.invoices = [invoice(n, status="paid" if n % 3 == 0 else "open") for n in range(250)]
    result = sync_connector(engine, make())
    assert result.ok, result.error
    assert paths(fake) == (
        ["/v1/customers"] + ["/v1/invoices"] * 3 + ["/v1/credit_notes", "/v1/events"]
    )
    invoices = rows(engine, Invoice)
    assert len(invoices) == 250
    assert {row["total"] for row in invoices} == {120.0}
    assert len(rows(engine, InvoiceLine)) == 250
    assert len(rows(engine, Payment)) == len(range(0, 250, 3))
    first = fake.requests[0]
    assert first.headers["Stripe-Version"] == STRIPE_VERSION
    assert first.headers["Authorization"] == f"Bearer {KEY}"
    assert load_cursor(engine, "acme", "cards") == {
        "mode": "events",
        "created": NOW - CLOCK_SKEW_S,
        "seen": [],
        "feeds": ["customers", "invoices", "credit_notes"],
    }


def test_second_poll_asks_only_for_events_since_the_cursor(
    engine: Engine, fake: FakeStripe
) -> None:
    fake.invoices = [invoice(n) for n in range(5)]
    sync_connector(engine, make())
    fake.requests.clear()
    result = sync_connector(engine, make())
    assert result.ok
    assert paths(fake) == ["/v1/events"]
    assert query(fake.requests[0])["created[gte]"] == [str(NOW - CLOCK_SKEW_S)]
    assert result.stats.inserted == 0


def test_events_apply_updates_voids_and_deletions(engine: Engine, fake: FakeStripe) -> None:
    fake.invoices = [invoice(n) for n in range(3)]
    sync_connector(engine, make())
    fake.add_event("invoice.voided", invoice(0, status="void"), NOW + 10)
    fake.add_event(
        "invoice.deleted", {"id": "in_000001", "object": "invoice", "deleted": True}, NOW + 11
    )
    fake.add_event(
        "invoice.created",
        invoice(7, subscription="sub_9", billing_reason="subscription_cycle"),
        NOW + 12,
    )
    result = sync_connector(engine, make(clock=NOW + 60))
    assert result.ok, result.error
    by_id = {row["source_id"]: row for row in rows(engine, Invoice)}
    assert by_id["in_000000"]["status"] == "void"
    assert by_id["in_000001"]["deleted"] is True
    assert by_id["in_000007"]["origin"] == "subscription"
    assert by_id["in_000007"]["template_id"] == "sub_9"
    assert by_id["in_000002"]["origin"] == "manual"
    cursor = load_cursor(engine, "acme", "cards")
    assert cursor == {
        "mode": "events",
        "created": NOW + 12,
        "seen": ["evt_000002"],
        "feeds": ["customers", "invoices", "credit_notes"],
    }
    fake.requests.clear()
    again = sync_connector(engine, make(clock=NOW + 120))
    assert again.stats.inserted == again.stats.updated == 0


def test_cursor_older_than_the_events_window_relists_everything(
    engine: Engine, fake: FakeStripe
) -> None:
    fake.invoices = [invoice(n) for n in range(3)]
    sync_connector(engine, make())
    fake.requests.clear()
    sync_connector(engine, make(clock=NOW + EVENTS_WINDOW_S + 1))
    assert paths(fake) == ["/v1/customers", "/v1/invoices", "/v1/credit_notes", "/v1/events"]


def test_zero_and_three_decimal_currencies() -> None:
    assert from_minor(5000, "jpy") == 5000.0
    assert from_minor(12345, "usd") == 123.45
    assert from_minor(12340, "KWD") == 12.34
    with pytest.raises(ValueError, match="not a number"):
        from_minor("12", "usd")


def test_429_waits_for_retry_after_then_succeeds(engine: Engine, fake: FakeStripe) -> None:
    fake.invoices = [invoice(1)]
    sent: list[int] = []

    def once(request: requests.PreparedRequest) -> Any:
        sent.append(1)
        return (
            (429, {"Retry-After": "7"}, '{"error": {"message": "Too many requests"}}')
            if len(sent) == 1
            else None
        )

    fake.intercept = once
    sleeps: list[float] = []
    result = sync_connector(engine, make(sleeps=sleeps))
    assert result.ok, result.error
    assert sleeps == [7.0]
    assert len(rows(engine, Invoice)) == 1


def test_500_then_success(engine: Engine, fake: FakeStripe) -> None:
    fake.invoices = [invoice(1)]
    sent: list[int] = []

    def once(request: requests.PreparedRequest) -> Any:
        sent.append(1)
        return (500, {}, "{}") if len(sent) <= 2 else None

    fake.intercept = once
    result = sync_connector(engine, make())
    assert result.ok, result.error
    assert len(rows(engine, Invoice)) == 1


def test_malformed_records_are_skipped_and_reported(engine: Engine, fake: FakeStripe) -> None:
    broken = invoice(2)
    del broken["total"]
    weird = invoice(3, status="unheard_of")
    fake.invoices = [invoice(1), broken, weird, invoice(4)]
    result = sync_connector(engine, make())
    assert result.ok
    assert [row["source_id"] for row in rows(engine, Invoice)] == ["in_000001", "in_000004"]
    assert any("in_000002: missing field 'total'" in problem for problem in result.problems)
    assert any("in_000003" in problem and "unheard_of" in problem for problem in result.problems)


def test_body_that_is_not_json_fails_the_sync_without_moving_the_cursor(
    engine: Engine, fake: FakeStripe
) -> None:
    fake.intercept = lambda request: (200, {}, "<html>proxy error</html>")
    result = sync_connector(engine, make(attempts=1))
    assert result.error is not None
    assert "not JSON" in result.error
    assert load_cursor(engine, "acme", "cards") is None


def test_crash_between_pages_resumes_without_gaps_or_duplicates(
    engine: Engine, fake: FakeStripe
) -> None:
    fake.invoices = [invoice(n) for n in range(25)]
    calls: list[int] = []

    def crash_on_third_invoice_page(request: requests.PreparedRequest) -> Any:
        if "/v1/invoices" in (request.url or ""):
            calls.append(1)
            if len(calls) == 3:
                raise requests.ConnectionError("connection reset")
        return None

    fake.intercept = crash_on_third_invoice_page
    first = sync_connector(engine, make(attempts=1, page_size=10))
    assert first.error is not None
    assert len(rows(engine, Invoice)) == 20
    cursor = load_cursor(engine, "acme", "cards")
    assert cursor is not None
    assert cursor["after"] == "in_000005"
    fake.intercept = None
    fake.requests.clear()
    second = sync_connector(engine, make(page_size=10))
    assert second.ok, second.error
    assert query(fake.requests[0])["starting_after"] == ["in_000005"]
    assert [row["source_id"] for row in rows(engine, Invoice)] == [f"in_{n:06d}" for n in range(25)]
    assert second.stats.inserted == 5 + 5  # five invoices and their lines


def test_key_never_appears_in_errors(engine: Engine, fake: FakeStripe) -> None:
    fake.intercept = lambda request: (
        401,
        {},
        f'{{"error": {{"message": "Invalid API Key provided: {KEY}"}}}}',
    )
    result = sync_connector(engine, make())
    assert result.error is not None
    assert "HTTP 401" in result.error
    assert KEY not in result.error
