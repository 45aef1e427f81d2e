"""Storing a signing secret the user copied from a vendor's dashboard."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from cryptography.fernet import MultiFernet
from sqlalchemy.engine import Engine

from busywork.errors import ConfigError
from busywork.inbound import subscriptions
from busywork.inbound.subscriptions import Subscription
from busywork.inbound.vendors import VERIFIERS
from config.models import AppConfig

#: Vendors whose signing secret comes from their dashboard (Stripe: when made by hand).
PASTED = ("stripe", "quickbooks", "xero")


def store_secret(
    engine: Engine,
    cipher: MultiFernet,
    config: AppConfig,
    connector: str,
    secret: str,
    *,
    replace_all: bool = False,
    now: datetime,
) -> None:
    """Add ``secret`` as the newest signing secret of ``connector`` (older ones kept).

    Raises:
        ConfigError: unknown connector, a vendor whose secret we choose, or an empty secret.
    """
    entry = next((c for c in config.connectors if c.name == connector), None)
    if entry is None:
        names = ", ".join(c.name for c in config.connectors)
        raise ConfigError(f"no connector {connector!r} in {config.business.id}; have: {names}")
    vendor = VERIFIERS.get(entry.type, ("", None))[0]
    if vendor not in PASTED:
        raise ConfigError(
            f"{connector}: {entry.type} secrets are chosen by busywork webhooks sync, not pasted"
        )
    if not secret or any(ch.isspace() for ch in secret):
        raise ConfigError(
            f"{connector}: the secret read from standard input is empty or has spaces"
        )
    current = subscriptions.load(engine, cipher, config.business.id, connector) or Subscription(
        config.business.id,
        connector,
        vendor,
        "pending",
        {"token": subscriptions.new_token()},
        None,
        None,
        None,
    )
    secrets = dict(current.secrets)
    if replace_all:
        secrets["secrets"] = []
    subscriptions.save(
        engine, cipher, replace(current, secrets=subscriptions.with_secret(secrets, secret)), now
    )
