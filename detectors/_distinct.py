"""Questions on text columns answered once per distinct value, and once per pass.

Statuses, origins, e-mails and names repeat across many records: cleaning or testing each
distinct value once and taking the answers back to the rows by their codes is a fraction
of the work on every row. Within a detection pass (:mod:`detectors._shared`) the answer for
a frame's column is computed once, whoever asks first, and each caller gets its own copy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.arrays import StringArray

from detectors._shared import shared_by_memory


def per_distinct(text: pd.Series[str], clean: Callable[[str], str | None]) -> pd.Series[str]:
    """``clean`` applied to each distinct value of ``text`` once, then mapped back.

    Statuses, origins, e-mails and names repeat across many records, so string work on the
    distinct values is a fraction of the work on every row. ``clean`` takes one string and
    does every step in one call: pandas' string methods on Python strings call a function
    per element anyway, once per step, so chaining them costs two to three times as much.
    Nulls, and values ``clean`` turns into ``None``, are null.
    """
    values, strings = getattr(text.array, "_ndarray", None), text.array
    if isinstance(values, np.ndarray) and isinstance(strings, StringArray):
        # Detectors clean the same columns of the same frames: once per pass. The array is
        # shared: each caller gets a copy of it (pointers), not one checked string by string.
        cleaned = shared_by_memory(
            "per_distinct", values, clean, lambda: _cleaned_array(values, strings.dtype, clean)
        )
        return text if cleaned is None else pd.Series(cleaned.copy(), index=text.index)
    out = _cleaned(text, clean)
    return text if out is None else pd.Series(out, index=text.index, dtype="str")


def _cleaned(text: pd.Series[str], clean: Callable[[str], str | None]) -> Any:
    """Per row, ``clean`` of its value (None for null); None when no value is non-null."""
    codes, uniques = pd.factorize(text)
    if len(uniques) == 0:
        return None
    cleaned = np.array([*map(clean, uniques.to_numpy(dtype=object)), None], dtype=object)
    return cleaned[codes]  # code -1 (null) picks the appended None


def _cleaned_array(
    values: np.ndarray[Any, Any], dtype: pd.StringDtype[Any], clean: Callable[[str], str | None]
) -> StringArray | None:
    """:func:`_cleaned` of a string array's values, as an array of its ``dtype``.

    None when no value is non-null.
    """
    codes, uniques = pd.factorize(values)
    if len(uniques) == 0:
        return None
    missing = dtype.na_value
    cleaned = [*map(clean, uniques), None]
    table = np.array([missing if value is None else value for value in cleaned], dtype=object)
    return StringArray(table[codes], dtype=dtype)  # type: ignore[call-arg]


def clean_lowered(text: str) -> str:
    """One value as :func:`detectors._frames.lowered` cleans it: trimmed, lower case."""
    return text.strip().lower()


def per_distinct_test(
    values: pd.Series[Any], test: Callable[[str], bool], null: bool
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Per row, ``test`` of its value as text, run once per distinct value; ``null`` for nulls.

    What a comparison of a cleaned column asks (``lowered(origin) == "booking_link"``),
    answered on the distinct values and taken to the rows by their codes: no cleaned
    column is built and no row's text is compared. Once per pass for a frame's column, as
    :func:`per_distinct`; the caller gets its own array.
    """
    text = values.astype("str")  # as _frames.as_text
    stored = getattr(text.array, "_ndarray", None)
    if not isinstance(stored, np.ndarray):
        return _tested(text.to_numpy(dtype=object), test, null)
    answers: np.ndarray[Any, np.dtype[np.bool_]] = shared_by_memory(
        "per_distinct_test", stored, (test, null), lambda: _tested(stored, test, null)
    )
    return answers.copy()


def _tested(
    values: np.ndarray[Any, Any], test: Callable[[str], bool], null: bool
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    codes, uniques = pd.factorize(values)
    table = np.array([*map(test, uniques), null], dtype=bool)
    answers: np.ndarray[Any, np.dtype[np.bool_]] = table[codes]  # code -1 (null): ``null``
    return answers


def lowered_in(
    values: pd.Series[Any], accepted: frozenset[str]
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Per row, whether its value, trimmed and lower-cased, is one of ``accepted``.

    ``lowered(values).isin(accepted)`` (:func:`detectors._frames.lowered`), answered from the
    distinct values (:func:`per_distinct_test`); nulls are False.
    """
    return per_distinct_test(values, _LoweredIn(accepted), False)


@dataclass(frozen=True)
class _LoweredIn:
    """The test of :func:`lowered_in`; equal for equal ``accepted``, so shared in a pass."""

    accepted: frozenset[str]

    def __call__(self, text: str) -> bool:
        return clean_lowered(text) in self.accepted
