"""Questions on text columns answered once per distinct value, and once per pass.

Statuses, origins, e-mails and names repeat across many records: cleaning or testing each
distinct value once and taking the answers back to the rows by their codes is a fraction
of the work on every row. Within a detection pass (:mod:`detectors._shared`) a frame's
column is coded once (:func:`text_codes`), whichever question is asked of it first, and
each answer for it is computed once; each caller gets its own copy of an answer.

Everything is keyed by the memory of the column as loaded, before any conversion: a column
with nulls converted to pandas strings is new memory at every conversion, and would never
be recognised again.

Coding a column hashes no text when it was decoded from a stored snapshot: its stored
codes are its factorisation (:mod:`busywork.store.text_dictionary`). Rows a detector
selected from such a column (by a mask, a window, a conversion to pandas strings) keep its
objects and its labels: their codes are taken from the column's and renumbered on integers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype
from pandas.arrays import StringArray

from busywork.store.text_dictionary import (
    first_rows,
    recall,
    recall_nulls,
    recall_origin,
    recall_rows,
)
from busywork.store.text_links import positions_in
from detectors._shared import shared_by_memory

Ints = np.ndarray[Any, np.dtype[np.intp]]
#: Codes of any signed integer width (:func:`text_codes`).
CodeArray = np.ndarray[Any, np.dtype[np.signedinteger[Any]]]
Texts = np.ndarray[Any, np.dtype[np.object_]]
#: What :func:`detectors._frames.as_text` converts a column to.
_TEXT = cast("pd.StringDtype[Any]", pd.Series([], dtype="str").dtype)


def as_text(values: pd.Series[Any]) -> pd.Series[str]:
    """``values`` as pandas strings, nulls kept: :func:`detectors._frames.as_text`."""
    return values.astype("str")


def text_codes(values: pd.Series[Any]) -> tuple[CodeArray, Texts]:
    """Per row, a code of its value as text (-1: null), and the distinct values, in order.

    The factorisation of :func:`as_text` of ``values``, once per pass for a frame's column.
    A column of Python strings and nulls (every column the store loads) is coded as it is,
    without converting it first. The arrays are shared: read them, never write them.

    The codes are signed integers of any width: a column decoded from a stored snapshot
    keeps the narrow codes stored with it (a byte per row for a column of few values).
    Widen them (``astype(np.int64)``) before any arithmetic; indexing takes them as they are.
    """
    memory = loaded(values)
    if memory is None:
        return _coded(as_text(values).to_numpy(dtype=object))
    return shared_by_memory("text_codes", memory, None, lambda: _text_codes(values, memory))


def column_codes(values: pd.Series[Any]) -> tuple[CodeArray, Texts]:
    """Per row, a code of its value, and the distinct values: those of the column it is from.

    Rows selected from a column decoded from a stored snapshot keep that column's codes, not
    renumbered, and the distinct values are the whole column's (its :func:`text_codes` of
    the pass): an answer worked out once per distinct value of the column, as a look-up,
    serves each selection of it. Any other column is coded as :func:`text_codes` codes it.
    """
    memory = loaded(values)
    if memory is not None and pd.api.types.is_integer_dtype(values.index.dtype):
        found = recall_origin(memory, values.index.to_numpy(), values.name)
        stored = None if found is None else recall(found[1])
        if found is not None and stored is not None:
            # The whole column's text_codes answer of the pass: its very values array, so
            # that answers kept per distinct values (KnownText.positions) serve every selection.
            whole = shared_by_memory(
                "text_codes", found[1], None, lambda: (stored.codes, stored.values)
            )
            return found[0], whole[1]
    return text_codes(values)


@dataclass(frozen=True)
class Linked:
    """Two columns' stored codes, and where the referring one's values are in the other's."""

    #: Per referring row, its value's code (-1: null), and the distinct values.
    referring: tuple[CodeArray, Texts]
    #: The same of the referred column.
    referred: tuple[CodeArray, Texts]
    #: Per distinct referring value, its position among the referred values (-1: none).
    found: np.ndarray[Any, np.dtype[np.int32]]


def linked(referring: pd.Series[Any], referred: pd.Series[Any]) -> Linked | None:
    """The stored codes of two columns and the link between them; None without one.

    Both must come from stored snapshots linked when written (or be rows selected from
    such columns): a look-up of one's values among the other's then hashes no text
    (:func:`busywork.store.text_links.positions_in`).
    """
    if loaded(referring) is None or loaded(referred) is None:
        return None
    referring_codes = column_codes(referring)
    referred_codes = column_codes(referred)
    found = positions_in(referring_codes[1], referred_codes[1])
    return None if found is None else Linked(referring_codes, referred_codes, found)


