from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
import sqlalchemy as sa
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from busywork.store.records import Customer, Invoice, InvoiceLine
from connectors.base import ConnectorContext
from connectors.http import RetryPolicy, TokenBucket
from connectors.oauth import CredentialStore, TokenSet, load_cipher
from connectors.quickbooks import CDC_WINDOW_S, ENTITIES, QuickBooksConfig, QuickBooksConnector
from connectors.sync import load_cursor, sync_connector
from tests.connectors.fake_quickbooks import (
    BASE,
    REALM,
    T0,
    TOKEN_URL,
    FakeQuickBooks,
    customer,
    fault,
    invoice,
)

KEY = Fernet.generate_key().decode()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeQuickBooks]:
    monkeypatch.setenv("BUSYWORK_SECRET_KEYS", KEY)
    api = FakeQuickBooks()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        api.install(mock)
        yield api


def connect(engine: Engine, fake: FakeQuickBooks) -> CredentialStore:
    store = CredentialStore(engine, load_cipher({"BUSYWORK_SECRET_KEYS": KEY}))
    tokens = TokenSet(fake.valid_token, fake.refresh_token, 9e12, {"realm_id": REALM})
    store.save("acme", "qbo", tokens, expected_version=None)
    return store


def make(
    engine: Engine, fake: FakeQuickBooks, *, attempts: int = 3, page_size: int = 100
) -> QuickBooksConnector:
    config = QuickBooksConfig(
        name="qbo",
        client_id="client-1",
        client_secret=SecretStr("qbo-client-secret"),
        token_url=TOKEN_URL,
        base_url=BASE,
        page_size=page_size,
    )
    return QuickBooksConnector(
        config,
        ConnectorContext(
            business="acme", timezone="America/Los_Angeles", currency="USD", engine=engine
        ),
        sleep=lambda _s: None,
        retry=RetryPolicy(max_attempts=attempts, base_delay_s=0.01),
        limiter=TokenBucket(1000, 1000),
        clock=lambda: fake.now.timestamp(),  # noqa: PLW0108  (fake.now moves)
    )


def rows(engine: Engine, model: Any) -> list[Any]:
    table = model.__table__
    with engine.connect() as connection:
        return list(connection.execute(sa.select(table).order_by(table.c.source_id)).mappings())


def sent(fake: FakeQuickBooks) -> list[str]:
    out = []
    for request in fake.requests:
        query = parse_qs(urlsplit(request.url or "").query)
        assert query["minorversion"] == ["75"]
        out.append(query["query"][0] if "query" in query else "CDC " + query["changedSince"][0])
    return out


def test_backfill_pages_every_entity_with_keyset_queries(
    engine: Engine, fake: FakeQuickBooks
) -> None:
    connect(engine, fake)
    fake.entities["Customer"] = [customer(n, active=n % 2 == 0) for n in range(20)]
    fake.entities["Invoice"] = [invoice(n) for n in range(250)]
    result = sync_connector(engine, make(engine, fake))
    assert result.ok, result.error
    assert len(rows(engine, Invoice)) == 250
    assert len(rows(engine, InvoiceLine)) == 250  # the subtotal line is not a line
    assert len(rows(engine, Customer)) == 20
    queries = sent(fake)
    assert queries[0] == (
        "SELECT * FROM Customer WHERE Active IN (true, false) ORDERBY Metadata.LastUpdatedTime"
        " STARTPOSITION 1 MAXRESULTS 100"
    )
    invoice_queries = [q for q in queries if "FROM Invoice" in q]
    assert len(invoice_queries) == 3
    assert "Metadata.LastUpdatedTime >= '2026-09-01T15:01:39+00:00'" in invoice_queries[1]
    assert "STARTPOSITION 1 " in invoice_queries[1]
    assert queries[-2].startswith("CDC ")
    assert queries[-1] == "SELECT * FROM RecurringTransaction STARTPOSITION 1 MAXRESULTS 100"
    assert fake.requests[0].headers["Authorization"] == "Bearer qbo-access-1"


def test_incremental_poll_is_one_cdc_request_and_one_template_read(
    engine: Engine, fake: FakeQuickBooks
) -> None:
    connect(engine, fake)
    fake.entities["Invoice"] = [invoice(n) for n in range(3)]
    sync_connector(engine, make(engine, fake))
    fake.requests.clear()
    later = fake.now + timedelta(hours=1)
    fake.entities["Invoice"].append(invoice(9, updated=later, recur="77"))
    fake.delete("Invoice", "1001", later)
    fake.now = later + timedelta(minutes=5)
    result = sync_connector(engine, make(engine, fake))
    assert result.ok, result.error
    assert [q.split(" ")[0] for q in sent(fake)] == ["CDC", "SELECT"]
    by_id = {row["source_id"]: row for row in rows(engine, Invoice)}
    assert by_id["1001"]["deleted"] is True
    assert by_id["1009"]["origin"] == "template"
    assert by_id["1009"]["template_id"] == "77"
    assert by_id["1000"]["origin"] == "manual"
    cursor = load_cursor(engine, "acme", "qbo")
    assert cursor == {
        "mode": "cdc",
        "since": int(fake.now.timestamp() * 1000),
        "feeds": list(ENTITIES),
        "templates": [],
    }
    fake.requests.clear()
    quiet = sync_connector(engine, make(engine, fake))
    assert len(sent(fake)) == 2
    assert quiet.stats.inserted == quiet.stats.updated == 0


