"""Column-wise buffers the generators append to, so the bulk stays in numpy arrays."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ObjArray = npt.NDArray[np.object_]
#: ``datetime64[D]`` (calendar dates) or ``datetime64[s]`` (UTC instants); NaT is null.
TimeArray = npt.NDArray[np.datetime64]

DeltaArray = npt.NDArray[np.timedelta64]


def objects(values: Sequence[Any] | npt.NDArray[Any]) -> ObjArray:
    """A 1-d object array of ``values`` (strings or None), never a 2-d one."""
    out = np.empty(len(values), dtype=object)
    out[:] = list(values) if not isinstance(values, np.ndarray) else values
    return out


def seconds(values: npt.ArrayLike) -> DeltaArray:
    """Integer seconds as ``timedelta64[s]``, to add to ``datetime64[s]`` instants."""
    return np.asarray(values, dtype=np.int64).astype("timedelta64[s]")


def shift(instants: TimeArray, by_seconds: npt.ArrayLike) -> TimeArray:
    """``instants`` as ``datetime64[s]`` moved by integer seconds (an array or a scalar)."""
    moved = instants.astype("datetime64[s]") + seconds(by_seconds)
    return cast(TimeArray, moved)


def filled(length: int, value: Any) -> ObjArray:
    """An object array of ``length`` copies of ``value``."""
    out = np.empty(length, dtype=object)
    out.fill(value)
    return out


class Chunks:
    """Collects chunks of named columns and concatenates each column once at the end."""

    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = tuple(columns)
        self._chunks: dict[str, list[npt.NDArray[Any]]] = {name: [] for name in self.columns}
        self.rows = 0

    def add(self, **values: npt.NDArray[Any]) -> range:
        """Append one chunk (every column, equal lengths) and return its row range.

        Raises:
            ValueError: a column is missing, unknown or of a different length.
        """
        if set(values) != set(self.columns):
            raise ValueError(f"chunk columns {sorted(values)} != {sorted(self.columns)}")
        lengths = {len(array) for array in values.values()}
        if len(lengths) != 1:
            raise ValueError(f"chunk columns have different lengths: {sorted(lengths)}")
        length = lengths.pop()
        for name in self.columns:
            self._chunks[name].append(values[name])
        first = self.rows
        self.rows += length
        return range(first, self.rows)

    def build(self) -> dict[str, npt.NDArray[Any]]:
        """Every column concatenated, in chunk order."""
        return {
            name: np.concatenate(parts) if parts else np.empty(0, dtype=object)
            for name, parts in self._chunks.items()
        }
