"""Typed frame columns from driver rows, built a chunk of rows at a time.

A million rows read at once are a million tuples, an object matrix as large again and, for
each text cell, a string object of its own: several times the frame they become. Built a
chunk at a time, the tuples of one chunk are alive at once; dates and numbers are parsed
per chunk, so their text never accumulates; and a text column's repeated values (statuses,
currencies, customer ids, names) point at one string object each, as ``intern`` would,
instead of one per row. The columns are those :func:`busywork.store.read.load_frames`
always gave: the same dtypes and values (text as ``object`` with None for missing).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

#: Logical types parsed a chunk at a time (element by element, so chunking changes nothing).
PARSED_PER_CHUNK = frozenset({"datetime", "date", "float"})
#: Logical types parsed once at the end: their inference looks at the whole column.
PARSED_AT_END = frozenset({"int", "bool"})
#: A chunk in which a text column has more distinct values than this share of its rows
#: shows a column of mostly distinct values (ids, numbers): sharing them is not tried again.
DISTINCT_SHARE = 0.5


class ColumnBuilder:
    """Builds ``names`` (of logical types ``types``) from rows whose first value is the id."""

    def __init__(self, names: Sequence[str], types: Sequence[str]) -> None:
        """Columns ``names`` follow the row's id, in that order, of logical ``types``."""
        self.names, self.types = list(names), list(types)
        self._ids: list[np.ndarray] = []
        self._parts: list[list[np.ndarray]] = [[] for _ in self.names]
        self._shared: list[dict[str, str] | None] = [
            {} if kind not in PARSED_PER_CHUNK | PARSED_AT_END else None for kind in self.types
        ]

    def add(self, rows: Sequence[Sequence[Any]]) -> None:
        """Add a chunk of rows (id first, then the columns in order)."""
        if not rows:
            return
        matrix = np.array(rows, dtype=object).reshape(len(rows), len(self.names) + 1)
        self._ids.append(matrix[:, 0].astype(np.int64))
        for position, kind in enumerate(self.types):
            values = matrix[:, position + 1]
            if kind in PARSED_PER_CHUNK:
                self._parts[position].append(typed(values, kind).to_numpy())
            elif kind in PARSED_AT_END:
                self._parts[position].append(values.copy())  # not a view holding the chunk
            else:
                self._parts[position].append(self._share(position, values))

    def columns(self) -> tuple[np.ndarray, dict[str, pd.Series]]:
        """The ids (``int64``) and the typed columns of every row added, in order."""
        ids = np.concatenate(self._ids) if self._ids else np.empty(0, dtype=np.int64)
        built: dict[str, pd.Series] = {}
        for position, (name, kind) in enumerate(zip(self.names, self.types, strict=True)):
            parts, self._parts[position] = self._parts[position], []
            joined = np.concatenate(parts) if parts else np.empty(0, dtype=object)
            del parts
            if kind in PARSED_PER_CHUNK and len(joined):
                built[name] = pd.Series(joined, copy=False)
            else:
                built[name] = typed(joined, kind)
        return ids, built

    def _share(self, position: int, values: np.ndarray) -> np.ndarray:
        """``values`` with equal strings made one object (missing and other values kept)."""
        shared = self._shared[position]
        if shared is None:
            return values.copy()  # not a view holding the whole chunk
        codes, uniques = pd.factorize(values)
        if len(uniques) > DISTINCT_SHARE * len(values) or not all(
            type(unique) is str for unique in uniques
        ):
            self._shared[position] = None  # mostly distinct, or not all text: kept as read
            return values.copy()
        pooled = np.empty(len(uniques) + 1, dtype=object)
        pooled[:-1] = [shared.setdefault(unique, unique) for unique in uniques]
        out: np.ndarray = pooled[codes]
        missing = codes < 0
        out[missing] = values[missing]
        return out


def typed(values: np.ndarray, logical: str) -> pd.Series:
    """One column of driver values (an object array) in the canonical dtype of ``logical``."""
    if logical == "datetime":
        parsed = pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601")
        return parsed.dt.tz_localize(None).astype("datetime64[ns]")
    if logical == "date":
        parsed = pd.to_datetime(pd.Series(values, dtype=object), format="ISO8601")
        return parsed.dt.normalize().astype("datetime64[ns]")
    if logical == "float":
        return pd.to_numeric(pd.Series(values, dtype=object)).astype("float64")
    if logical == "int":
        return pd.to_numeric(pd.Series(values, dtype=object)).astype("Int64")
    if logical == "bool":
        # Inferred as the row-wise constructor did (a missing flag among 0/1 becomes NaN).
        return pd.Series(values.tolist()).astype(bool)
    return pd.Series(values, dtype=object)  # the drivers give None for NULL
