"""Sorts of detector rows by integer keys, comparing text only where the keys tie.

Pairing records (an appointment and its invoice, a bill and the month before) needs rows in
a deterministic order: by subject, then date, then record id. Sorting a million rows by
text is the slow part of such a sort, so the keys are integers (codes of
:mod:`detectors._codes`, days, ranks of text) and record ids are compared only among the
rows tied on every key:

- :func:`sort_keyed`, :func:`day_order`: the orders the detectors use;
- :func:`lexsorted`: the sort itself, one stable argsort of a joint integer key when the
  keys fit one, else ``np.lexsort``;
- :func:`ranks`, :func:`day_numbers`: text and dates as integers that sort like them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.dtypes import StringDType

from detectors._codes import WIDEST_KEY, Ints, Texts


def ranks(text: pd.Series[Any] | Texts) -> Ints:
    """Each row's rank among the distinct values of ``text`` in sorted order; nulls rank last.

    Equal values share a rank. Only the distinct values are sorted, in C (numpy's UTF-8
    strings sort in code point order, as Python's do): several times cheaper than pandas
    sorting the text column itself.
    """
    codes, uniques = pd.factorize(text)
    order = np.argsort(np.asarray(np.asarray(uniques, dtype=object), dtype=StringDType()))
    rank = np.empty(len(uniques) + 1, dtype=np.int64)
    rank[order] = np.arange(len(uniques))
    rank[-1] = len(uniques)  # code -1 (null) ranks last
    return rank[codes]


def lexsorted(keys: Sequence[Ints], ids: pd.Series[Any]) -> Ints:
    """Row positions sorted by ``keys`` (integers, first one primary), then by ``ids``.

    Ids (text) are compared only among rows whose keys are all equal, which are few when the
    keys include a date and a subject: sorting by text is the slow part of a sort.
    """
    joint = _joint_key(keys)
    if joint is None:
        order = np.lexsort(tuple(reversed(keys)))
        same = np.ones(max(len(order) - 1, 0), dtype=bool)
        for key in keys:
            ordered = key[order]
            same &= ordered[1:] == ordered[:-1]
    else:
        # One stable sort of one key: the order np.lexsort gives, at half its cost or less.
        order = np.argsort(joint, kind="stable")
        ordered = joint[order]
        same = ordered[1:] == ordered[:-1]
    tied = np.zeros(len(order), dtype=bool)
    tied[1:] |= same
    tied[:-1] |= same
    if tied.any():
        rows = order[tied]
        text = ids.to_numpy(dtype=object)[rows]
        missing = pd.isna(text)  # null ids last, as pandas sorts them
        text = np.asarray(np.where(missing, "", text), dtype=StringDType())
        order[tied] = rows[np.lexsort((text, missing, *(key[rows] for key in reversed(keys))))]
    return order


def _joint_key(keys: Sequence[Ints]) -> Ints | None:
    """One integer per row that orders the rows as ``keys`` do (first primary), if one fits.

    A key whose values span little more than its rows (codes) is offset to start at 0; any
    other (timestamps) is replaced by its values' ranks, found on its distinct values, which
    are few (days). None when the product of the keys' widths would overflow.
    """
    rows = len(keys[0]) if keys else 0
    joint = np.zeros(rows, dtype=np.int64)
    span = 1  # joint < span
    for key in keys:
        if rows == 0:
            return joint
        lowest, highest = int(key.min()), int(key.max())
        if highest - lowest <= 2 * rows:
            dense, width = key - lowest, highest - lowest + 1
        else:
            dense, distinct = pd.factorize(key)
            rank = np.empty(len(distinct), dtype=np.int64)
            rank[np.argsort(distinct)] = np.arange(len(distinct))
            dense, width = rank[dense], len(distinct)
        if span * width > WIDEST_KEY:
            return None
        joint = joint * width + dense
        span *= width
    return joint


def day_numbers(stamps: pd.Series[Any]) -> Ints:
    """``datetime64`` values as integers that sort like them, NaT last."""
    values = stamps.to_numpy(dtype="datetime64[ns]").view(np.int64)
    return np.where(stamps.isna().to_numpy(), np.iinfo(np.int64).max, values)


def day_order(day: pd.Series[Any], customer: Ints, ids: pd.Series[str]) -> Ints:
    """Row positions sorted by day, then customer code, then id.

    Per customer, that is the order by (day, id) that pairing records needs, made
    deterministic whatever order the rows came in.
    """
    return lexsorted([day_numbers(day), customer], ids)


def sort_keyed(frame: pd.DataFrame, date: str) -> pd.DataFrame:
    """``frame`` sorted by ``key``, ``date`` and ``source_id``, as ``sort_values`` would.

    Args:
        frame: Has a text ``key`` column, the ``date`` column and text ``source_id``.
        date: The ``datetime64`` column to sort by within a key.

    Returns:
        The sorted rows, with a fresh ``RangeIndex``.
    """
    order = lexsorted([ranks(frame["key"]), day_numbers(frame[date])], frame["source_id"])
    return frame.take(order).reset_index(drop=True)
