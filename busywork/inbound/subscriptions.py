"""Stored subscriptions: the endpoint token (hashed for lookup), secrets encrypted, state.

The secrets are one JSON object per subscription, encrypted with the same
``BUSYWORK_SECRET_KEYS`` MultiFernet as OAuth tokens (so ``busywork rotate-key`` covers
them too). Keys used inside it: ``token`` (the endpoint's path token), ``secrets`` (signing
secrets, newest first), ``scope`` (the realm or tenant the endpoint is for), and the
vendor's own ids (``channel_id``, ``resource_id``, ``channel_token``, ``subscription_id``,
``client_state``).
"""

from __future__ import annotations

import hashlib
import json
import secrets as random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import InvalidToken, MultiFernet
from sqlalchemy.engine import Connection, Engine

from busywork.errors import ConfigError
from busywork.store.webhooks import WebhookEvent, WebhookSubscription

TABLE = WebhookSubscription.__table__  # type: ignore[attr-defined]
#: Signing secrets kept per subscription: the newest and the ones it is replacing.
MAX_SECRETS = 3
#: How long event ids are remembered: Stripe redelivers for up to three days, others less.
EVENT_MEMORY = timedelta(days=30)


@dataclass(frozen=True)
class Subscription:
    """One decrypted subscription."""

    business: str
    connector: str
    vendor: str
    state: str
    secrets: dict[str, Any]
    expires_at: datetime | None
    last_notified_at: datetime | None
    last_error: str | None


def token_hash(token: str) -> str:
    """The lookup key stored for an endpoint token."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """An unguessable URL-safe token (256 bits)."""
    return random.token_urlsafe(32)


def _decrypt(cipher: MultiFernet, row: Any) -> Subscription:
    try:
        values = json.loads(cipher.decrypt(row.ciphertext.encode()))
    except InvalidToken:
        raise ConfigError(
            f"{row.business}/{row.connector}: webhook secrets cannot be decrypted with"
            " BUSYWORK_SECRET_KEYS"
        ) from None
    return Subscription(
        business=row.business,
        connector=row.connector,
        vendor=row.vendor,
        state=row.state,
        secrets=values,
        expires_at=row.expires_at,
        last_notified_at=row.last_notified_at,
        last_error=row.last_error,
    )


def by_token(engine: Engine, cipher: MultiFernet, token: str) -> Subscription | None:
    """The subscription whose endpoint token is ``token``, or None."""
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(TABLE).where(TABLE.c.token_hash == token_hash(token))
        ).first()
    return None if row is None else _decrypt(cipher, row)


def load(engine: Engine, cipher: MultiFernet, business: str, connector: str) -> Subscription | None:
    """The subscription of one connector, or None."""
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(TABLE).where(TABLE.c.business == business, TABLE.c.connector == connector)
        ).first()
    return None if row is None else _decrypt(cipher, row)


def all_for(engine: Engine, cipher: MultiFernet, business: str) -> list[Subscription]:
    """Every subscription of ``business``, by connector name."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(TABLE).where(TABLE.c.business == business).order_by(TABLE.c.connector)
        ).all()
    return [_decrypt(cipher, row) for row in rows]


def save(
    engine: Engine,
    cipher: MultiFernet,
    subscription: Subscription,
    now: datetime,
) -> None:
    """Insert or replace one subscription (its token hash follows ``secrets['token']``)."""
    values = {
        "vendor": subscription.vendor,
        "token_hash": token_hash(subscription.secrets["token"]),
        "ciphertext": cipher.encrypt(json.dumps(subscription.secrets).encode()).decode(),
        "state": subscription.state,
        "expires_at": subscription.expires_at,
        "last_notified_at": subscription.last_notified_at,
        "last_error": subscription.last_error,
        "updated_at": now,
    }
    key = sa.and_(
        TABLE.c.business == subscription.business, TABLE.c.connector == subscription.connector
    )
    with engine.begin() as connection:
        if not connection.execute(sa.update(TABLE).where(key).values(**values)).rowcount:
            connection.execute(
                sa.insert(TABLE).values(
                    business=subscription.business, connector=subscription.connector, **values
                )
            )


def mark(
    connection: Connection,
    business: str,
    connector: str,
    now: datetime,
    *,
    state: str | None = None,
    notified: bool = False,
) -> None:
    """Move a subscription's state and/or note that a genuine notification arrived."""
    values: dict[str, Any] = {"updated_at": now}
    if state is not None:
        values["state"] = state
    if notified:
        values["last_notified_at"] = now
    connection.execute(
        sa.update(TABLE)
        .where(TABLE.c.business == business, TABLE.c.connector == connector)
        .values(**values)
    )


def delete(engine: Engine, business: str, connector: str) -> None:
    """Forget a subscription (after the vendor side was stopped)."""
    with engine.begin() as connection:
        connection.execute(
            sa.delete(TABLE).where(TABLE.c.business == business, TABLE.c.connector == connector)
        )


def with_secret(secrets: dict[str, Any], secret: str) -> dict[str, Any]:
    """``secrets`` with ``secret`` as the newest signing secret, the oldest dropped past max."""
    kept = [value for value in secrets.get("secrets", []) if value != secret]
    return {**secrets, "secrets": [secret, *kept][:MAX_SECRETS]}


def rotate(engine: Engine, cipher: MultiFernet) -> int:
    """Re-encrypt every subscription's secrets under the first key; returns the count.

    Raises:
        ConfigError: a row cannot be decrypted with any key; nothing was changed.
    """
    with engine.begin() as connection:
        rows = connection.execute(
            sa.select(TABLE.c.business, TABLE.c.connector, TABLE.c.ciphertext)
            .order_by(TABLE.c.business, TABLE.c.connector)
            .with_for_update()
        ).all()
        for row in rows:
            try:
                ciphertext = cipher.rotate(row.ciphertext.encode()).decode()
            except InvalidToken:
                raise ConfigError(
                    f"no key decrypts the webhook secrets of {row.business}/{row.connector};"
                    " nothing was changed"
                ) from None
            connection.execute(
                sa.update(TABLE)
                .where(TABLE.c.business == row.business, TABLE.c.connector == row.connector)
                .values(ciphertext=ciphertext)
            )
    return len(rows)


def prune_events(engine: Engine, before: datetime) -> int:
    """Forget event ids received before ``before`` (vendors stop redelivering within days)."""
    events = WebhookEvent.__table__  # type: ignore[attr-defined]
    with engine.begin() as connection:
        return int(
            connection.execute(sa.delete(events).where(events.c.received_at < before)).rowcount
        )
