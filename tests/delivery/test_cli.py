"""``busywork feedback`` and ``busywork deliveries`` as a user meets them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from busywork.cli import main
from busywork.delivery.outbox import claim, enqueue, mark_failed
from busywork.store.db import open_store
from busywork.store.outbox import Feedback
from busywork.store.tables import Finding

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "busywork.yaml"
    path.write_text(
        "business: {id: shop, name: Shop, currency: GBP}\nstorage: {url: 'sqlite:///store.db'}\n"
    )
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    with engine.begin() as connection:
        connection.execute(
            sa.insert(Finding.__table__).values(  # type: ignore[attr-defined]
                business="shop",
                id="rec_0123456789abcdef",
                kind="recurring_invoice",
                status="open",
                fingerprint="f",
                candidate={},
                first_seen_at=NOW,
                last_seen_at=NOW,
                changed_at=NOW,
            )
        )
        enqueue(
            connection,
            delivery_id="msg_dead",
            business="shop",
            channel="webhook:crm",
            kind="recommendation.created",
            payload={"type": "recommendation.created"},
            now=NOW,
        )
    [row] = claim(engine, "shop", "w", now=NOW)
    mark_failed(engine, row, "w", error="HTTP 500")
    engine.dispose()
    return path


def test_feedback_is_recorded(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "feedback",
        "rec_0123456789abcdef",
        "snooze",
        "--until",
        "2099-01-31",
        "-c",
        str(config),
    ]
    assert main(args) == 0
    assert "snooze until 2099-01-31 recorded for shop" in capsys.readouterr().out
    engine = open_store(f"sqlite:///{config.parent / 'store.db'}")
    with engine.connect() as connection:
        row = connection.execute(sa.select(Feedback.__table__)).one()  # type: ignore[attr-defined]
    engine.dispose()
    assert (row.action, row.until.isoformat(), row.source) == ("snooze", "2099-01-31", "cli")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["rec_missing", "dismiss"], "error: business 'shop' has no finding 'rec_missing'"),
        (["rec_0123456789abcdef", "snooze"], "error: snooze needs --until"),
    ],
)
def test_bad_feedback_is_one_clear_line(
    config: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["feedback", *args, "-c", str(config)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(message)
    assert "Traceback" not in err


def test_deliveries_lists_dead_letters_and_replays_them(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["deliveries", "list", "--status", "failed", "-c", str(config)]) == 0
    listed = capsys.readouterr().out
    assert "msg_dead  failed" in listed
    assert "HTTP 500" in listed

    assert main(["deliveries", "replay", "msg_dead", "-c", str(config)]) == 0
    assert "msg_dead: queued again on webhook:crm" in capsys.readouterr().out
    assert main(["deliveries", "list", "--status", "failed", "-c", str(config)]) == 0
    assert capsys.readouterr().out.strip() == "no deliveries"
    assert main(["deliveries", "replay", "msg_dead", "-c", str(config)]) == 1
    assert "still pending" in capsys.readouterr().err
