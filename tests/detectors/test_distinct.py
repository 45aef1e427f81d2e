"""Text columns coded once per pass, keyed by the memory of the column as loaded."""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import pandas as pd
import pytest

from busywork.store.frame_codec import decode_frame, encode_frame
from detectors import _distinct as ds
from detectors import _frames as fr
from detectors._shared import detection_pass


def _loaded(values: list[object]) -> pd.Series:
    """A column as the store loads one: Python strings and nulls in an object array."""
    return pd.Series(values, dtype=object)


def test_a_column_is_coded_as_its_text() -> None:
    column = _loaded(["b", None, "a", float("nan"), "b", ""])
    codes, values = ds.text_codes(column)
    assert codes.tolist() == [0, -1, 1, -1, 0, 2]
    assert values.tolist() == ["b", "a", ""]


def test_values_that_are_no_strings_are_coded_as_their_text() -> None:
    column = _loaded([1, "1", None, 2.5])
    codes, values = ds.text_codes(column)
    expected_codes, expected_values = pd.factorize(fr.as_text(column))
    assert codes.tolist() == expected_codes.tolist() == [0, 0, -1, 1]
    assert values.tolist() == list(expected_values) == ["1", "2.5"]


def test_a_column_with_nulls_is_coded_and_cleaned_once_per_pass() -> None:
    frame = pd.DataFrame({"email": _loaded([" A@x.com", None, "b@y.org", " A@x.com"])})
    seen: list[str] = []

    def clean(text: str) -> str | None:
        seen.append(text)
        return fr.clean_email(text)

    with detection_pass():
        codes, _ = ds.text_codes(frame["email"])
        again, _ = ds.text_codes(frame["email"])
        first = ds.per_distinct(frame["email"], clean)
        second = ds.per_distinct(frame["email"], clean)
        tested = ds.lowered_in(frame["email"], frozenset({"b@y.org"}))
    assert again is codes
    assert not codes.flags.writeable  # shared: nobody writes into it
    assert seen == [" A@x.com", "b@y.org"]  # once per distinct value, for both calls
    pd.testing.assert_series_equal(first, second)
    assert tested.tolist() == [False, False, True, False]


@pytest.mark.parametrize(
    "values",
    [
        [" Paid", None, "VOID", float("nan"), "paid"],
        [None, None],
        [],
        [3, None, "x"],
    ],
)
def test_cleaning_a_loaded_column_gives_what_cleaning_its_text_gives(values: list[object]) -> None:
    column = _loaded(values)
    for shared in (False, True):
        with detection_pass() if shared else nullcontext():
            raw = ds.per_distinct(column, ds.clean_lowered)
            text = ds.per_distinct(fr.as_text(column), ds.clean_lowered)
            tested = ds.per_distinct_test(column, lambda value: value == "x", True)
        pd.testing.assert_series_equal(raw, text)
        assert raw.dtype == fr.as_text(column).dtype
        expected = [True if pd.isna(value) else str(value) == "x" for value in values]
        assert tested.tolist() == expected


def test_answers_are_the_callers_own() -> None:
    column = _loaded(["a", None, "b"])

    def is_a(value: str) -> bool:
        return value == "a"

    with detection_pass():
        first = ds.per_distinct_test(column, is_a, False)
        first[:] = True
        again = ds.per_distinct_test(column, is_a, False)
    assert again.tolist() == [True, False, False]


def _decoded(values: list[str | None]) -> pd.Series:
    """A text column as a stored snapshot gives it back (its codes kept beside it)."""
    frame = pd.DataFrame({"name": pd.Series(values, dtype=object)})
    payload = encode_frame(frame, np.arange(1, len(values) + 1, dtype=np.int64))
    assert payload is not None
    return decode_frame(payload, ["name"])[0]["name"]


@pytest.mark.parametrize("seed", range(10))
def test_nulls_of_stored_columns_and_their_rows_are_those_pandas_finds(seed: int) -> None:
    rng = np.random.default_rng(seed)
    pool: list[str | None] = [None, "a", "b", "Zoë", "", " "]
    column = _decoded([pool[i] for i in rng.integers(0, len(pool), 40)])
    window = column[rng.random(40) < 0.5]
    shuffled = column.iloc[rng.permutation(40)[:25]]
    for values in (
        column,
        window,
        shuffled,
        fr.as_text(shuffled),  # nulls become NaN: still the column's rows
        shuffled.reset_index(drop=True),  # labels no longer positions: pandas answers
        _loaded(["a", None, float("nan"), pd.NaT, 3, ""]),  # not stored: pandas answers
    ):
        assert ds.missing(values).tolist() == values.isna().tolist()
