"""The same contract checked on every registered API connector, each against its fake API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import responses
from cryptography.fernet import Fernet
from pydantic import SecretStr, ValidationError
from sqlalchemy.engine import Engine

from connectors.base import ConnectorContext, SyncPage
from connectors.http import RetryPolicy, TokenBucket
from connectors.oauth import CredentialStore, TokenSet, load_cipher
from connectors.quickbooks import QuickBooksConfig, QuickBooksConnector
from connectors.registry import connector_classes
from connectors.rest import ApiConnector
from connectors.stripe import StripeConfig, StripeConnector
from connectors.sync import load_cursor, sync_connector
from connectors.xero import FEEDS as XERO_FEEDS
from connectors.xero import XeroConfig, XeroConnector
from tests.connectors import fake_quickbooks, fake_stripe, fake_xero

KEY = Fernet.generate_key().decode()
FAST = {"sleep": lambda _s: None, "retry": RetryPolicy(max_attempts=2, base_delay_s=0.0)}


@dataclass
class Scenario:
    """A fake API with data, a connector factory, and a way to make changes."""

    make: Callable[[Engine], ApiConnector]
    seed: Callable[[], None]
    change: Callable[[int], None]
    requests: Callable[[], list[Any]]
    #: Requests a poll with no changes may cost (one per entity feed or fewer).
    quiet_requests: int
    #: A comparable measure of progress in a cursor.
    progress: Callable[[dict[str, Any]], Any]
    install: Callable[[responses.RequestsMock], None]


def stripe_scenario(engine: Engine) -> Scenario:
    api = fake_stripe.FakeStripe()
    now = [1_700_100_000]

    def make(_engine: Engine) -> ApiConnector:
        config = StripeConfig(
            name="conf", api_key=SecretStr("rk_test_conformance1"), base_url=fake_stripe.BASE
        )
        context = ConnectorContext(business="acme", timezone="UTC", currency="GBP")
        return StripeConnector(
            config, context, limiter=TokenBucket(1e6, 1e6), clock=lambda: now[0], **FAST
        )  # type: ignore[arg-type]

    def change(count: int) -> None:
        now[0] += 100
        for n in range(count):
            api.add_event("invoice.updated", fake_stripe.invoice(n, status="paid"), now[0] - 50)

    def progress(cursor: dict[str, Any]) -> Any:
        if cursor["mode"] == "backfill":
            return (0, cursor["feed"] == "invoices", 0)
        return (1, cursor["created"], len(cursor["seen"]))

    return Scenario(
        make=make,
        seed=lambda: setattr(api, "invoices", [fake_stripe.invoice(n) for n in range(230)]),
        change=change,
        requests=lambda: api.requests,
        quiet_requests=1,
        progress=progress,
        install=api.install,
    )


def xero_scenario(engine: Engine) -> Scenario:
    api = fake_xero.FakeXero()
    CredentialStore(engine, load_cipher({"BUSYWORK_SECRET_KEYS": KEY})).save(
        "acme",
        "conf",
        TokenSet(api.valid_token, api.refresh_token, 9e12, {"tenant_id": fake_xero.TENANT}),
        expected_version=None,
    )

    def make(_engine: Engine) -> ApiConnector:
        config = XeroConfig(
            name="conf",
            client_id="c",
            client_secret=SecretStr("xero-secret-conf"),
            token_url=fake_xero.TOKEN_URL,
            base_url=fake_xero.BASE,
        )
        context = ConnectorContext(business="acme", timezone="UTC", currency="NZD", engine=engine)
        return XeroConnector(config, context, limiter=TokenBucket(1e6, 1e6), **FAST)  # type: ignore[arg-type]

    def change(count: int) -> None:
        later = fake_xero.T0 + 10_000_000
        api.feeds["Invoices"] += [fake_xero.invoice(1000 + n, updated=later) for n in range(count)]
        bill = api.feeds["Invoices"][-count - 1]
        api.feeds["Payments"].append(fake_xero.payment(900, bill, updated=later))

    def seed() -> None:
        bills = [fake_xero.invoice(n, kind="ACCPAY", status="PAID") for n in range(500, 620)]
        api.feeds["Invoices"] = [fake_xero.invoice(n) for n in range(230)] + bills
        api.feeds["Payments"] = [fake_xero.payment(n, bill) for n, bill in enumerate(bills)]
        api.feeds["RepeatingInvoices"] = [
            fake_xero.repeating_invoice(1),
            fake_xero.repeating_invoice(2, kind="ACCPAY"),
        ]

    return Scenario(
        make=make,
        seed=seed,
        change=change,
        requests=lambda: api.requests,
        # One request per feed: four with If-Modified-Since, the templates read whole.
        quiet_requests=5,
        progress=lambda cursor: tuple(
            (cursor.get(feed) or {}).get("since") or 0 for feed, _ in XERO_FEEDS
        ),
        install=api.install,
    )


def quickbooks_scenario(engine: Engine) -> Scenario:
    api = fake_quickbooks.FakeQuickBooks()
    CredentialStore(engine, load_cipher({"BUSYWORK_SECRET_KEYS": KEY})).save(
        "acme",
        "conf",
        TokenSet(api.valid_token, api.refresh_token, 9e12, {"realm_id": fake_quickbooks.REALM}),
        expected_version=None,
    )

    def make(_engine: Engine) -> ApiConnector:
        config = QuickBooksConfig(
            name="conf",
            client_id="c",
            client_secret=SecretStr("qbo-secret-conf"),
            token_url=fake_quickbooks.TOKEN_URL,
            base_url=fake_quickbooks.BASE,
            page_size=100,
        )
        context = ConnectorContext(business="acme", timezone="UTC", currency="USD", engine=engine)
        return QuickBooksConnector(
            config,
            context,
            limiter=TokenBucket(1e6, 1e6),
            clock=lambda: api.now.timestamp(),  # noqa: PLW0108  (api.now moves)
            **FAST,
        )  # type: ignore[arg-type]

    def change(count: int) -> None:
        later = api.now + timedelta(minutes=10)
        api.entities["Invoice"] += [
            fake_quickbooks.invoice(1000 + n, updated=later) for n in range(count)
        ]
        api.entities["BillPayment"].append(
            fake_quickbooks.bill_payment(900, [count], updated=later)
        )
        api.now = later + timedelta(minutes=1)

    def seed() -> None:
        api.entities["Invoice"] = [fake_quickbooks.invoice(n) for n in range(230)]
        api.entities["Bill"] = [fake_quickbooks.bill(n, paid=n < 120) for n in range(130)]
        api.entities["BillPayment"] = [fake_quickbooks.bill_payment(n, [n]) for n in range(120)]
        api.entities["RecurringTransaction"] = [
            fake_quickbooks.recurring(n, entity) for n, entity in enumerate(("Invoice", "Bill"))
        ]

    def progress(cursor: dict[str, Any]) -> Any:
        if cursor["mode"] == "query":
            return (0, sum(1 for entry in cursor["entities"].values() if entry.get("done")))
        return (1, cursor["since"])

    return Scenario(
        make=make,
        seed=seed,
        change=change,
        requests=lambda: api.requests,
        # One CDC request for every entity, one read of the templates (no change filter).
        quiet_requests=2,
        progress=progress,
        install=api.install,
    )


SCENARIOS: dict[str, Callable[[Engine], Scenario]] = {
    "stripe": stripe_scenario,
    "xero": xero_scenario,
    "quickbooks": quickbooks_scenario,
}
API_TYPES = sorted(
    name for name, cls in connector_classes().items() if issubclass(cls, ApiConnector)
)


@pytest.fixture(params=API_TYPES)
def scenario(
    request: pytest.FixtureRequest, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Scenario]:
    if request.param not in SCENARIOS:
        pytest.skip(f"no conformance scenario for {request.param!r} in this suite")
    monkeypatch.setenv("BUSYWORK_SECRET_KEYS", KEY)
    built = SCENARIOS[request.param](engine)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        built.install(mock)
        yield built


def test_primary_keys_are_unique_and_present_in_every_page(
    engine: Engine, scenario: Scenario
) -> None:
    scenario.seed()
    pages: list[SyncPage] = list(scenario.make(engine).pages(None))
    assert pages
    for page in pages:
        for batch in page.batches:
            ids = batch.frame["source_id"]
            assert ids.notna().all()
            assert ids.is_unique


def test_cursor_only_moves_forward(engine: Engine, scenario: Scenario) -> None:
    scenario.seed()
    first = [page.cursor for page in scenario.make(engine).pages(None)]
    assert [scenario.progress(c) for c in first] == sorted(scenario.progress(c) for c in first)
    scenario.change(5)
    second = [page.cursor for page in scenario.make(engine).pages(first[-1])]
    assert second
    assert all(scenario.progress(c) >= scenario.progress(first[-1]) for c in second)


def test_second_run_asks_only_for_newer_data(engine: Engine, scenario: Scenario) -> None:
    scenario.seed()
    assert sync_connector(engine, scenario.make(engine)).ok
    cursor = load_cursor(engine, "acme", "conf")
    assert cursor is not None
    scenario.requests().clear()
    quiet = sync_connector(engine, scenario.make(engine))
    assert quiet.ok, quiet.error
    assert len(scenario.requests()) <= scenario.quiet_requests
    assert quiet.stats.inserted == quiet.stats.updated == quiet.stats.deleted == 0
    scenario.change(7)
    scenario.requests().clear()
    changed = sync_connector(engine, scenario.make(engine))
    assert changed.ok, changed.error
    assert len(scenario.requests()) <= scenario.quiet_requests
    assert changed.stats.inserted + changed.stats.updated >= 7
    assert changed.stats.unchanged <= 7


@pytest.mark.parametrize("type_name", API_TYPES)
def test_config_rejects_missing_credentials(type_name: str) -> None:
    model = connector_classes()[type_name].config_model
    with pytest.raises(ValidationError) as caught:
        model.model_validate({"name": "x", "type": type_name})
    # Either a required credential field or a validator demanding one of several.
    assert caught.value.errors(), f"{type_name} accepts a config without credentials"
