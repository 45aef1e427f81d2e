from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine

from alignment.baselines import BASELINE_COLUMNS, measure_baselines
from busywork.ranking_baselines import ranking_baselines
from busywork.store.ingest import commit_page
from busywork.store.read import load_frames
from busywork.store.records import RecordKind
from detectors.base import DetectionContext
from tests.factories import batch, invoice_rows

AS_OF = datetime(2026, 9, 30, 23, 59, tzinfo=UTC)
METRICS = ["dso_days", "billed_revenue_per_month", "admin_hours_per_month", "leakage_per_month"]


def _commit(engine: Engine, rows: list[dict[str, object]]) -> None:
    commit_page(
        engine,
        business="b",
        connector="books",
        batches=[batch(RecordKind.INVOICE, rows)],
        cursor=None,
        now=AS_OF,
    )


def _fresh(engine: Engine, context: DetectionContext) -> dict[str, float]:
    frames = load_frames(engine, "b", BASELINE_COLUMNS)
    return measure_baselines(METRICS, frames, context, [])


def test_baselines_equal_a_fresh_measure_before_and_after_new_events(engine: Engine) -> None:
    context = DetectionContext(business="b", as_of=AS_OF)
    _commit(engine, invoice_rows(40))
    before = ranking_baselines(engine, "b", METRICS, context, [])
    assert before == _fresh(engine, context)
    assert list(before) == list(_fresh(engine, context))  # the same order too
    _commit(engine, invoice_rows(10, prefix="NEW", total=5_000.0, status="paid"))
    after = ranking_baselines(engine, "b", METRICS, context, [])
    assert after == _fresh(engine, context)
    assert after["billed_revenue_per_month"] > before["billed_revenue_per_month"]


def test_another_date_or_setting_is_measured_again(engine: Engine) -> None:
    _commit(engine, invoice_rows(40))
    context = DetectionContext(business="b", as_of=AS_OF)
    slower = DetectionContext(business="b", as_of=AS_OF, minutes_per_task={"create_invoice": 60.0})
    later = DetectionContext(business="b", as_of=datetime(2027, 6, 1, tzinfo=UTC))
    for each in (context, slower, later):
        assert ranking_baselines(engine, "b", METRICS, each, []) == _fresh(engine, each)
    assert ranking_baselines(engine, "b", METRICS, slower, [])["admin_hours_per_month"] == (
        pytest.approx(
            5 * ranking_baselines(engine, "b", METRICS, context, [])["admin_hours_per_month"],
            rel=1e-3,
        )
    )
