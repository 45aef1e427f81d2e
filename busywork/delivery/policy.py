"""What each channel is sent and when: immediate or digest, score floor, quiet hours, caps.

A finding goes to a channel when it is aligned, scores at least the channel's and the
delivery's ``min_score``, is not dismissed or snoozed, and the channel has not already been
told about this version of it (its fingerprint). Deciding and enqueuing happen in one
transaction with the announcement, so a finding is queued once per version and channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.engine import Connection, Engine

from busywork.delivery.feedback import feedback_day, suppressed
from busywork.delivery.outbox import announce, announced, aware, enqueue, message_id
from busywork.store.findings import candidate_from_json
from busywork.store.outbox import DigestSchedule
from busywork.store.tables import Finding
from config.delivery import ChannelPolicy
from config.models import AppConfig
from detectors.base import Candidate

SCHEDULES = DigestSchedule.__table__  # type: ignore[attr-defined]
FINDINGS = Finding.__table__  # type: ignore[attr-defined]
EMAIL_CHANNEL = "email"
#: Evidence ids carried per recommendation: webhook bodies should stay small (spec: < 20 kB).
MAX_RECORD_IDS = 20


@dataclass(frozen=True)
class Channel:
    """One destination: ``email`` or ``webhook:<name>``, with its policy."""

    name: str
    policy: ChannelPolicy
    #: Webhooks get one event per finding; an email carries every item in one message.
    per_item: bool


@dataclass(frozen=True)
class Item:
    """A recommendation (contract object) with the fingerprint of the finding's version."""

    recommendation: dict[str, Any]
    fingerprint: str

    @property
    def id(self) -> str:
        """The finding's stable id."""
        return str(self.recommendation["id"])


def channels(config: AppConfig) -> list[Channel]:
    """Every configured channel."""
    delivery = config.delivery
    found = [Channel(EMAIL_CHANNEL, delivery.email, False)] if delivery.email else []
    return found + [Channel(f"webhook:{hook.name}", hook, True) for hook in delivery.webhooks]


def open_findings(
    connection: Connection, business: str, kinds: set[str]
) -> tuple[list[Candidate], dict[str, str]]:
    """Open findings of ``kinds`` (as the caller's transaction sees them) and fingerprints."""
    rows = connection.execute(
        sa.select(FINDINGS.c.id, FINDINGS.c.candidate, FINDINGS.c.fingerprint)
        .where(
            FINDINGS.c.business == business,
            FINDINGS.c.status == "open",
            FINDINGS.c.kind.in_(sorted(kinds)),
        )
        .order_by(FINDINGS.c.id)
    ).all()
    return [candidate_from_json(row.candidate) for row in rows], {
        row.id: row.fingerprint for row in rows
    }


def items(document: dict[str, Any], fingerprints: dict[str, str]) -> list[Item]:
    """The aligned recommendations of a contract document, best first, with fingerprints."""
    return [
        Item(rec, fingerprints[rec["id"]])
        for rec in document["recommendations"]
        if rec.get("aligned") and rec["id"] in fingerprints
    ]


def release_time(policy: ChannelPolicy, now: datetime, timezone: str) -> datetime:
    """``now``, or the end of the quiet hours when ``now`` falls inside them."""
    quiet = policy.quiet_hours
    local = now.astimezone(ZoneInfo(timezone))
    if quiet is None or not quiet.contains(local.time()):
        return now
    end = local.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(UTC)


def _eligible(
    connection: Connection,
    config: AppConfig,
    channel: Channel,
    ranked: Sequence[Item],
    now: datetime,
    as_of: datetime | None = None,
) -> list[Item]:
    business = config.business.id
    floor = max(channel.policy.min_score, config.delivery.min_score)
    # Snoozes are judged on the scan's clock (--as-of), as the document was.
    quiet = suppressed(connection, business, feedback_day(as_of or now, config.business.timezone))
    told = announced(connection, business, channel.name)
    return [
        item
        for item in ranked
        if item.recommendation["score"] >= floor
        and item.id not in quiet
        and told.get(item.id) != item.fingerprint
    ]


def thin(rec: dict[str, Any]) -> dict[str, Any]:
    """``rec`` with at most :data:`MAX_RECORD_IDS` evidence ids (``count`` keeps the total)."""
    evidence = rec["evidence"]
    if len(evidence["record_ids"]) <= MAX_RECORD_IDS:
        return rec
    trimmed = {**evidence, "record_ids": evidence["record_ids"][:MAX_RECORD_IDS]}
    return {**rec, "evidence": {**trimmed, "record_ids_truncated": True}}


