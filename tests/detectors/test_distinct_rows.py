"""Tests for the distinct party rows entity resolution works on."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from detectors._nodes import distinct_rows


def _parties(rng: np.random.Generator, rows: int) -> pd.DataFrame:
    """Party rows whose later columns mostly, but not always, repeat within an id."""
    ids = rng.integers(0, 40, rows)
    drift = rng.random(rows) < 0.2
    return pd.DataFrame(
        {
            "source": [(None, "qb", "stripe")[k] for k in rng.integers(0, 3, rows)],
            "id": [None if i % 7 == 0 else f"c{i}" for i in ids],
            "name": [f"n{i + d}" if i % 5 else None for i, d in zip(ids, drift, strict=True)],
            "email": [None if d else f"e{i}@x.co" for i, d in zip(ids, drift, strict=True)],
        }
    ).astype("str")


def _columns(frame: pd.DataFrame) -> dict[str, pd.Series[Any]]:
    """The frame's columns by name, as :func:`distinct_rows` takes them."""
    return {str(name): frame[name] for name in frame.columns}


def test_distinct_rows_are_pandas_distinct_rows_in_order_of_first_appearance() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        frame = _parties(rng, int(rng.integers(0, 300)))
        distinct, position = distinct_rows(_columns(frame))

        expected = frame.drop_duplicates().reset_index(drop=True)
        pd.testing.assert_frame_equal(distinct, expected)
        rebuilt = distinct.iloc[position].reset_index(drop=True)
        pd.testing.assert_frame_equal(rebuilt, frame)


def test_nulls_are_equal_to_each_other_and_to_no_value() -> None:
    frame = pd.DataFrame(
        {"id": ["a", "a", "a", "a"], "email": [None, None, "x@y.z", "x@y.z"]}
    ).astype("str")
    distinct, position = distinct_rows(_columns(frame))
    assert list(position) == [0, 0, 1, 1]
    assert len(distinct) == 2
