"""A text column as codes into its distinct values: what a CSV column is made of.

An exported column repeats its values (statuses, currencies, a customer's name on each of
their invoices, an invoice's description on its lines). Validation finds each column's
distinct values once (``pd.factorize``) and trims, measures and parses (numbers, dates)
those instead of every cell; the codes then serve the content hashes (which would otherwise
factorize the column again), the commit's test for repeated ids, and the read-ahead helper's
result, whose text crosses the pipe as each distinct value once plus an integer per row
instead of one pickled string per cell.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class TextCodes:
    """A column of ``str`` values and None: ``values[codes[row]]``, None where the code is -1.

    Each value is held once, so rows hold equal values exactly when their codes are equal.
    """

    #: Per row, the position of its value in ``values``; -1 for a missing value.
    codes: np.ndarray
    #: The values present as an ``object`` array of ``str``, each once.
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.codes)

    def column(self, missing: object = None) -> np.ndarray:
        """The values per row as an ``object`` array, ``missing`` where missing.

        Rows sharing a value share its object, as a column read from the store does.
        """
        with_missing = np.empty(len(self.values) + 1, dtype=object)
        with_missing[:-1] = self.values
        with_missing[-1] = missing
        column: np.ndarray = with_missing.take(self.codes)  # -1: ``missing`` at the end
        return column

    def rows(self, kept: np.ndarray) -> TextCodes:
        """The codes of the rows ``kept`` selects (a boolean mask or positions)."""
        return TextCodes(self.codes[kept], self.values)

    def compact(self) -> TextCodes:
        """The same column with its codes in the smallest integer type that holds them."""
        dtype = np.int32 if len(self.values) < np.iinfo(np.int32).max else np.int64
        return TextCodes(self.codes.astype(dtype, copy=False), self.values)


def text_codes(cells: np.ndarray) -> tuple[TextCodes, np.ndarray]:
    """``cells`` (every one a ``str``) trimmed, blank ones missing; and each trimmed length.

    Each distinct cell is trimmed and measured once; a blank cell (0 after trimming) gets
    code -1 and length 0. Cells that differ only in their spaces share one code.

    Args:
        cells: an ``object`` array of ``str``, none missing (a CSV column).

    Returns:
        The trimmed column as codes, and the length of each row's trimmed value.
    """
    codes, distinct = pd.factorize(cells, sort=False)
    trimmed = np.fromiter(map(str.strip, distinct), dtype=object, count=len(distinct))
    if any(map(operator.is_not, trimmed, distinct)):  # some cells had spaces: " a" is "a"
        merged, trimmed = pd.factorize(trimmed, sort=False)
        codes = merged.take(codes)
    distinct_lengths = np.fromiter(map(len, trimmed), dtype=np.int64, count=len(trimmed))
    blank = np.flatnonzero(distinct_lengths == 0)  # at most one: the values are distinct
    if len(blank):  # "" is no value: its rows are missing
        trimmed = np.delete(trimmed, blank[0])
        distinct_lengths = np.delete(distinct_lengths, blank[0])
        codes = np.where(codes == blank[0], -1, codes - (codes > blank[0]))
    lengths = np.append(distinct_lengths, 0).take(codes)  # -1 (blank): the 0 at the end
    return TextCodes(codes, trimmed), lengths
