"""``busywork eval --route api``: a generated business served by fake vendor APIs, scanned.

The books go to QuickBooks Online (even seeds) or Xero (odd seeds) except the invoices a
subscription or an integration made, which go to Stripe (their customers under Stripe
ids); booking-link appointments go to Calendly and every other appointment to its staff
member's Google calendar, all on one local server. The business's config points the real
connectors at it; OAuth connectors start from an expired access token, so the refresh
plumbing runs too. Nothing is mocked inside the connectors.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from busywork.evalkit import fake_calendars, fake_quickbooks, fake_stripe, fake_xero
from busywork.evalkit.scanned import Scanned, scan_once
from busywork.evalkit.vendor_server import VendorApi, VendorServer
from busywork.store.db import open_store
from busywork.synth import SyntheticBusiness
from config.loader import parse_config
from connectors.http import limiter_for
from connectors.oauth import KEYS_ENV, CredentialStore, TokenSet, load_cipher
from worker import Worker

#: The fakes answer at once; the vendors' real rate limits would only make the run slow.
UNLIMITED = 1e9


def scan_through_apis(
    business: SyntheticBusiness, *, folder: Path, seed: int, as_of: datetime, again: bool = False
) -> Scanned:
    """Serve ``business`` through the fakes, scan it with the real connectors, return the report.

    With ``again``, every detector then runs again on the same store
    (:func:`~busywork.evalkit.scanned.detect_again`), and that report comes too.

    Raises:
        RuntimeError: a connector failed (its silence would read as "nothing found").
    """
    # Tokens are stored encrypted; an evaluation without a key of its own gets a throwaway one.
    os.environ.setdefault(KEYS_ENV, Fernet.generate_key().decode())
    frames = business.frames
    stripe = fake_stripe.StripeApi(fake_stripe.stripe_objects(frames))
    books: VendorApi = (
        fake_xero.XeroApi(fake_xero.organisation(books_only(frames)), fake_xero.histories(frames))
        if uses_xero(seed)
        else fake_quickbooks.QuickBooksApi(fake_quickbooks.company(books_only(frames)))
    )
    google = fake_calendars.GoogleCalendarApi(fake_calendars.google_events(frames["appointments"]))
    calendly = fake_calendars.CalendlyApi(fake_calendars.calendly_events(frames["appointments"]))
    business_id = f"eval{seed}"
    with VendorServer([books, stripe, google, calendly]) as server:
        text = api_config(
            business_id,
            business.truth["business"]["name"],
            server.url,
            calendars=sorted(google.calendars),
            store=folder / "store.db",
            xero=uses_xero(seed),
        )
        config = parse_config(text, base_dir=folder)
        engine = open_store(config.storage.url)
        try:
            _connect(engine, config, business_id)
            return scan_once(Worker([config], engine=engine, as_of=as_of), config, again=again)
        finally:
            engine.dispose()


def books_only(frames: dict[str, Any]) -> dict[str, Any]:
    """The frames QuickBooks holds: everything but the invoices Stripe made (and their parts)."""
    invoices = frames["invoices"]
    stripe = invoices["origin"].isin(fake_stripe.STRIPE_ORIGINS)
    ids = set(invoices.loc[stripe, "source_id"])
    lines, payments = frames["invoice_lines"], frames["payments"]
    return {
        **frames,
        "invoices": invoices[~stripe],
        "invoice_lines": lines[~lines["invoice_id"].isin(ids)],
        "payments": payments[~payments["invoice_id"].isin(ids)],
    }


def uses_xero(seed: int) -> bool:
    """Odd seeds keep their books in Xero, even seeds in QuickBooks Online."""
    return seed % 2 == 1


def known_aliases(business: SyntheticBusiness) -> dict[str | None, str | None]:
    """Vendor ids of truth subjects: customers Stripe knows by its own ids."""
    return {
        fake_stripe.stripe_customer_id(str(c)): str(c)
        for c in business.frames["customers"]["source_id"]
    }


def api_config(
    business_id: str,
    name: str,
    url: str,
    *,
    calendars: list[str],
    store: Path,
    xero: bool = False,
) -> str:
    """The YAML config of a business whose connectors all point at the fake server."""
    books: dict[str, Any] = (
        {
            "name": "books",
            "type": "xero",
            "client_id": "eval",
            "client_secret": "eval-xero-secret",
            "token_url": f"{url}/xero{fake_xero.XeroApi.token_path}",
            "base_url": f"{url}/xero",
            "tenant_id": fake_xero.TENANT,
        }
        if xero
        else {
            "name": "books",
            "type": "quickbooks",
            "client_id": "eval",
            "client_secret": "eval-quickbooks-secret",
            "token_url": f"{url}/quickbooks{fake_quickbooks.QuickBooksApi.token_path}",
            "base_url": f"{url}/quickbooks",
            "realm_id": fake_quickbooks.REALM,
        }
    )
    connectors = [
        books,
        {
            "name": "payments",
            "type": "stripe",
            "api_key": fake_stripe.API_KEY,
            "base_url": f"{url}/stripe",
        },
        {
            "name": "bookings",
            "type": "calendly",
            "token": fake_calendars.CALENDLY_TOKEN,
            "base_url": f"{url}/calendly",
            "owner_emails": calendars,
        },
    ]
    connectors += [
        {
            "name": f"calendar{n}",
            "type": "google_calendar",
            "client_id": "eval",
            "client_secret": "eval-google-secret",
            "token_url": f"{url}/google{fake_calendars.GoogleCalendarApi.token_path}",
            "base_url": f"{url}/google",
            "calendar_id": calendar,
            "owner_emails": calendars,
        }
        for n, calendar in enumerate(calendars, start=1)
    ]
    lines = [
        f"business: {{id: {business_id}, name: {json.dumps(name)}, "
        "timezone: Europe/London, currency: GBP}",
        f"storage: {{url: {json.dumps('sqlite:///' + store.as_posix())}}}",
        "connectors:",
        *(f"  - {json.dumps(connector)}" for connector in connectors),
        "goals:",
        "  - {id: time, name: Less admin, objective: owner_time, weight: 1}",
    ]
    return "\n".join(lines) + "\n"


def _connect(engine: Any, config: Any, business_id: str) -> None:
    """What ``busywork connect`` would have stored: expired access tokens, valid refresh ones."""
    store = CredentialStore(engine, load_cipher())
    for connector in config.connectors:
        if connector.type == "xero":
            tokens = TokenSet("expired", fake_xero.REFRESH_TOKEN, 0.0, {})
            limiter_for("xero", fake_xero.TENANT, UNLIMITED, UNLIMITED)
        elif connector.type == "quickbooks":
            tokens = TokenSet("expired", fake_quickbooks.REFRESH_TOKEN, 0.0, {})
            limiter_for("quickbooks", fake_quickbooks.REALM, UNLIMITED, UNLIMITED)
        elif connector.type == "google_calendar":
            tokens = TokenSet("expired", fake_calendars.GOOGLE_REFRESH, 0.0, {})
            tenant = f"{business_id}:{connector.name}"
            limiter_for("google_calendar", tenant, UNLIMITED, UNLIMITED)
        else:
            limiter_for(connector.type, connector.name, UNLIMITED, UNLIMITED)
            continue
        store.save(business_id, connector.name, tokens, expected_version=None)
