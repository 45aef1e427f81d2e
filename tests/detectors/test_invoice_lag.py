"""Tests for the invoice lag (service to invoice delay) detector."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from busywork.store.records import RecordKind
from detectors import InvoiceLagDetector
from detectors.base import Candidate
from tests.detectors.catalogue_factories import lag_frames
from tests.detectors.detector_factories import context, empty_frames


def detect(frames: dict[RecordKind, pd.DataFrame], **params: Any) -> list[Candidate]:
    return InvoiceLagDetector(**params).detect(frames, context())


def test_sessions_invoiced_a_week_later_are_found() -> None:
    frames = lag_frames((7, 11))
    (finding,) = detect(frames)

    assert finding.subject.type == "business"
    assert finding.category == "bottleneck"
    assert finding.metrics["pairs"] == 32
    assert 4 <= finding.metrics["median_lag_days"] <= 9
    assert finding.cash_impact_per_month > 0
    ids = set(finding.record_ids)
    assert ids <= set(frames[RecordKind.APPOINTMENT]["source_id"]) | set(
        frames[RecordKind.INVOICE]["source_id"]
    )
    assert any(i.endswith("-inv-00") for i in ids)


def test_next_day_invoicing_and_integrations_are_not() -> None:
    assert detect(lag_frames((0, 1))) == []
    assert detect(lag_frames((7, 11), origin="integration")) == []


def test_lag_threshold_changes_the_outcome() -> None:
    frames = lag_frames((7, 11))
    assert detect(frames, min_median_lag_days=12) == []
    assert detect(lag_frames((1, 3)), min_median_lag_days=1)


def test_cash_impact_grows_with_the_lag() -> None:
    (short,) = detect(lag_frames((5, 6)), min_median_lag_days=1)
    (long,) = detect(lag_frames((12, 14)), min_median_lag_days=1)
    assert long.cash_impact_per_month > short.cash_impact_per_month > 0
    assert short.hours_saved_per_month == pytest.approx(0.0)


def test_empty_frames_give_nothing() -> None:
    assert detect(empty_frames(InvoiceLagDetector)) == []


def test_input_is_not_modified() -> None:
    frames = lag_frames((7, 11))
    before = {kind: data.copy() for kind, data in frames.items()}
    detect(frames)
    for kind, data in frames.items():
        pd.testing.assert_frame_equal(data, before[kind])