def test_cursor_older_than_cdc_window_catches_up_with_queries(
    engine: Engine, fake: FakeQuickBooks
) -> None:
    connect(engine, fake)
    fake.entities["Invoice"] = [invoice(1)]
    sync_connector(engine, make(engine, fake))
    fake.requests.clear()
    fake.now += timedelta(seconds=CDC_WINDOW_S + 60)
    fake.entities["Invoice"].append(invoice(2, updated=fake.now - timedelta(hours=1)))
    result = sync_connector(engine, make(engine, fake))
    assert result.ok, result.error
    queries = sent(fake)
    # One query per entity from the old cursor, CDC, then the templates.
    assert len(queries) == len(ENTITIES) + 2
    assert all("Metadata.LastUpdatedTime >=" in q for q in queries[: len(ENTITIES)])
    assert queries[len(ENTITIES)].startswith("CDC ")
    assert len(rows(engine, Invoice)) == 2


def test_fault_3200_is_an_auth_error_with_a_hint(engine: Engine, fake: FakeQuickBooks) -> None:
    connect(engine, fake)
    fake.intercept = lambda request: fault("3100", "ApplicationAuthorizationFailed", 403)
    result = sync_connector(engine, make(engine, fake))
    assert result.error is not None
    assert "Fault 3100" in result.error
    assert "sandbox" in result.error


def test_fault_in_a_200_body_is_a_clear_error(engine: Engine, fake: FakeQuickBooks) -> None:
    connect(engine, fake)
    fake.intercept = lambda request: (200, {}, fault("4000", "Error parsing query")[2])
    result = sync_connector(engine, make(engine, fake))
    assert result.error is not None
    assert "FatalError" in result.error
    assert "Fault 4000: Error parsing query" in result.error


def test_expired_token_refreshes_and_persists_the_rotated_one(
    engine: Engine, fake: FakeQuickBooks
) -> None:
    store = connect(engine, fake)
    fake.entities["Invoice"] = [invoice(n) for n in range(150)]
    calls: list[int] = []

    def expire(request: requests.PreparedRequest) -> Any:
        calls.append(1)
        if len(calls) == 4:
            fake.valid_token = "rotated-away"
        return None

    fake.intercept = expire
    result = sync_connector(engine, make(engine, fake))
    assert result.ok, result.error
    loaded = store.load("acme", "qbo")
    assert loaded is not None
    assert loaded[0].refresh_token == "qbo-refresh-2"
    assert loaded[0].extra == {"realm_id": REALM}
    assert len(rows(engine, Invoice)) == 150


def test_malformed_entities_are_skipped_and_reported(engine: Engine, fake: FakeQuickBooks) -> None:
    connect(engine, fake)
    broken = invoice(2)
    del broken["TotalAmt"]
    bad_date = invoice(3)
    bad_date["TxnDate"] = "24/08/2026"
    fake.entities["Invoice"] = [invoice(1), broken, bad_date, invoice(4)]
    result = sync_connector(engine, make(engine, fake))
    assert result.ok
    assert [row["source_id"] for row in rows(engine, Invoice)] == ["1001", "1004"]
    assert any("1002: missing field 'TotalAmt'" in problem for problem in result.problems)
    assert any("1003: issued_on: not a valid date" in problem for problem in result.problems)


def test_crash_between_pages_resumes_from_the_committed_bound(
    engine: Engine, fake: FakeQuickBooks
) -> None:
    connect(engine, fake)
    fake.entities["Invoice"] = [invoice(n) for n in range(250)]
    calls: list[int] = []

    def crash(request: requests.PreparedRequest) -> Any:
        if "FROM+Invoice" in (request.url or "") or "FROM%20Invoice" in (request.url or ""):
            calls.append(1)
            if len(calls) == 3:
                raise requests.ConnectionError("reset")
        return None

    fake.intercept = crash
    first = sync_connector(engine, make(engine, fake, attempts=1))
    assert first.error is not None
    done_first = len(rows(engine, Invoice))
    assert done_first >= 199
    fake.intercept = None
    fake.requests.clear()
    second = sync_connector(engine, make(engine, fake))
    assert second.ok, second.error
    assert sent(fake)[0].startswith("SELECT * FROM Invoice WHERE Metadata.LastUpdatedTime >=")
    assert [row["source_id"] for row in rows(engine, Invoice)] == [
        str(1000 + n) for n in range(250)
    ]
    assert second.stats.inserted == (250 - done_first) * 2


def test_t0_fixture_is_pacific_time() -> None:
    assert T0.utcoffset() == timedelta(hours=-7)


def test_connect_remembers_the_realm_from_the_redirect() -> None:
    config = QuickBooksConfig(name="qbo", client_id="c", client_secret=SecretStr("qbo-secret-x"))
    tokens = TokenSet("a-token-1234", "r-token-5678", 1.0)
    done = QuickBooksConnector.finish_connect(
        config, tokens, {"realmId": REALM}, requests.Session()
    )
    assert done.extra == {"realm_id": REALM}
