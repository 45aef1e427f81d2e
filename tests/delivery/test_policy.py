"""Channel policy: immediate vs digest, score floor, quiet hours, caps, no re-announcing."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy.engine import Engine

from busywork.delivery.admin import list_deliveries
from busywork.delivery.outbox import DELIVERIES
from busywork.delivery.policy import Item, enqueue_digests, enqueue_immediate, release_time
from busywork.delivery.webhook import body_bytes
from config.delivery import ChannelPolicy, QuietHours
from tests.delivery.configs import email_block, make_config, webhook_block
from tests.delivery.servers import recommendation

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday; London is on UTC in November


def _items(*scores: float, version: str = "v1") -> list[Item]:
    return [
        Item(recommendation(f"rec_{n}", score=score, rank=n + 1), f"{version}-{n}")
        for n, score in enumerate(scores)
    ]


def _immediate(engine: Engine, items: list[Item], extra: str = "") -> list[str]:
    config = make_config(webhook_block("http://127.0.0.1:9/h", extra=extra))
    with engine.begin() as connection:
        return enqueue_immediate(connection, config, items, NOW)


def test_immediate_webhook_queues_one_event_per_finding_once_per_version(engine: Engine) -> None:
    first = _immediate(engine, _items(40, 30))
    again = _immediate(engine, _items(40, 30))
    changed = _immediate(engine, _items(40, 30, version="v2")[:1] + _items(40, 30)[1:])

    assert len(first) == 2
    assert again == []
    assert len(changed) == 1
    kinds = sorted(row.kind for row in list_deliveries(engine, "shop"))
    assert kinds == ["recommendation.created", "recommendation.created", "recommendation.updated"]


def test_findings_below_the_channel_floor_are_not_sent(engine: Engine) -> None:
    queued = _immediate(engine, _items(40, 9.9, 10), extra="      min_score: 10\n")
    assert len(queued) == 2
    sent = {row.id for row in list_deliveries(engine, "shop")}
    assert len(sent) == 2


def test_quiet_hours_hold_a_message_until_they_end() -> None:
    night = ChannelPolicy(quiet_hours=QuietHours(start=time(21, 0), end=time(7, 30)))
    late = datetime(2026, 11, 23, 23, 15, tzinfo=UTC)
    early = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    day = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

    assert release_time(night, late, "Europe/London") == datetime(2026, 11, 24, 7, 30, tzinfo=UTC)
    assert release_time(night, early, "Europe/London") == datetime(2026, 11, 24, 7, 30, tzinfo=UTC)
    assert release_time(night, day, "Europe/London") == day
    summer = datetime(2026, 7, 1, 22, 0, tzinfo=UTC)  # 23:00 in London (BST)
    assert release_time(night, summer, "Europe/London") == datetime(2026, 7, 2, 6, 30, tzinfo=UTC)


def test_digest_goes_out_on_its_cron_time_capped_and_only_once(engine: Engine) -> None:
    block = email_block(2525).replace("mode: digest\n", "mode: digest\n    max_items: 2\n")
    config = make_config(block)  # default schedule: Mondays 08:00 business time
    items = _items(50, 40, 30)

    assert enqueue_digests(engine, config, items, NOW) == []  # first sight: schedules next Monday
    assert enqueue_digests(engine, config, items, NOW + timedelta(days=6)) == []
    monday = datetime(2026, 11, 30, 8, 0, 5, tzinfo=UTC)
    [digest] = enqueue_digests(engine, config, items, monday)
    assert enqueue_digests(engine, config, items, monday + timedelta(minutes=1)) == []

    [row] = list_deliveries(engine, "shop")
    assert (row.id, row.kind, row.channel) == (digest, "recommendation.digest", "email")
    with engine.connect() as connection:
        sent = connection.execute(DELIVERIES.select()).one().payload
    assert [rec["id"] for rec in sent["data"]["recommendations"]] == ["rec_0", "rec_1"]

    # A week later only what was left out (or has changed since) is in the digest.
    [later] = enqueue_digests(engine, config, items, monday + timedelta(days=7))
    with engine.connect() as connection:
        rows = {r.id: r.payload for r in connection.execute(DELIVERIES.select())}
    assert [rec["id"] for rec in rows[later]["data"]["recommendations"]] == ["rec_2"]


def test_payloads_stay_small_with_thousands_of_evidence_ids(engine: Engine) -> None:
    big = recommendation("rec_big")
    big["evidence"] = {**big["evidence"], "record_ids": [f"APT-{n:05d}" for n in range(4000)]}
    big["evidence"]["count"] = 4000
    config = make_config(webhook_block("http://127.0.0.1:9/h"))
    with engine.begin() as connection:
        enqueue_immediate(connection, config, [Item(big, "fp")], NOW)

    with engine.connect() as connection:
        payload = connection.execute(DELIVERIES.select()).one().payload
    [sent] = payload["data"]["recommendations"]
    assert len(sent["evidence"]["record_ids"]) == 20
    assert sent["evidence"]["record_ids_truncated"] is True
    assert sent["evidence"]["count"] == 4000
    assert len(body_bytes(payload)) < 20_000
