"""Benchmark: API connectors against in-process fake vendor APIs.

Usage: python bench/connectors.py [--invoices 50000] [--bills N] [--vendor stripe|xero|quickbooks]
Per vendor: requests and wall time of a backfill of N invoices (plus, for Xero and QuickBooks,
bills with one payment each, N/10 by default, and 20 recurring templates) into a fresh SQLite
store, then the requests of an incremental poll with 0 and with 100 changed invoices. The wall
time excludes the fake API's own work (measured and subtracted) and the rate limiter (the
time a real account's limit imposes is printed separately). Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import responses
from cryptography.fernet import Fernet
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from busywork.store.db import create_engine, migrate
from connectors.base import ConnectorContext
from connectors.http import RetryPolicy, TokenBucket
from connectors.oauth import CredentialStore, TokenSet, load_cipher
from connectors.quickbooks import QuickBooksConfig, QuickBooksConnector
from connectors.rest import ApiConnector
from connectors.stripe import StripeConfig, StripeConnector
from connectors.sync import sync_connector
from connectors.xero import XeroConfig, XeroConnector
from tests.connectors import fake_quickbooks, fake_stripe, fake_xero

NO_LIMIT = TokenBucket(1e9, 1e9)


@dataclass
class Setup:
    install: Callable[[responses.RequestsMock], None]
    requests: Callable[[], list[Any]]
    make: Callable[[], ApiConnector]
    change: Callable[[int], None]


#: Recurring templates per accounting company (read whole on every poll).
TEMPLATES = 20


def stripe(engine: Any, invoices: int, bills: int) -> Setup:
    api = fake_stripe.FakeStripe()
    api.customers = [fake_stripe.customer(n) for n in range(50)]
    api.invoices = [fake_stripe.invoice(n) for n in range(invoices)]
    now = [1_700_000_000 + invoices + 10]

    def change(count: int) -> None:
        now[0] += 60
        for n in range(count):
            api.add_event("invoice.paid", fake_stripe.invoice(n, status="paid"), now[0] - 30)

    def make() -> ApiConnector:
        config = StripeConfig(
            name="cards", api_key=SecretStr("rk_test_bench0001"), base_url=fake_stripe.BASE
        )
        context = ConnectorContext(business="bench", timezone="UTC", currency="GBP")
        return StripeConnector(config, context, limiter=NO_LIMIT, clock=lambda: now[0])

    return Setup(api.install, lambda: api.requests, make, change)


def xero(engine: Any, invoices: int, bills: int) -> Setup:
    api = fake_xero.FakeXero()
    api.feeds["Contacts"] = [fake_xero.contact(n) for n in range(50)]
    api.feeds["Invoices"] = [fake_xero.invoice(n) for n in range(invoices)]
    payable = [fake_xero.invoice(invoices + n, kind="ACCPAY", status="PAID") for n in range(bills)]
    api.feeds["Invoices"] += payable
    api.feeds["Payments"] = [fake_xero.payment(n, bill) for n, bill in enumerate(payable)]
    api.feeds["RepeatingInvoices"] = [fake_xero.repeating_invoice(n) for n in range(TEMPLATES)]
    tokens = TokenSet(api.valid_token, api.refresh_token, 9e12, {"tenant_id": fake_xero.TENANT})
    CredentialStore(engine, load_cipher()).save("bench", "books", tokens, expected_version=None)

    def change(count: int) -> None:
        later = fake_xero.T0 + 1000 * (invoices + bills + 3600)
        for n in range(count):
            api.feeds["Invoices"][n] = fake_xero.invoice(n, status="PAID", updated=later)

    def make() -> ApiConnector:
        config = XeroConfig(
            name="books",
            client_id="bench",
            client_secret=SecretStr("xero-bench-secret"),
            token_url=fake_xero.TOKEN_URL,
            base_url=fake_xero.BASE,
        )
        context = ConnectorContext(business="bench", timezone="UTC", currency="NZD", engine=engine)
        return XeroConnector(config, context, limiter=NO_LIMIT)

    return Setup(api.install, lambda: api.requests, make, change)


def quickbooks(engine: Any, invoices: int, bills: int) -> Setup:
    api = fake_quickbooks.FakeQuickBooks()
    api.entities["Customer"] = [fake_quickbooks.customer(n) for n in range(50)]
    api.entities["Invoice"] = [fake_quickbooks.invoice(n) for n in range(invoices)]
    api.entities["Bill"] = [fake_quickbooks.bill(n, paid=True) for n in range(bills)]
    api.entities["BillPayment"] = [fake_quickbooks.bill_payment(n, [n]) for n in range(bills)]
    api.entities["RecurringTransaction"] = [
        fake_quickbooks.recurring(n, ("Invoice", "Bill")[n % 2]) for n in range(TEMPLATES)
    ]
    api.now = fake_quickbooks.T0 + timedelta(seconds=invoices + 60)
    tokens = TokenSet(api.valid_token, api.refresh_token, 9e12, {"realm_id": fake_quickbooks.REALM})
    CredentialStore(engine, load_cipher()).save("bench", "qbo", tokens, expected_version=None)

    def change(count: int) -> None:
        later = api.now + timedelta(minutes=5)
        for n in range(count):
            api.entities["Invoice"][n] = fake_quickbooks.invoice(n, updated=later, paid=True)
        api.now = later + timedelta(minutes=1)

    def make() -> ApiConnector:
        config = QuickBooksConfig(
            name="qbo",
            client_id="bench",
            client_secret=SecretStr("qbo-bench-secret"),
            token_url=fake_quickbooks.TOKEN_URL,
            base_url=fake_quickbooks.BASE,
        )
        context = ConnectorContext(business="bench", timezone="UTC", currency="USD", engine=engine)
        return QuickBooksConnector(
            config,
            context,
            limiter=NO_LIMIT,
            clock=lambda: api.now.timestamp(),  # noqa: PLW0108  (api.now moves)
            retry=RetryPolicy(),
        )

    return Setup(api.install, lambda: api.requests, make, change)


VENDORS: dict[str, tuple[Callable[[Any, int, int], Setup], type[ApiConnector]]] = {
    "stripe": (stripe, StripeConnector),
    "xero": (xero, XeroConnector),
    "quickbooks": (quickbooks, QuickBooksConnector),
}


def timed_fake(mock: responses.RequestsMock, spent: list[float]) -> None:
    """Wrap every fake endpoint so its own time can be subtracted from the wall time."""
    for registered in mock.registered():
        callback = getattr(registered, "callback", None)
        if callback is None:
            continue

        def wrapper(request: Any, inner: Callable[[Any], Any] = callback) -> Any:
            started = time.perf_counter()
            try:
                return inner(request)
            finally:
                spent[0] += time.perf_counter() - started

        registered.callback = wrapper  # type: ignore[attr-defined]


def run(vendor: str, invoices: int, bills: int) -> dict[str, Any]:
    build, cls = VENDORS[vendor]
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        migrate(engine)
        setup = build(engine, invoices, bills)
        spent = [0.0]
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            setup.install(mock)
            timed_fake(mock, spent)
            started = time.perf_counter()
            result = sync_connector(engine, setup.make())
            wall = time.perf_counter() - started - spent[0]
            assert result.ok, result.error
            backfill = len(setup.requests())
            setup.requests().clear()
            quiet = sync_connector(engine, setup.make())
            assert quiet.ok, quiet.error
            quiet_requests = len(setup.requests())
            setup.change(100)
            setup.requests().clear()
            changed = sync_connector(engine, setup.make())
            assert changed.ok, changed.error
            assert changed.stats.updated >= 100, changed.stats
        engine.dispose()
    return {
        "vendor": vendor,
        "records": result.stats.inserted,
        "backfill_requests": backfill,
        "backfill_s": wall,
        "limit_bound_s": max(0.0, (backfill - cls.burst) / cls.rate_per_s),
        "quiet_requests": quiet_requests,
        "changed_requests": len(setup.requests()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=50_000)
    parser.add_argument("--bills", type=int, help="bills (each paid once); default invoices/10")
    parser.add_argument("--vendor", choices=sorted(VENDORS), action="append")
    args = parser.parse_args()
    os.environ.setdefault("BUSYWORK_SECRET_KEYS", Fernet.generate_key().decode())
    print(
        f"{'vendor':<11} {'records':>8} {'backfill req':>12} {'backfill s':>10}"
        f" {'at rate limit':>13} {'poll 0 chg':>10} {'poll 100 chg':>12}"
    )
    for vendor in args.vendor or sorted(VENDORS):
        bills = args.invoices // 10 if args.bills is None else args.bills
        row = run(vendor, args.invoices, bills)
        print(
            f"{row['vendor']:<11} {row['records']:>8,} {row['backfill_requests']:>12,}"
            f" {row['backfill_s']:>10.1f} {row['limit_bound_s']:>12.0f}s"
            f" {row['quiet_requests']:>10} {row['changed_requests']:>12}"
        )


if __name__ == "__main__":
    main()
