"""``busywork feedback`` and ``busywork deliveries`` as a user meets them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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
    # The CLI reads the wall clock: a date two months on, whatever today is.
    until = (datetime.now(UTC) + timedelta(days=60)).date().isoformat()
    args = ["feedback", "rec_0123456789abcdef", "snooze", "--until", until, "-c", str(config)]
    assert main(args) == 0
    assert f"snooze until {until} recorded for shop" in capsys.readouterr().out
    engine = open_store(f"sqlite:///{config.parent / 'store.db'}")
    with engine.connect() as connection:
        row = connection.execute(sa.select(Feedback.__table__)).one()  # type: ignore[attr-defined]
    engine.dispose()
    assert (row.action, row.until.isoformat(), row.source) == ("snooze", until, "cli")


def test_a_snooze_for_decades_is_refused(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["feedback", "rec_0123456789abcdef", "snooze", "--until", "9999-12-31", "-c"]
    assert main([*args, str(config)]) == 1
    assert "snooze at most until" in capsys.readouterr().err


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


def _stored(config: Path) -> tuple[str, str | None, datetime]:
    engine = open_store(f"sqlite:///{config.parent / 'store.db'}")
    with engine.connect() as connection:
        row = connection.execute(sa.select(Feedback.__table__)).one()  # type: ignore[attr-defined]
    engine.dispose()
    return row.action, None if row.until is None else row.until.isoformat(), row.recorded_at


def test_feedback_as_of_decides_on_the_scans_clock(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    finding = "rec_0123456789abcdef"
    # A snooze to 10 Sep 2026 is in the future as of 31 Aug 2026, whatever today is.
    as_of = ["--as-of", "2026-08-31", "-c", str(config)]
    assert main(["feedback", finding, "snooze", "--until", "2026-09-10", *as_of]) == 0
    assert "snooze until 2026-09-10 recorded for shop" in capsys.readouterr().out
    action, until, decided = _stored(config)
    assert (action, until) == ("snooze", "2026-09-10")
    assert decided.date().isoformat() == "2026-08-31"
    # As of 1 Mar 2027 the same date has passed.
    later = ["--as-of", "2027-03-01", "-c", str(config)]
    assert main(["feedback", finding, "snooze", "--until", "2027-02-01", *later]) == 1
    assert "snooze needs --until with a date after 2027-03-01" in capsys.readouterr().err


def test_feedback_can_be_withdrawn_from_the_command_line(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    finding = "rec_0123456789abcdef"
    clock = ["--as-of", "2026-11-23", "-c", str(config)]
    assert main(["feedback", finding, "withdraw", *clock]) == 1
    assert "rec_0123456789abcdef has no feedback to withdraw" in capsys.readouterr().err
    assert main(["feedback", finding, "dismiss", *clock]) == 0
    assert main(["feedback", finding, "withdraw", *clock]) == 0
    assert "feedback withdrawn for shop; it is listed again" in capsys.readouterr().out
    assert _stored(config)[0] == "withdraw"
    # An answer decided before the withdrawal cannot undo it.
    earlier = ["--as-of", "2026-11-01", "-c", str(config)]
    assert main(["feedback", finding, "accept", *earlier]) == 1
    err = capsys.readouterr().err
    assert "a later answer stands, withdraw (decided 2026-11-23 23:59 UTC)" in err
