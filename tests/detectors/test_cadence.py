"""The shared cadence rules: what makes a run of records a schedule."""

from __future__ import annotations

import pandas as pd

from detectors import _cadence as cad


def _monthly(amounts: list[float]) -> pd.DataFrame:
    issued = pd.date_range("2026-01-15", periods=len(amounts), freq="MS") + pd.Timedelta(days=14)
    return pd.DataFrame(
        {
            "key": "acme",
            "issued": issued,
            "amount": amounts,
            "source_id": [f"INV-{n}" for n in range(len(amounts))],
        }
    )


RULES = {
    "min_occurrences": 5,
    "min_regular_share": 0.8,
    "max_amount_cv": 0.15,
    "tolerance": 0.25,
    "min_tolerance_days": 2.0,
    "max_idle_periods": 2.0,
}
TODAY = pd.Timestamp("2026-09-01")


def test_a_steady_monthly_run_is_found_with_its_figures() -> None:
    [run] = cad.find_runs(_monthly([100.0] * 8), cad.CadenceRules(**RULES), TODAY)
    assert (run.key, run.unit, run.occurrences) == ("acme", "month", 8)
    assert run.typical_amount == 100.0
    assert run.metrics("bills_per_month")["occurrences"] == 8.0


def test_near_amount_rule_rejects_a_varying_series_a_robust_cv_would_let_through() -> None:
    # Five equal amounts make the median absolute deviation zero; three are far off.
    varying = _monthly([100.0] * 5 + [300.0, 20.0, 500.0])
    assert cad.find_runs(varying, cad.CadenceRules(**RULES), TODAY) == []
    lenient = cad.CadenceRules(**RULES, require_near_amounts=False)
    assert [run.key for run in cad.find_runs(varying, lenient, TODAY)] == ["acme"]


def test_rows_in_any_order_give_the_same_run() -> None:
    rules = cad.CadenceRules(**RULES)
    ordered = _monthly([100.0, 101.0, 99.0, 100.0, 100.0, 102.0, 98.0, 100.0])
    [expected] = cad.find_runs(ordered, rules, TODAY)
    shuffled = pd.concat([ordered.iloc[::-1], _monthly([5.0] * 3).assign(key="rare")])
    [run] = cad.find_runs(shuffled.reset_index(drop=True), rules, TODAY)
    assert run.evidence["source_id"].tolist() == expected.evidence["source_id"].tolist()
    assert (run.key, run.occurrences, run.typical_amount) == ("acme", 8, expected.typical_amount)
