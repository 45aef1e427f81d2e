"""A column coded once per pass codes further text as coding them together would."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detectors import _frames as fr
from detectors import _known
from detectors._codes import Codes
from detectors._known import known_text
from detectors._shared import detection_pass

_POOL = np.array([None, "a", "b", "B", "b ", "zoë", np.nan, "x y", "1"], dtype=object)


def _column(rng: np.random.Generator, rows: int) -> pd.Series[object]:
    return pd.Series(rng.choice(_POOL, rows), dtype=object)


def _frame_and_more(seed: int) -> tuple[pd.DataFrame, list[pd.Series[object]]]:
    """A frame's text column of 0-11 rows, and 0-2 more columns to code after it."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"text": _column(rng, int(rng.integers(0, 12)))})
    return frame, [_column(rng, int(rng.integers(0, 12))) for _ in range(int(rng.integers(0, 3)))]


@pytest.mark.parametrize("seed", range(40))
def test_text_coded_after_a_known_column_has_the_codes_of_both_coded_together(
    seed: int,
) -> None:
    frame, more = _frame_and_more(seed)

    found = known_text(frame, "text").then(*more)
    expected = Codes.of([frame["text"], *more])

    assert found.codes.tolist() == expected.codes.tolist()
    assert found.values.tolist() == expected.values.tolist()


def test_within_a_pass_a_frame_column_is_coded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pd.DataFrame({"text": ["a", "b", None, "a"]})
    calls: list[int] = []
    real = pd.factorize

    def counted(values: object, *args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(values, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(_known.pd, "factorize", counted)
    with detection_pass():
        first = known_text(frame, "text")
        again = known_text(frame, "text")
        other = known_text(frame.copy(), "text")

    assert again is first
    assert other is not first
    assert len(calls) == 2  # the copy is another frame: coded on its own


def _strip_or_none(text: str) -> str | None:
    """A cleaning that merges values ("b", "b ") and drops some ("1")."""
    stripped = text.strip().lower()
    return None if stripped.isdigit() else stripped


@pytest.mark.parametrize("seed", range(40))
def test_text_cleaned_after_a_known_column_has_the_codes_of_both_cleaned_together(
    seed: int,
) -> None:
    frame, more = _frame_and_more(seed)
    known = known_text(frame, "text")

    with detection_pass():
        known.cleaned(known.then(*more[:1]), _strip_or_none)  # the column cleaned first
        found = known.cleaned(known.then(*more), _strip_or_none)
    expected = Codes.of([frame["text"], *more], _strip_or_none)

    assert found.codes.tolist() == expected.codes.tolist()
    assert found.values.tolist() == expected.values.tolist()


_ADDRESSES = np.array(
    [None, "ann@x.com", "ANN@x.com", " b@y.org", "b@y.org", "no-at-sign", "c@z.net"], dtype=object
)


@pytest.mark.parametrize("seed", range(20))
def test_addresses_added_to_a_clean_column_merge_with_its_values_as_coded_together(
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    clean_pool = np.array(["ann@x.com", "b@y.org", "c@z.net"], dtype=object)
    frame = pd.DataFrame({"text": pd.Series(rng.choice(clean_pool, 6), dtype=object)})
    more = pd.Series(rng.choice(_ADDRESSES, 8), dtype=object)
    known = known_text(frame, "text")

    with detection_pass():
        found = known.cleaned(known.then(more), fr.clean_email)
    expected = Codes.of([frame["text"], more], fr.clean_email)

    assert found.codes.tolist() == expected.codes.tolist()
    assert found.values.tolist() == expected.values.tolist()


def test_within_a_pass_a_known_column_s_values_are_cleaned_once() -> None:
    frame = pd.DataFrame({"text": ["a", "b", None, "a"]})
    cleaned: list[str] = []

    def clean(text: str) -> str:
        cleaned.append(text)
        return text.upper()

    with detection_pass():
        known = known_text(frame, "text")
        known.cleaned(known.then(pd.Series(["c", "a"])), clean)
        known.cleaned(known.then(pd.Series(["d"])), clean)

    assert sorted(cleaned) == ["a", "b", "c", "d"]


def _rows_of(rng: np.random.Generator, column: pd.Series[object]) -> pd.Series[object]:
    """Some rows of ``column``, in any order, some twice: as a detector selects them."""
    at = rng.integers(0, len(column), int(rng.integers(0, 2 * len(column) + 1)))
    return column.iloc[at] if len(column) else column


@pytest.mark.parametrize("seed", range(40))
def test_rows_coded_by_their_distinct_values_are_coded_as_their_own_text(
    seed: int,
) -> None:
    frame, more = _frame_and_more(seed)
    rng = np.random.default_rng(seed + 1000)
    loaded = pd.DataFrame({"text": _column(rng, int(rng.integers(1, 12)))})
    loaded.index = rng.permutation(len(loaded)) * 3  # labels, not positions
    rows = _rows_of(rng, loaded["text"])

    with detection_pass():
        found = known_text(frame, "text").then(*more, rows, rows)
    expected = Codes.of([frame["text"], *more, rows, rows])

    assert found.codes.tolist() == expected.codes.tolist()
    assert found.values.tolist() == expected.values.tolist()


@pytest.mark.parametrize("seed", range(40))
def test_rows_of_a_loaded_column_cleaned_from_its_codes_are_coded_as_codes_of_gives(
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    loaded = _column(rng, int(rng.integers(1, 14)))
    rows = _rows_of(rng, loaded)

    with detection_pass():
        _known.cleaned_rows(loaded, loaded.iloc[:1], _strip_or_none)  # cleaned once first
        found = _known.cleaned_rows(loaded, rows, _strip_or_none)
    outside = _known.cleaned_rows(loaded, rows, _strip_or_none)
    expected = Codes.of([rows], _strip_or_none)

    for result in (found, outside):
        assert result.codes.tolist() == expected.codes.tolist()
        assert result.values.tolist() == expected.values.tolist()


def test_rows_of_a_column_whose_labels_repeat_are_coded_by_their_own_text() -> None:
    loaded = pd.Series(["b", "a", "a ", None], index=[0, 0, 1, 2], dtype=object)
    rows = loaded.iloc[[3, 2, 0]]

    with detection_pass():
        found = _known.cleaned_rows(loaded, rows, _strip_or_none)

    assert found.codes.tolist() == [-1, 0, 1]
    assert found.values.tolist() == ["a", "b"]
