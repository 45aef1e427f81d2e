"""Delivery tables: outbox, recipients reached, what each channel was told, schedules, and more."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class Delivery(SQLModel, table=True):
    """One message to one channel; written in the transaction that decided to send it.

    The id is the receiver's de-duplication key (``webhook-id``, the email ``Message-ID``)
    and never changes across retries. Rows are never deleted: ``failed`` ones are the
    dead-letter list that ``busywork deliveries`` shows and replays.
    """

    __tablename__ = "delivery"
    __table_args__ = (sa.Index("ix_delivery_due", "status", "next_attempt_at"),)

    id: str = Field(primary_key=True, max_length=40)
    business: str = Field(max_length=64, index=True)
    channel: str = Field(max_length=80)
    kind: str = Field(max_length=32)
    payload: dict[str, Any] = Field(sa_type=sa.JSON)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime
    lease_holder: str | None = Field(default=None, max_length=128)
    lease_expires_at: datetime | None = None
    created_at: datetime
    sent_at: datetime | None = None
    last_error: str | None = Field(default=None, max_length=1024)
    #: Set when an attempt starts, cleared when its outcome is written: a row found with it
    #: set died mid-send and is sent again (same id) after its claim expires.
    attempt_started_at: datetime | None = None


class DeliveryRecipient(SQLModel, table=True):
    """An e-mail recipient whose server accepted a delivery: later attempts skip them."""

    __tablename__ = "delivery_recipient"

    delivery_id: str = Field(primary_key=True, max_length=40)
    recipient: str = Field(primary_key=True, max_length=256)
    accepted_at: datetime


class Announcement(SQLModel, table=True):
    """The version (fingerprint) of a finding a channel was last sent, so it is not re-sent."""

    __tablename__ = "announcement"

    business: str = Field(primary_key=True, max_length=64)
    channel: str = Field(primary_key=True, max_length=80)
    finding_id: str = Field(primary_key=True, max_length=32)
    fingerprint: str = Field(max_length=32)
    delivery_id: str = Field(max_length=40)
    announced_at: datetime


class DigestSchedule(SQLModel, table=True):
    """When a digest channel is next due; advanced in the transaction that enqueues it."""

    __tablename__ = "digest_schedule"

    business: str = Field(primary_key=True, max_length=64)
    channel: str = Field(primary_key=True, max_length=80)
    next_due_at: datetime


class WebhookEndpoint(SQLModel, table=True):
    """Health of one webhook endpoint: failing since when, disabled or not."""

    __tablename__ = "webhook_endpoint"

    business: str = Field(primary_key=True, max_length=64)
    name: str = Field(primary_key=True, max_length=64)
    disabled_at: datetime | None = None
    disabled_reason: str | None = Field(default=None, max_length=256)
    failing_since: datetime | None = None
    last_success_at: datetime | None = None


class Feedback(SQLModel, table=True):
    """The owner's standing answer on a finding: accepted, dismissed, snoozed or withdrawn.

    ``recorded_at`` is when the answer was decided (the scan's clock under ``--as-of``); a
    new answer replaces it only if decided at the same moment or later.
    """

    __tablename__ = "feedback"

    business: str = Field(primary_key=True, max_length=64)
    finding_id: str = Field(primary_key=True, max_length=32)
    action: str = Field(max_length=16)
    until: date | None = None
    recorded_at: datetime
    source: str = Field(default="cli", max_length=16)
    #: Orders answers: a link's email time, or the time of a CLI answer. Older loses.
    sequence: int | None = Field(default=None, sa_type=sa.BigInteger)


class EmailOptOut(SQLModel, table=True):
    """A recipient who unsubscribed (one-click link) from a business's emails."""

    __tablename__ = "email_opt_out"

    business: str = Field(primary_key=True, max_length=64)
    recipient: str = Field(primary_key=True, max_length=256)
    opted_out_at: datetime
