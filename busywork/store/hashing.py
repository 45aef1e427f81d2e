"""Content hashes of record rows: what tells a real change from a re-delivery.

The hash of a row is, by definition, pandas' ``hash_pandas_object(..., index=False)`` of the
row's content columns boxed as Python objects (missing values as None), written as 16 hex
digits. Every stored ``content_hash`` was made that way, so the formula can never change:
a different hash would report every stored record as updated. This module computes the
same numbers without boxing a million values:

* pandas hashes an object column through its categories (each distinct value hashed once,
  then spread by the codes; missing values get ``2**64 - 1``). Text columns do exactly
  that here, straight from ``factorize``; other columns go through a real categorical of
  the values as pandas would box them.
* The per-column hashes are combined as ``hash_pandas_object`` combines them (CPython's
  tuple hash) and formatted as hex digits with numpy instead of ``"%x" % value``.

``tests/store/test_frames.py`` pins the equality with the boxed formula.

A column added after records were stored would change every stored hash. A column listed
named in :data:`NEUTRAL_COLUMN` is therefore left out of a row's hash while the row holds the
value every older record implicitly had (``doc_type`` ``invoice``): old rows keep their
hashes, and a row whose value differs hashes with the column.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from busywork.store.text_codes import TextCodes

#: Columns left out of the content hash: vendor bookkeeping, not business content.
UNHASHED_COLUMNS = frozenset({"created_at", "updated_at"})
#: A column added later, and the value that stands for "as before": hashed only when different.
NEUTRAL_COLUMN: tuple[str, object] = ("doc_type", "invoice")
#: What pandas hashes a missing categorical value to.
_MISSING = np.iinfo(np.uint64).max
_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8).astype(np.uint32)
_NIBBLE_SHIFTS = np.arange(60, -4, -4, dtype=np.uint64)
_UTC_SUFFIX = np.array([ord(character) for character in "+00:00"], dtype=np.uint32)


def content_hashes(
    frame: pd.DataFrame,
    text_columns: Collection[str] = (),
    codes: Mapping[str, TextCodes] | None = None,
) -> pd.Series:
    """A 16-hex-digit hash per row of the content columns, to tell real changes from re-sends.

    Args:
        frame: validated records (see ``validate_records``); any index.
        text_columns: columns known to hold only ``str`` values and None (validation says
            which), spared a pass over every value to find that out.
        codes: text columns as codes into their distinct values, aligned with ``frame``
            (validation gives those of a CSV file), spared finding their values again.

    Returns:
        The hashes as ``str`` objects, indexed like ``frame``.
    """
    columns = sorted(column for column in frame.columns if column not in UNHASHED_COLUMNS)
    if frame.empty:
        return pd.Series([], dtype=object)
    codes = codes or {}
    hashed = {
        column: _coded_hashes(codes[column])
        if column in codes
        else _column_hashes(frame[column], column in text_columns)
        for column in columns
    }
    combined = _combine([hashed[column] for column in columns], len(frame))
    name, value = NEUTRAL_COLUMN
    if name in hashed:
        neutral = (frame[name] == value).to_numpy(dtype=bool, na_value=False)
        if neutral.any():
            without = _combine([hashed[column] for column in columns if column != name], len(frame))
            combined = np.where(neutral, without, combined)
    return pd.Series(_hex(combined), index=frame.index)


def _column_hashes(values: pd.Series, text: bool = False) -> np.ndarray:
    """``hash_array`` of ``values`` boxed as objects and categorised, as pandas computes it.

    ``text`` says that every value is a ``str`` or None; a column of None only is no text.
    """
    if values.dtype == object and (
        text or pd.api.types.infer_dtype(values, skipna=True) == "string"
    ):
        codes, uniques = pd.factorize(values.to_numpy(), sort=False)
        if len(uniques):
            hashed = pd.util.hash_array(np.asarray(uniques, dtype=object), categorize=False)
            result = hashed.take(codes)
            result[codes < 0] = _MISSING
            return result
    return pd.util.hash_array(_as_categories(values))


def _coded_hashes(coded: TextCodes) -> np.ndarray:
    """:func:`_column_hashes` of a text column given as codes: each distinct value hashed once."""
    if not len(coded.values):
        return np.full(len(coded), _MISSING, dtype=np.uint64)
    hashed = pd.util.hash_array(coded.values, categorize=False)
    result: np.ndarray = hashed.take(coded.codes)
    result[coded.codes < 0] = _MISSING
    return result


def _combine(arrays: Sequence[np.ndarray], length: int) -> np.ndarray:
    """Per-row hashes of several columns combined as ``hash_pandas_object`` combines them."""
    multiplier = np.uint64(1000003)
    out = np.full(length, 0x345678, dtype=np.uint64)
    for position, hashed in enumerate(arrays):
        out ^= hashed
        out *= multiplier
        multiplier += np.uint64(82520 + 2 * (len(arrays) - position))
    out += np.uint64(97531)
    return out


def _hex(hashed: np.ndarray) -> np.ndarray:
    """Each uint64 as 16 lower-case hex digits, zero-padded (``f"{value:016x}"``)."""
    nibbles = (hashed[:, None] >> _NIBBLE_SHIFTS) & np.uint64(15)
    code_points = np.ascontiguousarray(_HEX_DIGITS[nibbles.astype(np.intp)])
    return code_points.view("<U16").ravel().astype(object)


def _as_categories(values: pd.Series) -> pd.Categorical[Any]:
    """``values`` as the categorical pandas makes of their object form, boxing only uniques."""
    if values.dtype == object:
        values = values.where(values.notna(), None)
    codes, uniques = pd.factorize(values, sort=False)
    if isinstance(values.dtype, pd.DatetimeTZDtype) and str(values.dtype.tz) == "UTC":
        # pandas hashes aware timestamps by their str(): write those strings directly.
        boxed = pd.Index(_utc_timestamp_text(uniques), copy=False)
    else:
        boxed = pd.Index(np.asarray(uniques, dtype=object), copy=False)  # inferred as pandas does
    return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(boxed))


def _utc_timestamp_text(stamps: Any) -> np.ndarray:
    """``str(Timestamp)`` of UTC timestamps, vectorised: "2026-01-31 09:30:00.250000+00:00".

    The fraction is shown only when there is one, to the microsecond unless nanoseconds
    are set.
    """
    if len(stamps) == 0:
        return np.array([], dtype=object)
    naive = np.asarray(stamps.tz_convert("UTC").tz_localize(None), dtype="datetime64[ns]")
    # "2026-01-31T09:30:00.250000000": as many code points per stamp (years 1677-2262).
    text = np.datetime_as_string(naive, unit="ns").astype("<U29")
    characters = text.view(np.uint32).reshape(len(text), 29)
    characters[:, 10] = ord(" ")
    fraction = naive.view("i8") % 1_000_000_000
    shown = np.where(fraction == 0, 19, np.where(fraction % 1000 == 0, 26, 29))
    out = np.zeros((len(text), 29 + len(_UTC_SUFFIX)), dtype=np.uint32)
    for kept in np.unique(shown):
        rows = shown == kept
        out[rows, :kept] = characters[rows, :kept]
        out[rows, kept : kept + len(_UTC_SUFFIX)] = _UTC_SUFFIX
    return out.view(f"<U{out.shape[1]}").ravel().astype(object)
