"""The delivery step: claim due outbox rows, send each on its channel, mark the outcome.

Failures are handled by exception class: :class:`RetriableError` schedules the next
attempt (multi-day backoff with jitter, never sooner than ``Retry-After``),
:class:`FatalError` dead-letters the row. An endpoint answering 410, or failing for five
days, is disabled and the owner told by email when email is configured.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from busywork.delivery import email, endpoints, webhook
from busywork.delivery.feedback import opted_out
from busywork.delivery.outbox import (
    CLAIM_TTL,
    Claimed,
    claim,
    enqueue,
    mark_failed,
    mark_retry,
    mark_sent,
    message_id,
)
from busywork.delivery.policy import EMAIL_CHANNEL
from busywork.errors import FatalError, RetriableError
from busywork.logs import redact
from config.models import AppConfig

log = logging.getLogger("busywork.delivery")
#: Delay before attempt 2, 3, …, 10 (Standard Webhooks' example: about three days in all).
RETRY_SCHEDULE_SECONDS = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
#: Each delay is stretched or shrunk by up to this share, so retries do not arrive in herds.
JITTER = 0.2


@dataclass
class DispatchResult:
    """Delivery ids by outcome of one dispatch pass."""

    sent: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    #: Rows whose lease another worker took over while we sent (they may go out twice).
    lost: list[str] = field(default_factory=list)


def next_attempt(
    attempts: int, now: datetime, retry_after: float | None, rng: random.Random
) -> datetime | None:
    """When to try again after ``attempts`` failed attempts; None once the schedule is spent."""
    if attempts > len(RETRY_SCHEDULE_SECONDS):
        return None
    delay = RETRY_SCHEDULE_SECONDS[attempts - 1] * rng.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return now + timedelta(seconds=delay)


def dispatch(
    engine: Engine,
    config: AppConfig,
    *,
    holder: str,
    clock: Callable[[], datetime],
    ttl: timedelta = CLAIM_TTL,
    limit: int = 20,
    rng: random.Random | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> DispatchResult:
    """Send what is due for ``config``'s business, batch by batch, until none is left."""
    rng = rng or random.Random()
    result = DispatchResult()
    while not should_stop():
        rows = claim(engine, config.business.id, holder, now=clock(), limit=limit, ttl=ttl)
        if not rows:
            break
        for row in rows:
            if should_stop():
                break  # unsent claimed rows go back to the queue when the lease ends
            _deliver_one(engine, config, row, holder, clock, rng, result)
    return result


def _deliver_one(
    engine: Engine,
    config: AppConfig,
    row: Claimed,
    holder: str,
    clock: Callable[[], datetime],
    rng: random.Random,
    result: DispatchResult,
) -> None:
    try:
        _attempt(engine, config, row, clock)
    except RetriableError as exc:
        now = clock()
        if row.channel != EMAIL_CHANNEL and _endpoint_failed(engine, config, row, now):
            _finish(engine, row, holder, result, "failed", f"endpoint disabled after: {exc}")
            return
        when = next_attempt(row.attempts, now, exc.retry_after, rng)
        if when is None:
            _finish(engine, row, holder, result, "failed", f"gave up after {row.attempts}: {exc}")
        else:
            ok = mark_retry(engine, row, holder, at=when, error=str(exc))
            _log(row, "retry_scheduled" if ok else "lease_lost", str(exc), when)
            (result.retrying if ok else result.lost).append(row.id)
        return
    except webhook.EndpointGoneError as exc:
        _disable(engine, config, row, str(exc), clock())
        _finish(engine, row, holder, result, "failed", str(exc))
        return
    except FatalError as exc:
        _finish(engine, row, holder, result, "failed", str(exc))
        return
    now = clock()
    if row.channel != EMAIL_CHANNEL:
        with engine.begin() as connection:
            endpoints.record_success(connection, row.business, _endpoint(row), now)
    _finish(engine, row, holder, result, "sent", "")


