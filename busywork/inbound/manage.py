"""``busywork webhooks sync``: make each connector's push subscription match the config.

For every enabled connector whose vendor pushes, an endpoint (random token) is kept in
the store; where the vendor has an API for it, the subscription is opened there and renewed
before it expires, and it is closed when the connector is disabled. Where it has none
(QuickBooks, Xero) the exact settings to paste are returned instead. The function is
idempotent: run it after changing the config, and regularly (the worker does, hourly) so
renewals happen in time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from cryptography.fernet import MultiFernet
from sqlalchemy.engine import Engine

from busywork.errors import BusyworkError
from busywork.inbound import subscriptions
from busywork.inbound.instructions import paste_instructions
from busywork.inbound.register import MANAGED, RENEW_BEFORE
from busywork.inbound.subscriptions import Subscription
from busywork.inbound.vendors import VERIFIERS
from config.models import AppConfig
from connectors.base import ConnectorContext
from connectors.http import HttpClient
from connectors.registry import get_connector

log = logging.getLogger("busywork.inbound")
#: Builds the connector's authenticated API client (tests inject a fake's).
ClientFactory = Callable[[AppConfig, Any, Engine], HttpClient]


@dataclass(frozen=True)
class Outcome:
    """What ``sync`` did for one connector, for the user to read."""

    connector: str
    vendor: str
    action: str
    detail: str


def connector_client(config: AppConfig, connector_config: Any, engine: Engine) -> HttpClient:
    """The connector's own API client (its tokens, retries and limits)."""
    connector = get_connector(connector_config.type)(
        connector_config,
        ConnectorContext(
            business=config.business.id,
            timezone=config.business.timezone,
            currency=config.business.currency,
            engine=engine,
        ),
    )
    client: HttpClient = connector.client()  # type: ignore[attr-defined]
    return client


def endpoint_url(public_url: str, token: str) -> str:
    """The URL a vendor posts to for one connector."""
    return f"{public_url.rstrip('/')}/hooks/{token}"


def sync(
    engine: Engine,
    cipher: MultiFernet,
    config: AppConfig,
    public_url: str | None,
    now: datetime,
    *,
    client_for: ClientFactory = connector_client,
    only: str | None = None,
) -> list[Outcome]:
    """Open, renew or close each connector's subscription; see the module docstring.

    Args:
        engine: The store.
        cipher: The key set the secrets are encrypted with.
        config: The business.
        public_url: Where ``busywork serve`` is reachable from the internet; None renews
            only the subscriptions that already exist, at the address they were opened with.
        now: The time.
        client_for: Builds a connector's API client.
        only: Sync just this connector.
    """
    outcomes: list[Outcome] = []
    business = config.business.id
    configured = {entry.name: entry for entry in config.connectors}
    for name, entry in configured.items():
        if only is not None and name != only:
            continue
        if entry.type not in VERIFIERS:
            continue
        vendor = VERIFIERS[entry.type][0]
        current = subscriptions.load(engine, cipher, business, name)
        if not entry.enabled:
            if current is not None:
                outcomes.append(_close(engine, config, entry, current, client_for))
            continue
        if current is None and public_url is None:
            continue
        if current is None:
            current = Subscription(
                business,
                name,
                vendor,
                "pending",
                {"token": subscriptions.new_token()},
                None,
                None,
                None,
            )
        scope = getattr(entry, "realm_id", None) or getattr(entry, "tenant_id", None)
        if scope and current.secrets.get("scope") != scope:
            current = replace(current, secrets={**current.secrets, "scope": scope})
        url = (
            endpoint_url(public_url, current.secrets["token"])
            if public_url
            else str(current.secrets.get("url", ""))
        )
        if not url:
            continue
        current = replace(current, secrets={**current.secrets, "url": url})
        if vendor not in MANAGED:
            subscriptions.save(engine, cipher, current, now)
            waiting = (
                "waiting for the secret" if not current.secrets.get("secrets") else current.state
            )
            outcomes.append(Outcome(name, vendor, waiting, paste_instructions(vendor, name, url)))
            continue
        outcomes.append(_open(engine, cipher, config, entry, current, url, now, client_for))
    for stale in subscriptions.all_for(engine, cipher, business):
        if stale.connector not in configured and (only is None or only == stale.connector):
            # The connector is gone from the config, so is its client: forget the endpoint
            # (notifications to it now get 404); Google and Graph channels lapse on expiry.
            subscriptions.delete(engine, business, stale.connector)
            outcomes.append(Outcome(stale.connector, stale.vendor, "forgotten", "not in config"))
    return outcomes


def _open(
    engine: Engine,
    cipher: MultiFernet,
    config: AppConfig,
    entry: Any,
    current: Subscription,
    url: str,
    now: datetime,
    client_for: ClientFactory,
) -> Outcome:
    register, _close_fn, opened_key = MANAGED[current.vendor]
    # A Stripe secret pasted by hand means the endpoint was made in the dashboard.
    manual = current.vendor == "stripe" and bool(current.secrets.get("secrets"))
    if current.state == "lost" and not manual:
        # The vendor dropped it (or opening failed): open a new one rather than renew.
        current = replace(
            current, secrets={k: v for k, v in current.secrets.items() if k != opened_key}
        )
    is_open = bool(current.secrets.get(opened_key)) or manual
    due = current.expires_at is not None and current.expires_at - now < RENEW_BEFORE
    if is_open and current.state in ("active", "pending") and not due:
        return Outcome(entry.name, current.vendor, "unchanged", _until(current))
    # Stored first: Graph posts its validation request to the URL before it answers ours.
    subscriptions.save(engine, cipher, current, now)
    try:
        opened = register(client_for(config, entry, engine), entry, url, dict(current.secrets), now)
    except (BusyworkError, KeyError, ValueError) as exc:
        failed = replace(current, state="lost", last_error=str(exc)[:1024])
        subscriptions.save(engine, cipher, failed, now)
        log.warning(
            "webhook subscription business=%s connector=%s action=open_failed error=%s",
            config.business.id,
            entry.name,
            exc,
        )
        return Outcome(entry.name, current.vendor, "failed", f"{exc}; polling carries on")
    saved = replace(
        current,
        secrets=opened.secrets,
        expires_at=opened.expires_at,
        state="active",
        last_error=None,
    )
    subscriptions.save(engine, cipher, saved, now)
    action = "renewed" if is_open else "opened"
    log.info(
        "webhook subscription business=%s connector=%s action=%s",
        config.business.id,
        entry.name,
        action,
    )
    return Outcome(entry.name, current.vendor, action, _until(saved))


def _close(
    engine: Engine, config: AppConfig, entry: Any, current: Subscription, client_for: ClientFactory
) -> Outcome:
    if current.vendor in MANAGED:
        _register, close, opened_key = MANAGED[current.vendor]
        if current.secrets.get(opened_key):
            try:
                close(client_for(config, entry, engine), entry, dict(current.secrets))
            except BusyworkError as exc:
                return Outcome(entry.name, current.vendor, "failed", f"could not close: {exc}")
    subscriptions.delete(engine, config.business.id, entry.name)
    return Outcome(entry.name, current.vendor, "closed", "connector disabled")


def _until(subscription: Subscription) -> str:
    if subscription.expires_at is None:
        return "no expiry"
    return f"expires {subscription.expires_at:%Y-%m-%d %H:%M} UTC"
