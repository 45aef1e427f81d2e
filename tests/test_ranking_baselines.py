from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine

from alignment.admin_time import admin_time
from alignment.baselines import BASELINE_COLUMNS, measure_baselines
from busywork.pipeline import enabled_detectors
from busywork.plan import Run, load_for_runs
from busywork.ranking_baselines import ranking_baselines, record_figures, with_findings
from busywork.store import frame_patch, snapshots
from busywork.store.ingest import commit_page
from busywork.store.read import load_frames
from busywork.store.records import RecordKind
from config.loader import parse_config
from detectors.base import DetectionContext
from tests.factories import batch, invoice_rows

AS_OF = datetime(2026, 9, 30, 23, 59, tzinfo=UTC)
CONFIG = """\
business: {id: b, name: B Ltd, timezone: Europe/London, currency: GBP}
storage: {url: "sqlite://"}
"""
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


def test_a_detection_load_is_measured_without_reading_the_records_again(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    context = DetectionContext(business="b", as_of=AS_OF)
    _commit(engine, invoice_rows(40))
    detectors = enabled_detectors(parse_config(CONFIG))
    load_for_runs(engine, "b", [Run(detector) for detector in detectors.values()])
    expected = _fresh(engine, context)
    monkeypatch.setattr(snapshots, "load_stored_frames", _refused)  # no cold load
    monkeypatch.setattr(frame_patch, "load_frames", _refused)  # no patch
    assert ranking_baselines(engine, "b", METRICS, context, []) == expected


def test_record_figures_hold_admin_time_as_measured_on_a_fresh_load(engine: Engine) -> None:
    context = DetectionContext(business="b", as_of=AS_OF)
    _commit(engine, invoice_rows(40))
    figures = record_figures(engine, "b", METRICS, context)
    assert figures.admin_time == admin_time(load_frames(engine, "b", BASELINE_COLUMNS), context)
    assert with_findings(figures, METRICS, context, []) == _fresh(engine, context)


def _refused(*args: object, **kwargs: object) -> None:
    raise AssertionError("the records were read again")