def _payload(config: AppConfig, kind: str, chosen: Sequence[Item], now: datetime) -> dict[str, Any]:
    business = config.business
    return {
        "type": kind,
        "timestamp": now.isoformat(timespec="seconds"),
        "data": {
            "business": business.id,
            "business_name": business.name,
            "currency": business.currency,
            "recommendations": [thin(item.recommendation) for item in chosen],
        },
    }


def _queue(
    connection: Connection,
    config: AppConfig,
    channel: Channel,
    chosen: Sequence[Item],
    *,
    kind: str,
    key: str,
    now: datetime,
) -> str:
    business = config.business.id
    delivery_id = message_id(business, channel.name, key)
    enqueue(
        connection,
        delivery_id=delivery_id,
        business=business,
        channel=channel.name,
        kind=kind,
        payload=_payload(config, kind, chosen, now),
        now=now,
        not_before=release_time(channel.policy, now, config.business.timezone),
    )
    announce(
        connection,
        business=business,
        channel=channel.name,
        fingerprints={item.id: item.fingerprint for item in chosen},
        delivery_id=delivery_id,
        now=now,
    )
    return delivery_id


def enqueue_immediate(
    connection: Connection,
    config: AppConfig,
    ranked: Sequence[Item],
    now: datetime,
    *,
    as_of: datetime | None = None,
) -> list[str]:
    """Queue every eligible item on the ``immediate`` channels; returns the delivery ids.

    Webhooks get one event per finding; email gets one message listing them all (no cap:
    ``max_items`` is the digest's). ``as_of`` is the scan's clock, for snoozes.
    """
    queued: list[str] = []
    for channel in channels(config):
        if channel.policy.mode != "immediate":
            continue
        chosen = _eligible(connection, config, channel, ranked, now, as_of)
        if not chosen:
            continue
        if channel.per_item:
            told = announced(connection, config.business.id, channel.name)
            for item in chosen:
                kind = "recommendation.updated" if item.id in told else "recommendation.created"
                key = f"{item.id}|{item.fingerprint}"
                queued.append(
                    _queue(connection, config, channel, [item], kind=kind, key=key, now=now)
                )
        else:
            key = ",".join(sorted(f"{item.id}:{item.fingerprint}" for item in chosen))
            queued.append(
                _queue(
                    connection,
                    config,
                    channel,
                    chosen,
                    kind="recommendation.created",
                    key=key,
                    now=now,
                )
            )
    return queued


def enqueue_digests(
    engine: Engine,
    config: AppConfig,
    ranked: Sequence[Item],
    now: datetime,
    *,
    as_of: datetime | None = None,
) -> list[str]:
    """Queue the digest of every ``digest`` channel whose cron time has come.

    ``as_of`` is the scan's clock, for snoozes; the schedule follows ``now``.
    """
    business = config.business.id
    queued: list[str] = []
    for channel in channels(config):
        if channel.policy.mode != "digest":
            continue
        trigger = CronTrigger.from_crontab(
            channel.policy.schedule, timezone=config.business.timezone
        )
        # Strictly after now, so a digest due exactly now is not scheduled for now again.
        following = aware(trigger.get_next_fire_time(None, now + timedelta(seconds=1)))
        where = sa.and_(SCHEDULES.c.business == business, SCHEDULES.c.channel == channel.name)
        with engine.begin() as connection:
            due = connection.execute(sa.select(SCHEDULES.c.next_due_at).where(where)).scalar()
            if due is None:
                connection.execute(
                    sa.insert(SCHEDULES).values(
                        business=business, channel=channel.name, next_due_at=following
                    )
                )
                continue
            if aware(due) > now:
                continue
            eligible = _eligible(connection, config, channel, ranked, now, as_of)
            chosen = eligible[: channel.policy.max_items]
            if chosen:
                key = f"digest|{aware(due).isoformat()}"
                queued.append(
                    _queue(
                        connection,
                        config,
                        channel,
                        chosen,
                        kind="recommendation.digest",
                        key=key,
                        now=now,
                    )
                )
            connection.execute(sa.update(SCHEDULES).where(where).values(next_due_at=following))
    return queued


def digests_due(engine: Engine, config: AppConfig, now: datetime) -> bool:
    """Whether any digest channel has reached (or never had) its scheduled time."""
    names = [channel.name for channel in channels(config) if channel.policy.mode == "digest"]
    if not names:
        return False
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(SCHEDULES.c.channel, SCHEDULES.c.next_due_at).where(
                SCHEDULES.c.business == config.business.id, SCHEDULES.c.channel.in_(names)
            )
        ).all()
    return len(rows) < len(names) or any(aware(row.next_due_at) <= now for row in rows)
