from __future__ import annotations

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

from busywork.store.records import Bill, Customer, Invoice, JournalEntry, Payment, Vendor
from connectors.base import ConnectorContext
from connectors.http import RetryPolicy, TokenBucket
from connectors.oauth import CredentialStore, TokenSet, load_cipher
from connectors.sync import load_cursor, sync_connector
from connectors.xero import XeroConfig, XeroConnector, ims_header
from connectors.xero_mapping import xero_date, xero_datetime
from tests.connectors.fake_xero import (
    BASE,
    T0,
    TENANT,
    TOKEN_URL,
    FakeXero,
    contact,
    invoice,
    journal,
)

KEY = Fernet.generate_key().decode()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeXero]:
    monkeypatch.setenv("BUSYWORK_SECRET_KEYS", KEY)
    api = FakeXero()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        api.install(mock)
        yield api


def connect(engine: Engine, fake: FakeXero, *, expires_at: float = 9e12) -> CredentialStore:
    store = CredentialStore(engine, load_cipher({"BUSYWORK_SECRET_KEYS": KEY}))
    tokens = TokenSet(fake.valid_token, fake.refresh_token, expires_at, {"tenant_id": TENANT})
    store.save("acme", "books", tokens, expected_version=None)
    return store


def make(engine: Engine, *, sleeps: list[float] | None = None, attempts: int = 3) -> XeroConnector:
    config = XeroConfig(
        name="books",
        client_id="client-1",
        client_secret=SecretStr("xero-client-secret"),
        token_url=TOKEN_URL,
        base_url=BASE,
    )
    return XeroConnector(
        config,
        ConnectorContext(
            business="acme", timezone="Pacific/Auckland", currency="NZD", engine=engine
        ),
        sleep=(sleeps.append if sleeps is not None else lambda _s: None),
        retry=RetryPolicy(max_attempts=attempts, base_delay_s=0.01),
        limiter=TokenBucket(1000, 1000),
    )


def rows(engine: Engine, model: Any) -> list[Any]:
    table = model.__table__
    with engine.connect() as connection:
        return list(connection.execute(sa.select(table).order_by(table.c.source_id)).mappings())


def feeds(fake: FakeXero) -> list[str]:
    return [urlsplit(request.url or "").path.rsplit("/", 1)[-1] for request in fake.requests]


def test_dates_are_parsed_from_xero_ms_format() -> None:
    assert xero_datetime("/Date(1541176290160+0000)/") == "2018-11-02T16:31:30.160000+00:00"
    assert xero_date("/Date(1539993600000+0000)/") == "2018-10-20"
    assert ims_header(1541176290160) == "2018-11-02T16:31:29"
    with pytest.raises(ValueError, match="not a Xero"):
        xero_date("2018-10-20")


def test_backfill_reads_every_feed_and_page(engine: Engine, fake: FakeXero) -> None:
    connect(engine, fake)
    fake.feeds["Contacts"] = [contact(n) for n in range(30)] + [contact(99, supplier=True)]
    fake.feeds["Invoices"] = [invoice(n) for n in range(230)] + [invoice(500, kind="ACCPAY")]
    fake.feeds["ManualJournals"] = [journal(1)]
    result = sync_connector(engine, make(engine))
    assert result.ok, result.error
    assert len(rows(engine, Invoice)) == 230
    assert len(rows(engine, Bill)) == 1
    assert len(rows(engine, Customer)) == 30
    assert len(rows(engine, Vendor)) == 1
    [entry] = rows(engine, JournalEntry)
    assert (entry["accounts"], entry["amount"]) == ("400|800", 100.0)
    first = fake.requests[0]
    assert first.headers["xero-tenant-id"] == TENANT
    assert "If-Modified-Since" not in first.headers
    assert parse_qs(urlsplit(first.url or "").query)["order"] == ["UpdatedDateUTC ASC"]
    assert feeds(fake) == [
        "Contacts",
        "Invoices",
        "Invoices",
        "Invoices",
        "History",  # the bill's: when it was entered and approved
        "CreditNotes",
        "Payments",
        "Accounts",
        "ManualJournals",
        "History",  # the journal's: when it was keyed in
        "RepeatingInvoices",
    ]
    invoice_requests = [r for r in fake.requests if "/Invoices" in (r.url or "")]
    # After a full page the window moves up to the last record seen (keyset paging).
    assert invoice_requests[1].headers["If-Modified-Since"] == ims_header(T0 + 99_000)


