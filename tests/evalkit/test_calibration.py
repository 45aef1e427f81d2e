"""Brier score and reliability bins: hand-computed cases."""

from __future__ import annotations

import pytest

from busywork.evalkit.calibration import Forecast, calibrate, format_calibration


def test_brier_and_bins_match_a_hand_computation() -> None:
    forecasts = [Forecast(0.95, True), Forecast(0.95, False), Forecast(0.75, True)]
    result = calibrate(forecasts)
    # (0.05² + 0.95² + 0.25²) / 3
    assert result.brier == pytest.approx((0.0025 + 0.9025 + 0.0625) / 3)
    bins = {(b.low, b.high): b for b in result.bins}
    top = bins[(0.9, 1.0)]
    assert (top.count, top.observed_precision) == (2, 0.5)
    assert top.gap == pytest.approx(0.45)
    assert bins[(0.7, 0.8)].observed_precision == 1.0
    assert result.expected_calibration_error == pytest.approx((2 * 0.45 + 0.25) / 3)


def test_perfect_forecasts_score_zero_and_empty_input_is_not_an_error() -> None:
    assert calibrate([Forecast(1.0, True), Forecast(0.0, False)]).brier == 0.0
    empty = calibrate([])
    assert (empty.forecasts, empty.brier, empty.bins) == (0, 0.0, ())
    assert "0 reported findings" in format_calibration(empty)


def test_the_table_shows_stated_against_observed() -> None:
    text = format_calibration(calibrate([Forecast(0.85, False)]))
    assert "| 80%-90% | 1 | 0.850 | 0.000 | +0.850 |" in text
    assert "Brier score 0.722" in text
