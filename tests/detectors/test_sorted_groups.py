"""Per-group reductions over rows sorted by group give what a pandas group-by gives."""

from __future__ import annotations

import numpy as np
import pandas as pd

from detectors._sorted_groups import SortedGroups

CODES = np.array([0, 0, 0, 3, 3, 7, 7, 7, 7], dtype=np.int64)


def test_groups_are_the_runs_of_equal_codes() -> None:
    groups = SortedGroups(CODES)
    assert groups.starts.tolist() == [0, 3, 5]
    assert groups.of.tolist() == [0, 0, 0, 1, 1, 2, 2, 2, 2]
    assert groups.first.tolist() == [True, False, False, True, False, True, False, False, False]


def test_sums_and_running_counts_restart_per_group() -> None:
    groups = SortedGroups(CODES)
    mask = np.array([True, False, True, True, True, False, True, True, False])
    assert groups.sum(mask).tolist() == [2, 2, 2]
    assert groups.running_count(mask).tolist() == [1, 1, 2, 1, 2, 0, 1, 2, 2]


def test_last_from_marks_the_rows_from_each_groups_last_marked_row() -> None:
    groups = SortedGroups(CODES)
    starts = np.array([True, False, True, True, False, True, False, True, False])
    assert groups.last_from(starts).tolist() == [
        *[False, False, True],
        *[True, True],
        *[False, False, True, True],
    ]


def test_max_per_group() -> None:
    values = np.array([5, 9, 1, -4, -2, 0, 3, 3, 2], dtype=np.int64)
    assert SortedGroups(CODES).max(values).tolist() == [9, -2, 3]


def test_medians_skip_nan_and_average_the_middle_pair_as_pandas_does() -> None:
    values = np.array([3.0, np.nan, 1.0, np.nan, np.nan, 4.0, 0.1, 0.7, 2.0])
    medians = SortedGroups(CODES).median(values)
    assert medians[0] == 2.0  # 1 and 3, the NaN skipped
    assert np.isnan(medians[1])  # no value
    expected = pd.Series(values).groupby(CODES).median().to_numpy()
    np.testing.assert_array_equal(medians, expected)


def test_medians_match_pandas_bit_for_bit_on_random_groups() -> None:
    rng = np.random.default_rng(7)
    codes = np.sort(rng.integers(0, 40, 2_000)).astype(np.int64)
    values = rng.normal(100.0, 30.0, 2_000)
    values[rng.random(2_000) < 0.2] = np.nan
    expected = pd.Series(values).groupby(codes).median().to_numpy()
    np.testing.assert_array_equal(SortedGroups(codes).median(values), expected)