def test_incremental_poll_asks_only_for_changes(engine: Engine, fake: FakeXero) -> None:
    connect(engine, fake)
    fake.feeds["Invoices"] = [invoice(n) for n in range(5)]
    sync_connector(engine, make(engine))
    fake.requests.clear()
    later = T0 + 3_600_000
    fake.feeds["Invoices"].append(
        invoice(7, updated=later, repeating="428c0d75-909f-4b04-8403-a48dc27283b0")
    )
    result = sync_connector(engine, make(engine))
    assert result.ok, result.error
    assert feeds(fake) == [
        "Contacts",
        "Invoices",
        "CreditNotes",
        "Payments",
        "Accounts",
        "ManualJournals",
        "RepeatingInvoices",
    ]
    assert fake.requests[1].headers["If-Modified-Since"] == ims_header(T0 + 4_000)
    by_id = {row["number"]: row for row in rows(engine, Invoice)}
    assert by_id["INV-0007"]["origin"] == "template"
    assert by_id["INV-0007"]["template_id"] == "428c0d75-909f-4b04-8403-a48dc27283b0"
    assert by_id["INV-0001"]["origin"] == "manual"
    cursor = load_cursor(engine, "acme", "books")
    assert cursor is not None
    assert cursor["Invoices"] == {"since": later + 7_000, "page": 1}


def test_deleted_and_voided_objects(engine: Engine, fake: FakeXero) -> None:
    connect(engine, fake)
    fake.feeds["Invoices"] = [invoice(1), invoice(2), invoice(3, kind="ACCPAY")]
    fake.feeds["ManualJournals"] = [journal(1)]
    sync_connector(engine, make(engine))
    later = T0 + 600_000
    fake.feeds["Invoices"] = [
        invoice(1, status="VOIDED", updated=later),
        invoice(2, status="DELETED", updated=later),
        invoice(3, kind="ACCPAY", status="DELETED", updated=later),
    ]
    fake.feeds["ManualJournals"] = [journal(1, status="VOIDED", updated=later)]
    result = sync_connector(engine, make(engine))
    assert result.ok, result.error
    by_number = {row["number"]: row for row in rows(engine, Invoice)}
    assert by_number["INV-0001"]["status"] == "void"
    assert by_number["INV-0002"]["deleted"] is True
    assert rows(engine, Bill)[0]["deleted"] is True
    assert rows(engine, JournalEntry)[0]["deleted"] is True


def test_token_expiry_mid_backfill_refreshes_persists_and_resumes(
    engine: Engine, fake: FakeXero
) -> None:
    store = connect(engine, fake)
    fake.feeds["Invoices"] = [invoice(n) for n in range(250)]
    seen: list[int] = []

    def expire_after_two(request: requests.PreparedRequest) -> Any:
        seen.append(1)
        if len(seen) == 3:
            fake.valid_token = "expired-elsewhere"
        return None

    fake.intercept = expire_after_two
    result = sync_connector(engine, make(engine))
    assert result.ok, result.error
    assert fake.token_requests == ["refresh-0001"]
    loaded = store.load("acme", "books")
    assert loaded is not None
    assert loaded[0].refresh_token == "refresh-0002" == fake.refresh_token
    assert loaded[0].extra == {"tenant_id": TENANT}
    assert len(rows(engine, Invoice)) == 250


def test_429_with_retry_after_then_success(engine: Engine, fake: FakeXero) -> None:
    connect(engine, fake)
    fake.feeds["Contacts"] = [contact(1)]
    sent: list[int] = []

    def limited_once(request: requests.PreparedRequest) -> Any:
        sent.append(1)
        if len(sent) == 1:
            return 429, {"Retry-After": "12", "X-Rate-Limit-Problem": "minute"}, ""
        return None

    fake.intercept = limited_once
    sleeps: list[float] = []
    result = sync_connector(engine, make(engine, sleeps=sleeps))
    assert result.ok, result.error
    assert sleeps == [12.0]
    assert len(rows(engine, Customer)) == 1


def test_day_limit_ends_the_poll_and_keeps_the_cursor(engine: Engine, fake: FakeXero) -> None:
    connect(engine, fake)
    fake.feeds["Contacts"] = [contact(1)]
    fake.intercept = lambda request: (
        429,
        {"Retry-After": "40000", "X-Rate-Limit-Problem": "day"},
        "",
    )
    sleeps: list[float] = []
    result = sync_connector(engine, make(engine, sleeps=sleeps))
    assert result.error is not None
    assert "HTTP 429" in result.error
    assert sleeps == []
    assert load_cursor(engine, "acme", "books") is None


