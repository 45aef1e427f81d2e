"""Inbound webhook tables: one subscription per business and connector, and seen event ids."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class WebhookSubscription(SQLModel, table=True):
    """Where a connector's vendor pushes notifications, and how they are verified.

    The endpoint's path token is stored only as its SHA-256 (``token_hash``, the lookup
    key); the token itself, the signing secrets and the vendor's ids are in ``ciphertext``,
    encrypted with the keys in ``BUSYWORK_SECRET_KEYS`` like OAuth tokens.
    """

    __tablename__ = "webhook_subscription"

    business: str = Field(primary_key=True, max_length=64)
    connector: str = Field(primary_key=True, max_length=64)
    vendor: str = Field(max_length=32)
    token_hash: str = Field(max_length=64, unique=True)
    #: Fernet token of the JSON secrets (see :mod:`busywork.inbound.subscriptions`).
    ciphertext: str = Field(sa_type=sa.Text)
    #: ``pending`` (awaiting a secret or the vendor's handshake), ``active``, ``lost``.
    state: str = Field(default="pending", max_length=16)
    expires_at: datetime | None = None
    last_notified_at: datetime | None = None
    last_error: str | None = Field(default=None, max_length=1024)
    updated_at: datetime


class WebhookEvent(SQLModel, table=True):
    """A notification already acted on: a redelivery with the same id does nothing."""

    __tablename__ = "webhook_event"

    business: str = Field(primary_key=True, max_length=64)
    connector: str = Field(primary_key=True, max_length=64)
    event_id: str = Field(primary_key=True, max_length=128)
    received_at: datetime = Field(index=True)