def missing(values: pd.Series[Any]) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Per row, whether ``values`` is null there: ``values.isna()``, as a numpy array.

    A column decoded from a stored snapshot, or rows selected from one (converted to pandas
    strings or not), is answered from its stored codes (-1: null) without reading a row's
    object: pandas reads every row's object to tell a string from a null, and for rows
    scattered in memory that was most of the time of a null test. Any other column is
    answered by pandas.
    """
    memory = loaded(values)
    if memory is not None:
        nulls = recall_nulls(memory)
        if nulls is not None:
            return nulls
        if pd.api.types.is_integer_dtype(values.index.dtype):
            codes = recall_rows(memory, values.index.to_numpy(), values.name)
            if codes is not None:
                return codes < 0
    found: np.ndarray[Any, np.dtype[np.bool_]] = values.isna().to_numpy(dtype=bool)
    return found


def loaded(values: pd.Series[Any]) -> np.ndarray[Any, Any] | None:
    """The object array holding ``values`` (the key of their answers), if one does."""
    stored = getattr(values.array, "_ndarray", None)
    if isinstance(stored, np.ndarray) and stored.dtype == object and _TEXT.storage == "python":
        return stored
    return None


def _text_codes(values: pd.Series[Any], memory: np.ndarray[Any, Any]) -> tuple[CodeArray, Texts]:
    stored = recall(memory)
    if stored is not None:
        # Decoded from a stored snapshot: its codes are this factorisation already.
        return stored.codes, stored.values
    selected = _selected_codes(values, memory)
    if selected is not None:
        return selected
    codes, uniques = _coded(memory)
    if infer_dtype(uniques, skipna=False) in ("string", "empty"):
        return codes, uniques  # text already: converting would change no value
    return _coded(as_text(values).to_numpy(dtype=object))


def _selected_codes(
    values: pd.Series[Any], memory: np.ndarray[Any, Any]
) -> tuple[Ints, Texts] | None:
    """The factorisation of rows selected from a column decoded from a stored snapshot.

    Their codes there (:func:`busywork.store.text_dictionary.recall_rows`), renumbered in
    order of first row: integers are hashed, not text.
    """
    if not pd.api.types.is_integer_dtype(values.index.dtype):
        return None
    stored = recall_rows(memory, values.index.to_numpy(), values.name)
    if stored is None:
        return None
    present = np.flatnonzero(stored >= 0)
    renumbered = pd.factorize(stored[present])[0]
    codes = np.full(len(stored), -1, dtype=np.intp)
    codes[present] = renumbered
    codes.flags.writeable = False
    distinct = memory[present[first_rows(renumbered)]]
    distinct.flags.writeable = False
    return codes, distinct


def _coded(values: np.ndarray[Any, Any]) -> tuple[Ints, Texts]:
    codes, uniques = pd.factorize(values)
    codes.flags.writeable = False
    distinct = np.asarray(uniques, dtype=object)
    distinct.flags.writeable = False
    return codes, distinct


def per_distinct(values: pd.Series[Any], clean: Callable[[str], str | None]) -> pd.Series[str]:
    """``clean`` applied to each distinct value of ``values`` as text once, then mapped back.

    Statuses, origins, e-mails and names repeat across many records, so string work on the
    distinct values is a fraction of the work on every row. ``clean`` takes one string and
    does every step in one call: pandas' string methods on Python strings call a function
    per element anyway, once per step, so chaining them costs two to three times as much.
    Nulls, and values ``clean`` turns into ``None``, are null; the result is pandas strings.
    """
    memory = loaded(values)
    if memory is None:
        text = as_text(values)
        out = _cleaned(text, clean)
        return text if out is None else pd.Series(out, index=text.index, dtype="str")
    # Detectors clean the same columns of the same frames: once per pass. The array is
    # shared: each caller gets a copy of it (pointers), not one checked string by string.
    cleaned = shared_by_memory(
        "per_distinct", memory, clean, lambda: _cleaned_array(text_codes(values), clean)
    )
    if cleaned is None:
        return as_text(values)
    return pd.Series(cleaned.copy(), index=values.index)


def _cleaned(text: pd.Series[str], clean: Callable[[str], str | None]) -> Any:
    """Per row, ``clean`` of its value (None for null); None when no value is non-null."""
    codes, uniques = pd.factorize(text)
    if len(uniques) == 0:
        return None
    cleaned = np.array([*map(clean, uniques.to_numpy(dtype=object)), None], dtype=object)
    return cleaned[codes]  # code -1 (null) picks the appended None


def _cleaned_array(
    coded: tuple[CodeArray, Texts], clean: Callable[[str], str | None]
) -> StringArray | None:
    """:func:`_cleaned` of coded values, as pandas strings; None when no value is non-null."""
    codes, uniques = coded
    if len(uniques) == 0:
        return None
    cleaned = [*map(clean, uniques), None]
    missing = _TEXT.na_value
    table = np.array([missing if value is None else value for value in cleaned], dtype=object)
    return StringArray(table[codes], dtype=_TEXT)  # type: ignore[call-arg]


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
    memory = loaded(values)
    if memory is None:
        return _tested(text_codes(values), test, null)
    answers: np.ndarray[Any, np.dtype[np.bool_]] = shared_by_memory(
        "per_distinct_test", memory, (test, null), lambda: _tested(text_codes(values), test, null)
    )
    return answers.copy()


def _tested(
    coded: tuple[CodeArray, Texts], test: Callable[[str], bool], null: bool
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    codes, uniques = coded
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