def test_malformed_objects_are_reported_and_skipped(engine: Engine, fake: FakeXero) -> None:
    connect(engine, fake)
    no_total = invoice(2)
    del no_total["Total"]
    bad_date = invoice(3)
    bad_date["Date"] = "yesterday"
    fake.feeds["Invoices"] = [invoice(1), no_total, bad_date, invoice(4)]
    result = sync_connector(engine, make(engine))
    assert result.ok
    assert [row["number"] for row in rows(engine, Invoice)] == ["INV-0001", "INV-0004"]
    assert any("missing field 'Total'" in problem for problem in result.problems)
    assert any("'yesterday' is not a Xero" in problem for problem in result.problems)


def test_crash_between_pages_resumes_without_gaps_or_duplicates(
    engine: Engine, fake: FakeXero
) -> None:
    connect(engine, fake)
    fake.feeds["Invoices"] = [invoice(n) for n in range(250)]
    invoice_calls: list[int] = []

    def crash_on_third(request: requests.PreparedRequest) -> Any:
        if "/Invoices" in (request.url or ""):
            invoice_calls.append(1)
            if len(invoice_calls) == 3:
                raise requests.ConnectionError("reset")
        return None

    fake.intercept = crash_on_third
    first = sync_connector(engine, make(engine, attempts=1))
    assert first.error is not None
    # Each window starts one second early: page 2 re-read two invoices of page 1.
    assert len(rows(engine, Invoice)) == 198
    fake.intercept = None
    fake.requests.clear()
    second = sync_connector(engine, make(engine))
    assert second.ok, second.error
    assert fake.requests[1].headers["If-Modified-Since"] == ims_header(T0 + 197_000)
    assert len(rows(engine, Invoice)) == 250
    assert second.stats.inserted == 52 * 2  # invoices and their lines, nothing twice


def test_payments_map_to_the_invoice(engine: Engine, fake: FakeXero) -> None:
    connect(engine, fake)
    fake.feeds["Payments"] = [
        {
            "PaymentID": "99ea7f6b-c513-4066-bc27-b7c65dcd76c2",
            "Date": "/Date(1543449600000+0000)/",
            "Amount": 46.0,
            "PaymentType": "ACCRECPAYMENT",
            "Status": "AUTHORISED",
            "UpdatedDateUTC": "/Date(1541176592690+0000)/",
            "Invoice": {
                "Type": "ACCREC",
                "InvoiceID": "046d8a6d-1ae1-4b4d-9340-5601bdf41b87",
                "Contact": {"ContactID": "a3675fc4-f8dd-4f03-ba5b-f1870566bcd7"},
                "CurrencyCode": "NZD",
            },
        }
    ]
    assert sync_connector(engine, make(engine)).ok
    [payment] = rows(engine, Payment)
    assert payment["invoice_id"] == "046d8a6d-1ae1-4b4d-9340-5601bdf41b87"
    assert payment["amount"] == 46.0


def test_exhausted_minute_allowance_waits_a_minute(engine: Engine, fake: FakeXero) -> None:
    connect(engine, fake)
    fake.feeds["Contacts"] = [contact(1)]
    fake.extra_headers = {"X-MinLimit-Remaining": "0"}
    sleeps: list[float] = []
    result = sync_connector(engine, make(engine, sleeps=sleeps))
    assert result.ok, result.error
    assert sleeps == [60.0] * 7  # after each of the seven responses (six feeds, the chart)


def test_exhausted_day_allowance_stops_before_the_next_call(engine: Engine, fake: FakeXero) -> None:
    connect(engine, fake)
    fake.feeds["Contacts"] = [contact(1)]
    fake.feeds["Invoices"] = [invoice(1)]
    fake.extra_headers = {"X-DayLimit-Remaining": "0"}
    result = sync_connector(engine, make(engine))
    assert result.error is not None
    assert "daily API limit" in result.error
    assert feeds(fake) == ["Contacts"]
    assert len(rows(engine, Customer)) == 1  # the page fetched before the limit is kept
    cursor = load_cursor(engine, "acme", "books")
    assert cursor is not None
    assert "Contacts" in cursor


def test_connect_remembers_the_chosen_organisation() -> None:
    config = XeroConfig(name="books", client_id="c", client_secret=SecretStr("xero-secret-x"))
    tokens = TokenSet("a-token-1234", "r-token-5678", 1.0)
    with responses.RequestsMock() as mock:
        mock.get(
            "https://api.xero.com/connections",
            json=[{"id": "7cb59f93", "tenantId": TENANT, "tenantType": "ORGANISATION"}],
        )
        done = XeroConnector.finish_connect(config, tokens, {}, requests.Session())
        assert mock.calls[0].request.headers["Authorization"] == "Bearer a-token-1234"
    assert done.extra == {"tenant_id": TENANT}
    assert done.refresh_token == "r-token-5678"
