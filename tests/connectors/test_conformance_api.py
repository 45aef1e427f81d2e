"""The same contract checked on every registered API connector, each against its fake API.

Accounting (Stripe, Xero, QuickBooks) and calendars (Google, Microsoft Graph, Calendly) alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from cryptography.fernet import Fernet
from pydantic import SecretStr, ValidationError
from sqlalchemy.engine import Engine

from connectors.base import ConnectorContext, SyncPage
from connectors.calendly import CalendlyConfig, CalendlyConnector
from connectors.google_calendar import GoogleCalendarConfig, GoogleCalendarConnector
from connectors.http import RetryPolicy, TokenBucket
from connectors.msgraph_calendar import MsGraphCalendarConfig, MsGraphCalendarConnector
from connectors.oauth import CredentialStore, TokenSet, load_cipher
from connectors.quickbooks import QuickBooksConfig, QuickBooksConnector
from connectors.registry import connector_classes
from connectors.rest import ApiConnector
from connectors.stripe import FEEDS as STRIPE_FEEDS
from connectors.stripe import StripeConfig, StripeConnector
from connectors.sync import load_cursor, sync_connector
from connectors.xero import FEEDS as XERO_FEEDS
from connectors.xero import XeroConfig, XeroConnector
from tests.connectors import (
    fake_calendly,
    fake_google,
    fake_msgraph,
    fake_quickbooks,
    fake_stripe,
    fake_xero,
)

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
    #: Requests a poll after ``count`` changes may cost; by default ``quiet_requests``.
    changed_requests: Callable[[int], int] | None = field(default=None)

    def changes_cost(self, count: int) -> int:
        """The most requests a poll may send after ``count`` changes."""
        return (
            self.quiet_requests if self.changed_requests is None else self.changed_requests(count)
        )


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
            return (0, STRIPE_FEEDS.index(cursor["feed"]), 0)
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
        # One request per feed: five with If-Modified-Since, the templates and the chart read
        # whole, and the histories of the two bills the one-second overlap reads again.
        quiet_requests=len(XERO_FEEDS) + 4,
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


def _oauth_tokens(engine: Engine) -> None:
    """Tokens for the ``conf`` connector that stay valid for the whole test."""
    CredentialStore(engine, load_cipher({"BUSYWORK_SECRET_KEYS": KEY})).save(
        "acme", "conf", TokenSet("access-conf", "refresh-conf", 9e12), expected_version=None
    )


def _token_position(link: str | None, name: str) -> int:
    """The log position a fake's sync token or delta link names (-1 before the first)."""
    if not link:
        return -1
    query = parse_qs(urlsplit(link).query)
    return int(query[name][0]) if name in query else int(link.rsplit("-", 1)[-1])


def _event_feed(
    api: fake_google.FakeGoogle | fake_msgraph.FakeGraph,
    put: Callable[[str, str], None],
    *,
    make: Callable[[Engine], ApiConnector],
    progress: Callable[[dict[str, Any]], Any],
    install: Callable[[responses.RequestsMock], None],
) -> Scenario:
    """A calendar read as one change feed: 230 events in January, changes in February.

    ``put(uid, start)`` adds or replaces the event ``uid`` starting at the naive-UTC ``start``.
    """

    def seed() -> None:
        for n in range(230):
            put(f"ev{n:04d}", f"2026-01-{1 + n % 28:02d}T09:00:00")

    def change(count: int) -> None:
        for n in range(count):
            put(f"new{len(api.log)}-{n}", "2026-02-02T10:00:00")

    return Scenario(
        make=make,
        seed=seed,
        change=change,
        requests=lambda: api.requests,
        quiet_requests=1,
        progress=progress,
        install=install,
    )


def google_scenario(engine: Engine) -> Scenario:
    api = fake_google.FakeGoogle()
    _oauth_tokens(engine)

    def make(_engine: Engine) -> ApiConnector:
        config = GoogleCalendarConfig(
            name="conf",
            client_id="c.apps.googleusercontent.com",
            client_secret=SecretStr("gcal-secret-conf"),
            base_url=fake_google.BASE,
            page_size=100,
        )
        context = ConnectorContext(business="acme", timezone="UTC", currency="GBP", engine=engine)
        return GoogleCalendarConnector(config, context, limiter=TokenBucket(1e6, 1e6), **FAST)  # type: ignore[arg-type]

    return _event_feed(
        api,
        lambda uid, start: api.put(fake_google.event(uid, f"{start}Z")),
        make=make,
        progress=lambda cursor: _token_position(cursor.get("sync_token"), "syncToken"),
        install=api.install,
    )


