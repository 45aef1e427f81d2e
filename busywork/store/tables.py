"""Operational tables: businesses and their configs, the event log, cursors and findings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

#: 64-bit ids on PostgreSQL; SQLite only auto-increments a plain INTEGER primary key.
BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class Business(SQLModel, table=True):
    """One tenant: a business whose tools are watched."""

    __tablename__ = "business"

    key: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=256)
    timezone: str = Field(max_length=64)
    currency: str = Field(max_length=3)
    updated_at: datetime


class Event(SQLModel, table=True):
    """One change seen by a connector; appended in the transaction that made the change."""

    __tablename__ = "event"
    #: Serves "newest event per kind" (an index seek per kind) and "events of a kind since".
    __table_args__ = (sa.Index("ix_event_business_kind_id", "business", "record_kind", "id"),)

    id: int | None = Field(default=None, sa_column=sa.Column(BIGINT_PK, primary_key=True))
    business: str = Field(max_length=64)
    record_kind: str = Field(max_length=32)
    type: str = Field(max_length=64)
    source: str = Field(max_length=64)
    source_id: str = Field(max_length=128)
    occurred_at: datetime
    detail: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON(none_as_null=True))


class ConnectorState(SQLModel, table=True):
    """A connector's incremental cursor and health, saved with the records it covers."""

    __tablename__ = "connector_state"

    business: str = Field(primary_key=True, max_length=64)
    connector: str = Field(primary_key=True, max_length=64)
    cursor: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON(none_as_null=True))
    last_success_at: datetime | None = None
    last_error: str | None = Field(default=None, max_length=1024)
    last_error_at: datetime | None = None
    #: The planned time of the next poll; the scheduler advances it by whole intervals.
    next_poll_at: datetime | None = None
    #: The configured interval; None when the connector is disabled or no longer configured.
    interval_seconds: float | None = None


class DetectorWatermark(SQLModel, table=True):
    """The last event id a detector has seen for a business."""

    __tablename__ = "detector_watermark"

    business: str = Field(primary_key=True, max_length=64)
    detector: str = Field(primary_key=True, max_length=64)
    last_event_id: int = Field(default=0, sa_type=sa.BigInteger)
    #: Hash of the detector's parameters, and of the ``as_of`` date when a scan is pinned
    #: to one: new thresholds, or another date, mean a fresh run.
    params_hash: str = Field(default="", max_length=32)
    ran_at: datetime | None = None
    #: The facts the detector needed and how much of the data carried them, as measured by
    #: its last run over the whole business (``Coverage.to_json``); None before one.
    coverage: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON(none_as_null=True))


class Finding(SQLModel, table=True):
    """A detector's candidate automation, upserted by its stable id."""

    __tablename__ = "finding"

    business: str = Field(primary_key=True, max_length=64)
    id: str = Field(primary_key=True, max_length=32)
    kind: str = Field(max_length=32, index=True)
    status: str = Field(default="open", max_length=16)
    fingerprint: str = Field(max_length=32)
    candidate: dict[str, Any] = Field(sa_type=sa.JSON)
    first_seen_at: datetime
    last_seen_at: datetime
    changed_at: datetime
    resolved_at: datetime | None = None
    #: For adopted findings: when and what it delivered (see alignment.adoption).
    outcome: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON(none_as_null=True))


class Tenant(SQLModel, table=True):
    """A business's config as loaded from its YAML file: workers read it from here.

    The text is kept as written, ``${ENV}`` references unresolved, so no secret reaches the
    database; each worker resolves them from its own environment when it parses the text.
    """

    __tablename__ = "tenant"

    business: str = Field(primary_key=True, max_length=64)
    source: str = Field(max_length=1024)
    config_text: str = Field(sa_type=sa.Text)
    #: The file's folder: relative paths in the config are resolved against it.
    base_dir: str = Field(max_length=1024)
    content_hash: str = Field(max_length=64)
    updated_at: datetime


class FrameSnapshot(SQLModel, table=True):
    """A business's frame of one record kind and column set, stored as one columnar blob.

    Written by :mod:`busywork.store.stored_frames` and patched from the event log when
    read; the record tables stay the source of truth.
    """

    __tablename__ = "frame_snapshot"

    business: str = Field(primary_key=True, max_length=64)
    record_kind: str = Field(primary_key=True, max_length=32)
    #: A hash of the frame's column names: each column set has a snapshot of its own.
    columns_key: str = Field(primary_key=True, max_length=32)
    #: The newest event the frame reflects: later events are patched in when it is read.
    newest_event: int = Field(sa_type=sa.BigInteger)
    #: :data:`busywork.store.frame_codec.FORMAT_VERSION` of the payload.
    format_version: int
    rows: int = Field(sa_type=sa.BigInteger)
    written_at: datetime
    payload: bytes = Field(sa_type=sa.LargeBinary)
