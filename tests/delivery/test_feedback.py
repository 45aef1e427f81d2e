"""Feedback: dismissed findings are not re-sent, snoozed ones come back after their date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.delivery.feedback import FeedbackError, latest_decision, record_feedback
from busywork.delivery.policy import Item, enqueue_immediate
from busywork.store.tables import Finding
from tests.delivery.configs import make_config, webhook_block
from tests.delivery.servers import recommendation

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
CONFIG = make_config(webhook_block("http://127.0.0.1:9/h"))


@pytest.fixture
def findings(engine: Engine) -> list[Item]:
    table = Finding.__table__  # type: ignore[attr-defined]
    items = [Item(recommendation(f"rec_{n}", score=40.0), f"fp-{n}") for n in range(3)]
    with engine.begin() as connection:
        for item in items:
            connection.execute(
                sa.insert(table).values(
                    business="shop",
                    id=item.id,
                    kind="recurring_invoice",
                    status="open",
                    fingerprint=item.fingerprint,
                    candidate={},
                    first_seen_at=NOW,
                    last_seen_at=NOW,
                    changed_at=NOW,
                )
            )
    return items


def _queue(engine: Engine, items: list[Item], now: datetime) -> list[str]:
    with engine.begin() as connection:
        return enqueue_immediate(connection, CONFIG, items, now)


def test_dismissed_is_never_sent_and_snoozed_returns_after_its_date(
    engine: Engine, findings: list[Item]
) -> None:
    assert len(_queue(engine, findings, NOW)) == 3
    record_feedback(engine, "shop", "rec_0", "dismiss", now=NOW)
    record_feedback(engine, "shop", "rec_1", "snooze", until=date(2026, 12, 1), now=NOW)
    record_feedback(engine, "shop", "rec_2", "accept", now=NOW)

    changed = [Item(item.recommendation, item.fingerprint + "-v2") for item in findings]
    assert len(_queue(engine, changed, NOW + timedelta(days=1))) == 1  # only rec_2 (accepted)
    assert _queue(engine, changed, NOW + timedelta(days=7)) == []  # still snoozed on 30 Nov
    back = _queue(engine, changed, datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    assert len(back) == 1  # rec_1 is back; rec_0 stays dismissed


@pytest.mark.parametrize(
    ("finding", "action", "until", "message"),
    [
        ("rec_nope", "dismiss", None, "has no finding 'rec_nope'"),
        ("rec_0", "snooze", None, "snooze needs --until"),
        ("rec_0", "snooze", date(2026, 11, 23), "snooze needs --until"),
        ("rec_0", "dismiss", date(2026, 12, 1), "--until only goes with snooze"),
        ("rec_0", "ignore", None, "unknown action"),
    ],
)
def test_bad_feedback_is_a_clear_error(
    engine: Engine,
    findings: list[Item],
    finding: str,
    action: str,
    until: date | None,
    message: str,
) -> None:
    with pytest.raises(FeedbackError, match=message):
        record_feedback(engine, "shop", finding, action, until=until, now=NOW)


def test_withdrawing_a_dismissal_lets_the_finding_be_sent_again(
    engine: Engine, findings: list[Item]
) -> None:
    assert len(_queue(engine, findings, NOW)) == 3
    record_feedback(engine, "shop", "rec_0", "dismiss", now=NOW)
    changed = [Item(item.recommendation, item.fingerprint + "-v2") for item in findings]
    with engine.begin() as connection:
        assert enqueue_immediate(connection, CONFIG, changed[:1], NOW) == []
    standing = record_feedback(engine, "shop", "rec_0", "withdraw", now=NOW + timedelta(hours=1))
    assert (standing.action, standing.source) == ("withdraw", "cli")
    assert len(_queue(engine, changed[:1], NOW + timedelta(hours=2))) == 1


def test_the_latest_decision_by_decision_time_stands(engine: Engine, findings: list[Item]) -> None:
    later = NOW + timedelta(days=2)
    record_feedback(engine, "shop", "rec_0", "dismiss", now=later)
    with pytest.raises(FeedbackError, match="a later answer stands, dismiss"):
        record_feedback(engine, "shop", "rec_0", "accept", now=NOW, source="link")
    with engine.connect() as connection:
        standing = latest_decision(connection, "shop", "rec_0")
        assert latest_decision(connection, "shop", "rec_1") is None
    assert standing is not None
    assert (standing.action, standing.decided_at) == ("dismiss", later)
    # The same moment, or any later one, replaces it.
    assert record_feedback(engine, "shop", "rec_0", "accept", now=later).action == "accept"


def test_snoozes_end_on_the_scan_clock_given_to_delivery(
    engine: Engine, findings: list[Item]
) -> None:
    assert len(_queue(engine, findings[:1], NOW)) == 1
    record_feedback(engine, "shop", "rec_0", "snooze", until=date(2026, 12, 1), now=NOW)
    changed = [Item(findings[0].recommendation, "fp-0-v2")]
    wall = datetime(2030, 1, 1, tzinfo=UTC)  # long after the snooze, on the wall clock
    with engine.begin() as connection:
        held = enqueue_immediate(connection, CONFIG, changed, wall, as_of=NOW)
    assert held == []  # as of the scan's 23 Nov the snooze still runs
    with engine.begin() as connection:
        back = enqueue_immediate(
            connection, CONFIG, changed, wall, as_of=datetime(2026, 12, 1, tzinfo=UTC)
        )
    assert len(back) == 1