def msgraph_scenario(engine: Engine) -> Scenario:
    api = fake_msgraph.FakeGraph()
    _oauth_tokens(engine)
    now = datetime(2026, 3, 2, 12, tzinfo=UTC).timestamp()

    def make(_engine: Engine) -> ApiConnector:
        config = MsGraphCalendarConfig(
            name="conf",
            client_id="app-conf",
            client_secret=SecretStr("graph-secret-conf"),
            base_url=fake_msgraph.BASE,
            page_size=100,
        )
        context = ConnectorContext(business="acme", timezone="UTC", currency="GBP", engine=engine)
        return MsGraphCalendarConnector(
            config, context, limiter=TokenBucket(1e6, 1e6), clock=lambda: now, **FAST
        )  # type: ignore[arg-type]

    return _event_feed(
        api,
        lambda uid, start: api.put(fake_msgraph.graph_event(uid, start)),
        make=make,
        progress=lambda cursor: (
            cursor["window_start"],
            _token_position(cursor.get("delta_link"), "$deltatoken"),
        ),
        install=lambda mock: mock.add_callback("GET", fake_msgraph.DELTA, callback=api),
    )


def calendly_scenario(engine: Engine) -> Scenario:
    api = fake_calendly.FakeCalendly()
    now = datetime(2026, 9, 1, 12, tzinfo=UTC)

    def make(_engine: Engine) -> ApiConnector:
        config = CalendlyConfig(
            name="conf", token=SecretStr("calendly-pat-conf"), base_url=fake_calendly.BASE
        )
        context = ConnectorContext(business="acme", timezone="UTC", currency="GBP")
        return CalendlyConnector(
            config, context, limiter=TokenBucket(1e6, 1e6), clock=now.timestamp, **FAST
        )  # type: ignore[arg-type]

    def book(uuid: str, start: datetime) -> None:
        api.book(
            fake_calendly.scheduled_event(
                uuid,
                start.strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
                (start + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
            ),
            fake_calendly.invitee(uuid, f"{uuid.lower()}@example.com", "Ann Lee"),
        )

    def seed() -> None:
        # Past the re-read window: a quiet poll need not read them again.
        for n in range(230):
            book(f"EV{n:04d}", datetime(2025, 1, 1, 9, tzinfo=UTC) + timedelta(days=2 * n))

    def change(count: int) -> None:
        for n in range(count):
            book(f"NEW{len(api.events)}", now + timedelta(days=1 + n))

    def progress(cursor: dict[str, Any]) -> Any:
        # Keyset on start_time while listing everything; then a window that follows the clock.
        return (0, cursor["after"]) if cursor["mode"] == "full" else (1, "")

    return Scenario(
        make=make,
        seed=seed,
        change=change,
        requests=lambda: api.requests,
        quiet_requests=1,
        progress=progress,
        install=api.install,
        # The window listing, the event type once, and each new event's invitees (Calendly
        # has no bulk invitee listing): in proportion to the changes, not to the history.
        changed_requests=lambda count: 2 + count,
    )


SCENARIOS: dict[str, Callable[[Engine], Scenario]] = {
    "stripe": stripe_scenario,
    "xero": xero_scenario,
    "quickbooks": quickbooks_scenario,
    "google_calendar": google_scenario,
    "msgraph_calendar": msgraph_scenario,
    "calendly": calendly_scenario,
}
API_TYPES = sorted(
    name for name, cls in connector_classes().items() if issubclass(cls, ApiConnector)
)


@pytest.fixture(params=API_TYPES)
def scenario(
    request: pytest.FixtureRequest, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Scenario]:
    if request.param not in SCENARIOS:
        pytest.fail(f"no conformance scenario for {request.param!r}: add one to SCENARIOS")
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
    assert len(scenario.requests()) <= scenario.changes_cost(7)
    assert changed.stats.inserted + changed.stats.updated >= 7
    assert changed.stats.unchanged <= 7


@pytest.mark.parametrize("type_name", API_TYPES)
def test_config_rejects_missing_credentials(type_name: str) -> None:
    model = connector_classes()[type_name].config_model
    with pytest.raises(ValidationError) as caught:
        model.model_validate({"name": "x", "type": type_name})
    # Either a required credential field or a validator demanding one of several.
    assert caught.value.errors(), f"{type_name} accepts a config without credentials"