def _attempt(
    engine: Engine, config: AppConfig, row: Claimed, clock: Callable[[], datetime]
) -> None:
    """Send ``row``; anything but our own errors becomes retriable."""
    try:
        _send(engine, config, row, clock)
    except (RetriableError, FatalError):
        raise
    except Exception as exc:  # a bug must not stall the outbox: retried, then dead-lettered
        log.exception("delivery id=%s channel=%s action=send_crashed", row.id, row.channel)
        raise RetriableError(f"{type(exc).__name__}: {exc}") from exc


def _send(engine: Engine, config: AppConfig, row: Claimed, clock: Callable[[], datetime]) -> None:
    delivery = config.delivery
    if row.channel == EMAIL_CHANNEL:
        if delivery.email is None:
            raise FatalError("email is no longer configured")
        with engine.connect() as connection:
            gone = opted_out(connection, row.business)
        recipients = [person for person in delivery.email.recipients if person not in gone]
        if not recipients:
            raise FatalError("every recipient has unsubscribed")
        messages = email.build_messages(
            delivery.email,
            row.id,
            row.payload,
            row.created_at,
            links=delivery.links,
            recipients=recipients,
        )
        email.send(delivery.email, messages)
        return
    name = _endpoint(row)
    hook = next((hook for hook in delivery.webhooks if hook.name == name), None)
    if hook is None:
        raise FatalError(f"webhook {name!r} is no longer configured")
    with engine.connect() as connection:
        reason = endpoints.disabled_reason(connection, row.business, name)
    if reason is not None:
        raise FatalError(f"endpoint {name} is disabled ({reason})")
    webhook.send(
        hook.url,
        hook.secret.get_secret_value(),
        row.id,
        row.payload,
        now=clock(),
        # The receiver checks the signed timestamp against its own clock (±5 min), so it is
        # the wall clock; everything we schedule from the answer uses the injected clock.
        signed_at=datetime.now(UTC),
        allow_private=delivery.allow_private_addresses,
    )


def _endpoint(row: Claimed) -> str:
    return row.channel.removeprefix("webhook:")


def _endpoint_failed(engine: Engine, config: AppConfig, row: Claimed, now: datetime) -> bool:
    with engine.begin() as connection:
        too_long = endpoints.record_failure(connection, row.business, _endpoint(row), now)
    if too_long:
        days = endpoints.DISABLE_AFTER.days
        _disable(engine, config, row, f"every attempt failed for {days} days", now)
    return too_long


def _disable(engine: Engine, config: AppConfig, row: Claimed, reason: str, now: datetime) -> None:
    name = _endpoint(row)
    with engine.begin() as connection:
        endpoints.disable(connection, row.business, name, reason, now)
        if config.delivery.email is not None:
            # Queued with the disabling itself, so the owner hears of it even after a crash.
            enqueue(
                connection,
                delivery_id=message_id(row.business, "notice", name, now.isoformat()),
                business=row.business,
                channel=EMAIL_CHANNEL,
                kind="endpoint.disabled",
                payload={
                    "type": "endpoint.disabled",
                    "timestamp": now.isoformat(timespec="seconds"),
                    "data": {
                        "business": row.business,
                        "business_name": config.business.name,
                        "endpoint": name,
                        "reason": reason,
                    },
                },
                now=now,
            )
    log.warning(
        "webhook endpoint disabled business=%s endpoint=%s action=endpoint_disabled reason=%s",
        row.business,
        name,
        reason,
    )


def _finish(
    engine: Engine, row: Claimed, holder: str, result: DispatchResult, status: str, error: str
) -> None:
    if status == "sent":
        ok = mark_sent(engine, row, holder, now=datetime.now(UTC))
    else:
        ok = mark_failed(engine, row, holder, error=error)
    _log(row, status if ok else "lease_lost", error, None)
    target = {"sent": result.sent, "failed": result.failed}[status]
    (target if ok else result.lost).append(row.id)


def _log(row: Claimed, action: str, error: str, when: datetime | None) -> None:
    level = logging.WARNING if action in ("failed", "lease_lost") else logging.INFO
    log.log(
        level,
        "delivery business=%s id=%s channel=%s attempt=%d action=%s%s%s",
        row.business,
        row.id,
        row.channel,
        row.attempts,
        action,
        f" next={when.isoformat(timespec='seconds')}" if when else "",
        f" error={redact(error)}" if error else "",
    )
