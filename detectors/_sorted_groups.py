"""Per-group sums, running counts, maxima and medians of rows sorted by group.

The cadence scoring reduces a few hundred rows per cadence to one figure per subject. A
pandas group-by costs milliseconds of fixed overhead per call whatever the rows, which on
such small frames is nearly all of the time; here the rows of a group are contiguous (sorted
by subject), so each reduction is one numpy call over the group boundaries. The figures are
those pandas gives: medians skip NaN, and an even count averages the two middle values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

Bools = np.ndarray[Any, np.dtype[np.bool_]]
Ints = np.ndarray[Any, np.dtype[np.int64]]
Floats = np.ndarray[Any, np.dtype[np.float64]]


class SortedGroups:
    """The groups of rows whose group codes are sorted (each group's rows contiguous)."""

    def __init__(self, codes: Ints) -> None:
        """Groups of ``codes``: one per run of equal codes, in row order; at least one row."""
        boundary = np.empty(len(codes), dtype=np.bool_)
        boundary[:1] = True
        np.not_equal(codes[1:], codes[:-1], out=boundary[1:])
        #: Position of each group's first row.
        self.starts: Ints = np.flatnonzero(boundary)
        #: Each row's group number (0, 1, ... in row order).
        self.of: Ints = np.cumsum(boundary, dtype=np.int64) - 1
        #: Whether each row is its group's first.
        self.first: Bools = boundary

    def sum(self, mask: Bools) -> Ints:
        """Per group, how many of its rows ``mask`` holds."""
        result: Ints = np.add.reduceat(mask.astype(np.int64), self.starts)
        return result

    def running_count(self, mask: Bools) -> Ints:
        """Per row, how many rows of its group up to and including it ``mask`` holds."""
        total = np.cumsum(mask, dtype=np.int64)
        before = (total - mask)[self.starts]
        result: Ints = total - before[self.of]
        return result

    def last_from(self, mask: Bools) -> Bools:
        """Per row, whether it is at or after the last row of its group ``mask`` holds.

        Every group's first row must be in ``mask``.
        """
        rows = np.arange(len(self.of), dtype=np.int64)
        last = np.maximum.reduceat(np.where(mask, rows, -1), self.starts)
        result: Bools = rows >= last[self.of]
        return result

    def max(self, values: Ints) -> Ints:
        """Per group, the largest of ``values``."""
        result: Ints = np.maximum.reduceat(values, self.starts)
        return result

    def median(self, values: Floats) -> Floats:
        """Per group, the median of its non-NaN ``values``; NaN where it has none."""
        valid = ~np.isnan(values)
        # NaN last within each group, the values ascending before them.
        ordered = values[np.lexsort((values, ~valid, self.of))]
        counts = np.add.reduceat(valid.astype(np.int64), self.starts)
        low = self.starts + np.maximum(counts - 1, 0) // 2
        high = self.starts + counts // 2
        middle = np.where(low == high, ordered[low], (ordered[low] + ordered[high]) / 2)
        result: Floats = np.where(counts > 0, middle, np.nan)
        return result
