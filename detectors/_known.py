"""A frame's text column coded once per detection pass, and more text coded after it.

The customer records' ids, e-mail addresses and names are coded by several steps of one
pass: the attendee matching, entity resolution of the records alone, and each detector's
check of which invoices repeat a record. Each step codes the records' column followed by
rows of its own, and hashing the records' strings (one per customer, mostly distinct) was
most of that work. :func:`known_text` codes the column once per pass
(:func:`detectors._shared.shared`), and :meth:`KnownText.then` codes the other rows against
its distinct values: only their own strings are hashed, and the codes are those
:func:`detectors._codes.factor` gives the column and the rows laid end to end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from detectors import _distinct as ds
from detectors._codes import Codes, Ints, Texts, factor, first_rows, text_values
from detectors._shared import shared


@dataclass(frozen=True)
class KnownText:
    """A text column's codes (in order of first row, -1 for null) and its distinct values."""

    #: Code per row.
    codes: Ints
    #: The distinct values, in code order; its hash table is built once and kept.
    values: pd.Index

    def then(self, *more: pd.Series[Any]) -> Codes:
        """The codes of this column's rows followed by the rows of ``more``, as one column.

        Values of ``more`` the column holds take its codes; new ones follow, in order of
        first appearance; nulls are -1.
        """
        if not more:
            return Codes(self.codes, self.values.to_numpy(dtype=object))
        text = np.concatenate([text_values(column) for column in more])
        found, values = _coded_after(self.values, text)
        return Codes(np.concatenate([self.codes, found]), values)

    def cleaned(self, coded: Codes, clean: Callable[[str], str | None]) -> Codes:
        """``coded.cleaned(clean)``, for codes :meth:`then` gave, cleaning this column once.

        The column's own distinct values are cleaned once per pass (whoever asks first);
        only the values ``then`` added are cleaned here, and looked up among the column's
        cleaned values. The codes are those of :meth:`Codes.cleaned`: equal cleaned values
        share one, in order of first row.
        """
        own, own_index = shared("known_cleaned", (self,), clean, lambda: self._cleaned(clean))
        added = np.array([*map(clean, coded.values[len(self.values) :])], dtype=object)
        # The column's cleaned values first, coded as they were; the added ones after them.
        per_added, values = _coded_after(own_index, added)
        value_codes = np.concatenate([own.codes, per_added, [-1]])
        return Codes(value_codes[coded.codes].astype(np.int64), values)

    def _cleaned(self, clean: Callable[[str], str | None]) -> tuple[Codes, pd.Index]:
        """Per distinct value, its cleaned value's code; and the cleaned values as an index.

        When every value is its own cleaned value, the index is this column's own: its hash
        table is built already.
        """
        values = self.values.to_numpy(dtype=object)
        own = Codes(np.arange(len(values), dtype=np.int64), values).cleaned(clean)
        if own.values is values:
            return own, self.values
        return own, pd.Index(own.values, dtype=object)


def _coded_after(known: pd.Index, text: Texts) -> tuple[Ints, Texts]:
    """Codes of ``text`` after the distinct values ``known``, and the values of all codes.

    A value ``known`` holds takes its position there; new values follow, in order of first
    appearance; nulls are -1. The same codes as coding ``known`` and ``text`` laid end to
    end (:func:`detectors._codes.factor`), hashing only ``text``.
    """
    found = known.get_indexer(pd.Index(text, dtype=object)).astype(np.int64)
    new = found < 0
    fresh = factor(text[new])
    found[new] = np.where(fresh >= 0, fresh + len(known), -1)
    added = text[new][first_rows(fresh)]
    return found, np.concatenate([known.to_numpy(dtype=object), added])


def known_text(frame: pd.DataFrame, column: str) -> KnownText:
    """``frame[column]``'s codes and distinct values, computed once per pass for ``frame``."""

    def compute() -> KnownText:
        # The column's codes of the pass (:func:`detectors._distinct.text_codes`), which
        # the per-distinct questions on the same column read too: it is hashed once.
        codes, uniques = ds.text_codes(frame[column])
        return KnownText(codes.astype(np.int64), pd.Index(uniques, dtype=object))

    return shared("known_text", (frame,), column, compute)
