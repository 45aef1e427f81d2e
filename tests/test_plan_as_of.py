"""A scan pinned to a date never reuses a run made as of another date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from busywork.plan import params_hash, plan_runs
from busywork.store.coverage import save_coverage, stored_coverage
from busywork.store.events import advance_watermarks
from detectors import SlowCollectionDetector

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
PINNED = datetime(2025, 6, 30, 23, 59, tzinfo=UTC)


def test_the_as_of_date_is_part_of_the_run_key() -> None:
    detector = SlowCollectionDetector()
    assert params_hash(detector, PINNED) == params_hash(SlowCollectionDetector(), PINNED)
    assert params_hash(detector, PINNED) != params_hash(detector, PINNED - timedelta(days=1))
    assert params_hash(detector, PINNED) != params_hash(detector)


def test_a_run_as_of_one_date_is_reused_only_for_that_date(engine: Engine) -> None:
    detectors = {"slow_collection": SlowCollectionDetector()}
    with engine.begin() as connection:
        advance_watermarks(
            connection,
            "acme",
            {"slow_collection": params_hash(detectors["slow_collection"], PINNED)},
            0,
            NOW,
        )

    def planned(as_of: datetime | None) -> list[str]:
        runs, _ = plan_runs(engine, "acme", detectors, now=NOW, as_of=as_of)
        return sorted(runs)

    assert planned(PINNED) == []  # nothing changed since: the stored findings stand
    assert planned(PINNED + timedelta(days=30)) == ["slow_collection"]
    assert planned(None) == ["slow_collection"]  # the live worker does not reuse it either


def test_coverage_is_kept_with_the_watermark(engine: Engine) -> None:
    with engine.begin() as connection:
        advance_watermarks(connection, "acme", {"slow_collection": "h"}, 0, NOW)
        save_coverage(connection, "acme", {"slow_collection": {"checked": False, "reason": "x"}})
        save_coverage(connection, "acme", {"not_run": {"checked": True}})  # no watermark: no row
    assert stored_coverage(engine, "acme") == {"slow_collection": {"checked": False, "reason": "x"}}
    assert stored_coverage(engine, "other") == {}
