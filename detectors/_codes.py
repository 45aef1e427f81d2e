"""Integer codes for text columns, and the look-ups detectors build on them.

Hashing and comparing Python strings is most of the cost of detection on a million records,
so text is factorised once (equal, cleaned values share one code, nulls are -1) and what
follows is numpy on integers:

- :class:`Codes`, :func:`owners`, :func:`first_per_code`, :func:`prefix_owners`: the
  attendee ↔ customer matching of :mod:`detectors._matching`;
- :func:`frequent`, :func:`frequent_rows`: the subjects with enough records to matter,
  before any scoring;
- :func:`factor`, :func:`combine`, :func:`first_per_group`, :func:`first_rows`: codes of
  one column, of tuples of columns, each group's first value and each code's first row
  (entity resolution, distinct party rows).

A column coded once is cleaned from its distinct values (:meth:`Codes.cleaned`; when no value
changes, its codes are kept) and its codes are handed on, rather than coded again by each
step that reads it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from busywork.store import text_dictionary
from detectors import _frames as fr

Ints = np.ndarray[Any, np.dtype[np.int64]]
Texts = np.ndarray[Any, np.dtype[np.object_]]


@dataclass(frozen=True)
class Codes:
    """Codes of the rows of several columns laid end to end, and the value of each code."""

    #: One code per row (-1 for null), rows of the first column first.
    codes: Ints
    #: The distinct (cleaned) value of each code.
    values: Texts

    @classmethod
    def of(
        cls, columns: Sequence[pd.Series[Any]], clean: Callable[[str], str | None] | None = None
    ) -> Codes:
        """Code the rows of ``columns``; with ``clean``, equal *cleaned* values share a code.

        ``clean`` runs once per distinct raw value; values it turns into ``None`` are null.
        """
        raw = np.concatenate([text_values(column) for column in columns])
        codes, uniques = pd.factorize(raw)
        coded = cls(codes.astype(np.int64), np.asarray(uniques, dtype=object))
        return coded if clean is None else coded.cleaned(clean)

    def cleaned(self, clean: Callable[[str], str | None]) -> Codes:
        """These codes with equal *cleaned* values sharing a code, still in order of first row.

        ``clean`` runs once per distinct value; values it turns into ``None`` are null. The
        codes are those :meth:`of` gives with ``clean``, without coding the rows' text again.
        """
        cleaned = [*map(clean, self.values)]
        if all(map(operator.is_, cleaned, self.values)):
            # Every value is its own cleaned value (most e-mail addresses are): distinct
            # values stay distinct, so the codes hold and nothing is hashed again.
            return Codes(self.codes.astype(np.int64, copy=False), self.values)
        clean_codes, clean_values = pd.factorize(np.array([*cleaned, None], dtype=object))
        return Codes(
            clean_codes[self.codes].astype(np.int64), np.asarray(clean_values, dtype=object)
        )


def text_values(column: pd.Series[Any]) -> Texts:
    """``column`` as text to code: an object array of strings and nulls (None or NaN).

    A column of Python strings and nulls (every column loaded from the store) is read as
    it is: converting it to pandas strings and back cost as much as coding it. Any other
    column (numbers in a frame built by hand) is converted by
    :func:`detectors._frames.as_text`, so its values are coded as the same text.
    """
    values = column.to_numpy()
    if values.dtype == object and infer_dtype(values, skipna=True) in ("string", "empty"):
        return values
    return fr.as_text(column).to_numpy(dtype=object)


#: Positions of each code's first row, for codes in order of first appearance: one
#: implementation, shared with the snapshots' stored codes.
first_rows = text_dictionary.first_rows


def factor(values: Any) -> Ints:
    """A code per value, in order of first appearance; -1 for null."""
    codes: Ints = pd.factorize(values)[0].astype(np.int64, copy=False)
    return codes


def combine(*columns: Ints) -> Ints:
    """One code per distinct tuple of the columns' codes, in order of first appearance.

    Each column holds codes >= -1; -1 (null) is a value like any other, so two rows are
    one tuple only when every column's code is equal.
    """
    # Each tuple written as one integer (mixed radix), coded once: the same codes as coding
    # the tuple column by column, at the cost of one hash pass instead of one per column.
    key = np.zeros(len(columns[0]), dtype=np.int64)
    span = 1  # key < span
    for column in columns:
        width = int(column.max(initial=-1)) + 2
        if span * width > WIDEST_KEY:  # would overflow: code the tuples so far first
            key = factor(key)
            span = int(key.max(initial=-1)) + 1
        key = key * width + (column + 1)
        span *= width
    return factor(key)


#: The largest integer key written without overflow: by :func:`combine` before it codes the
#: tuples, by :func:`detectors._ordering.lexsorted` before it falls back to ``np.lexsort``.
WIDEST_KEY = 2**62


def first_per_group(group: Ints, value: Ints) -> Ints:
    """Per row, the ``value`` of the first row of its ``group`` (codes >= 0), in row order."""
    codes, first = np.unique(group, return_index=True)
    out = np.empty(int(codes.max(initial=-1)) + 1, dtype=np.int64)
    out[codes] = value[first]
    result: Ints = out[group]
    return result


def look_up(table: np.ndarray[Any, Any], codes: Ints, missing: Any = -1) -> np.ndarray[Any, Any]:
    """``table[code]`` per code; ``missing`` for code -1 (null)."""
    return np.append(table, np.array([missing], dtype=table.dtype))[codes]


def owners(values: Ints, customers: Ints, size: int) -> Ints:
    """Per value code, the one customer code rows with that value belong to, else -1.

    A value seen with two different customers identifies neither, like an address two
    customers share. Each value's lowest and highest customer are gathered in one pass
    (no sort): the value has one customer exactly when they are equal.
    """
    present = (values >= 0) & (customers >= 0)
    value, customer = values[present], customers[present]
    lowest = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(lowest, value, customer)
    highest = np.full(size, -1, dtype=np.int64)
    np.maximum.at(highest, value, customer)
    owner: Ints = np.where((highest >= 0) & (lowest == highest), highest, -1)
    return owner


def first_per_code(codes: Ints, value_codes: Ints, values: Texts, size: int) -> Texts:
    """Per code, the value of its first row that has one (``None`` if none).

    ``value_codes`` holds each row's value code (-1: none) and ``values`` the value of each
    value code: the first row is found on the codes, and only the values chosen are read.
    """
    rows = np.flatnonzero((codes >= 0) & (value_codes >= 0))
    present = codes[rows]
    first = first_rows(factor(present))  # hashed, not sorted
    out = np.full(size, None, dtype=object)
    out[present[first]] = values[value_codes[rows[first]]]
    return out


def prefix_owners(
    names: Texts, known_names: Ints, customers: Ints, wanted: Ints, min_prefix_chars: int
) -> Ints:
    """Customer code per ``wanted`` name code, matched by last name and first-name prefix.

    A wanted name ("jon smith") matches a known customer's name ("jonathan smith") when the
    last names agree and one first name starts with the other, the shorter at least
    ``min_prefix_chars`` long. Names that match no customer, or several, give -1.

    Args:
        names: The cleaned name of each name code.
        known_names: Name code per directory row (customers' and invoices' names).
        customers: Customer code per directory row.
        wanted: Name codes to match (one per appointment).
        min_prefix_chars: Shortest first name a prefix match accepts.
    """
    parts = _name_parts(names)
    asked = pd.Index(np.unique(wanted))
    left = parts.loc[parts.index.intersection(asked)].rename_axis("row").reset_index()
    # Only names sharing a last name with one asked can match: the directory's other rows
    # (most of them, and the most memory) are never paired, so they are not taken.
    candidates = parts[parts["last"].isin(left["last"]).to_numpy()]
    present = (customers >= 0) & np.isin(known_names, candidates.index.to_numpy())
    directory = pd.DataFrame({"name": known_names[present], "customer": customers[present]})
    right = directory.drop_duplicates().join(candidates, on="name", how="inner")
    pairs = left.merge(right, on="last", suffixes=("", "_c"))
    owner = np.full(len(names), -1, dtype=np.int64)
    if not pairs.empty:
        first = pairs["first"].to_numpy(dtype=str)
        other = pairs["first_c"].to_numpy(dtype=str)
        shorter = np.strings.str_len(first) <= np.strings.str_len(other)
        short, long = np.where(shorter, first, other), np.where(shorter, other, first)
        ok = np.strings.startswith(long, short) & (np.strings.str_len(short) >= min_prefix_chars)
        hits = pairs[ok].drop_duplicates(["row", "customer"])
        single = hits.groupby("row")["customer"].agg(["count", "first"])
        single = single[single["count"] == 1]
        owner[single.index.to_numpy()] = single["first"].to_numpy()
    return look_up(owner, wanted)


def _name_parts(names: Texts) -> pd.DataFrame:
    """First and last word of each name code's (cleaned, single-spaced) name, if it has two."""
    split = [name.split(" ") for name in names]
    two = np.array([len(words) >= 2 for words in split], dtype=bool)
    return pd.DataFrame(
        {
            "first": [words[0] for words, ok in zip(split, two, strict=True) if ok],
            "last": [words[-1] for words, ok in zip(split, two, strict=True) if ok],
        },
        index=pd.Index(np.flatnonzero(two), name="name"),
    )


def frequent(frame: pd.DataFrame, least: int) -> pd.DataFrame:
    """Rows of ``frame`` whose ``key`` has at least ``least`` rows (null keys dropped).

    Detectors that need several records per subject start here: most customers of a large
    business appear a few times, so what is left is a small fraction of the rows.
    """
    return frame[frequent_rows(factor(frame["key"]), least)]


def frequent_rows(key_code: Ints, least: int) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Per row, whether its key's code has at least ``least`` rows; never for a null (-1).

    What :func:`frequent` keeps, for keys already coded (the subject keys'
    :attr:`~detectors._subject_keys.SubjectKeys.codes`): no key's text is hashed again.
    """
    counts = np.bincount(key_code[key_code >= 0])
    enough: np.ndarray[Any, np.dtype[np.bool_]] = look_up(counts, key_code, 0) >= max(least, 1)
    return enough
