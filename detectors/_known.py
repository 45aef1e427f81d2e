"""A frame's text column coded once per detection pass, and more text coded after it.

The customer records' ids, e-mail addresses and names are coded by several steps of one
pass: the attendee matching, entity resolution of the records alone, and each detector's
check of which invoices repeat a record. Each step codes the records' column followed by
rows of its own, and hashing the records' strings (one per customer, mostly distinct) was
most of that work. :func:`known_text` codes the column once per pass
(:func:`detectors._shared.shared`), and :meth:`KnownText.then` codes the other rows against
its distinct values: only their own strings are hashed, and the codes are those
:func:`detectors._codes.factor` gives the column and the rows laid end to end.

Detectors also code rows they selected from a loaded column (the appointments in a window,
one per booking): :func:`cleaned_rows` gives the codes :meth:`Codes.of` would, from the
whole column's codes and its distinct values cleaned once per pass, hashing no text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from busywork.store.text_links import positions_in
from detectors import _distinct as ds
from detectors._codes import Codes, Ints, Texts, text_values
from detectors._shared import shared, shared_by_memory

#: Cleans one value; ``None`` makes it null.
Cleaner = Callable[[str], str | None]


@dataclass(frozen=True)
class _Coded:
    """Rows of a text column as codes (-1: null) and the value of each code.

    The values are distinct; their order, and whether the rows hold them all, is free.
    """

    #: One code per row (signed integers of any width).
    codes: ds.CodeArray
    #: The value of each code.
    values: Texts


@dataclass(frozen=True)
class KnownText:
    """A text column's codes (in order of first row, -1 for null) and its distinct values."""

    #: Code per row.
    codes: Ints
    #: The distinct values, in code order; its hash table is built once and kept.
    values: pd.Index
    #: The same values as the array the column's codes came with: a stored snapshot's
    #: dictionary, which may be linked to others (:mod:`busywork.store.text_links`).
    source: Texts

    def then(self, *more: pd.Series[Any]) -> Codes:
        """The codes of this column's rows followed by the rows of ``more``, as one column.

        Values of ``more`` the column holds take its codes; new ones follow, in order of
        first appearance; nulls are -1. Each column of ``more`` is coded once per pass
        (:func:`detectors._distinct.text_codes`: a loaded column, or rows selected from
        one, hashes no text), and its values are looked up once per distinct value, not
        once per row.
        """
        if not more:
            return Codes(self.codes, self.values.to_numpy(dtype=object))
        parts = [_coded(part) for part in more]
        positions = [self.positions(part.values) for part in parts]
        found, values = _coded_after(self.values, parts, positions)
        return Codes(np.concatenate([self.codes, found]), values)

    def positions(self, distinct: Texts) -> Ints:
        """Per value of ``distinct`` (distinct texts), its code in this column; -1 for none.

        Once per pass for the same array (a loaded column's distinct values,
        :func:`detectors._distinct.column_codes`): every selection of that column takes
        its rows' codes from the answer, hashing no text. Two stored dictionaries linked
        when written hash none at all (:func:`busywork.store.text_links.positions_in`).
        Read it, never write it.
        """

        def compute() -> Ints:
            linked = positions_in(distinct, self.source)
            if linked is not None:
                found = linked.astype(np.int64)
            else:
                found = self.values.get_indexer(pd.Index(distinct, dtype=object))
                found = found.astype(np.int64)
            found.flags.writeable = False
            return found

        return shared("known_positions", (self, distinct), (), compute)

    def cleaned(self, coded: Codes, clean: Cleaner) -> Codes:
        """``coded.cleaned(clean)``, for codes :meth:`then` gave, cleaning this column once.

        The column's own distinct values are cleaned once per pass (whoever asks first);
        only the values ``then`` added are cleaned here, and looked up among the column's
        cleaned values. The codes are those of :meth:`Codes.cleaned`: equal cleaned values
        share one, in order of first row.
        """
        own, own_index = shared("known_cleaned", (self,), clean, lambda: self._cleaned(clean))
        added = np.array([*map(clean, coded.values[len(self.values) :])], dtype=object)
        # The column's cleaned values first, coded as they were; the added ones after them.
        part = _coded_text(added)
        per_added, values = _coded_after(
            own_index, [part], [own_index.get_indexer(pd.Index(part.values, dtype=object))]
        )
        value_codes = np.concatenate([own.codes, per_added, [-1]])
        return Codes(value_codes[coded.codes].astype(np.int64), values)

    def _cleaned(self, clean: Cleaner) -> tuple[Codes, pd.Index]:
        """Per distinct value, its cleaned value's code; and the cleaned values as an index.

        When every value is its own cleaned value, the index is this column's own: its hash
        table is built already.
        """
        values = self.values.to_numpy(dtype=object)
        own = Codes(np.arange(len(values), dtype=np.int64), values).cleaned(clean)
        if own.values is values:
            return own, self.values
        return own, pd.Index(own.values, dtype=object)


def _coded(part: pd.Series[Any]) -> _Coded:
    """A part of :meth:`KnownText.then` as codes and their values.

    A loaded column, or rows selected from one, is coded once per pass, on the whole
    column's values (:func:`detectors._distinct.column_codes`): those a stored snapshot
    may have linked to the known column's.
    """
    if ds.loaded(part) is not None:
        return _Coded(*ds.column_codes(part))
    return _coded_text(text_values(part))


def _coded_text(text: Texts) -> _Coded:
    codes, uniques = pd.factorize(text)
    return _Coded(codes, np.asarray(uniques, dtype=object))


def _coded_after(known: pd.Index, parts: list[_Coded], positions: list[Any]) -> tuple[Ints, Texts]:
    """Codes of the rows of ``parts`` after the distinct values ``known``, and all values.

    A value ``known`` holds takes its position there; new values follow, in order of first
    appearance; nulls are -1. The same codes as coding ``known`` and the parts' rows laid
    end to end (:func:`detectors._codes.factor`), hashing only the parts' distinct values.
    ``positions`` holds each part's values' positions in ``known`` (-1: none).
    """
    added: list[Texts] = []
    added_index = pd.Index([], dtype=object)
    coded: list[Ints] = []
    for part, found in zip(parts, positions, strict=True):
        per_value = np.array(found, dtype=np.int64)  # a copy: new values are written in
        if len(added_index):
            # Values an earlier part added take the codes they got there: values ``known``
            # holds are none of them.
            unknown = np.flatnonzero(per_value < 0)
            earlier = added_index.get_indexer(pd.Index(part.values[unknown], dtype=object))
            per_value[unknown[earlier >= 0]] = earlier[earlier >= 0] + len(known)
        new_value = np.append(per_value < 0, False)  # the last: a null row
        new_rows = part.codes[new_value[part.codes]]
        # The new values, in order of first appearance among the part's rows.
        first_seen = pd.unique(new_rows)
        fresh = len(known) + len(added_index) + np.arange(len(first_seen), dtype=np.int64)
        per_value[first_seen] = fresh
        coded.append(np.append(per_value, -1)[part.codes])
        if len(first_seen):
            new_values = part.values[first_seen]
            added.append(new_values)
            added_index = added_index.append(pd.Index(new_values, dtype=object))
    return np.concatenate(coded), np.concatenate([known.to_numpy(dtype=object), *added])


def known_text(frame: pd.DataFrame, column: str) -> KnownText:
    """``frame[column]``'s codes and distinct values, computed once per pass for ``frame``."""

    def compute() -> KnownText:
        # The column's codes of the pass (:func:`detectors._distinct.text_codes`), which
        # the per-distinct questions on the same column read too: it is hashed once.
        codes, uniques = ds.text_codes(frame[column])
        return KnownText(
            codes.astype(np.int64, copy=False), pd.Index(uniques, dtype=object), uniques
        )

    return shared("known_text", (frame,), column, compute)


def cleaned_rows(whole: pd.Series[Any], part: pd.Series[Any], clean: Cleaner) -> Codes:
    """``Codes.of([part], clean)`` for ``part``, rows of ``whole`` (by label).

    The rows' codes are the whole column's (:func:`detectors._distinct.text_codes`); each
    distinct value is cleaned at most once per pass, when a selection first holds it
    (:class:`_Cleaning`), and the cleaned codes are renumbered in order of first row on
    integers. A ``whole`` that is no loaded column, or whose labels repeat, is coded as
    :meth:`Codes.of` codes it.
    """
    memory = ds.loaded(whole)
    if memory is None or not whole.index.is_unique:
        return Codes.of([part], clean)
    at = whole.index.get_indexer(part.index)
    if len(at) and at.min() < 0:
        return Codes.of([part], clean)
    codes, values = ds.text_codes(whole)
    cleaning = shared_by_memory("cleaned_rows", memory, clean, lambda: _Cleaning(values, clean))
    per_row = cleaning.codes_of(codes[at])
    present = per_row >= 0
    renumbered, order = pd.factorize(per_row[present])
    result = np.full(len(per_row), -1, dtype=np.int64)
    result[present] = renumbered
    return Codes(result, cleaning.values_of(order))


class _Cleaning:
    """A column's distinct values cleaned as selections of its rows ask for them.

    Equal cleaned values share one code, numbered as they are first cleaned.
    """

    def __init__(self, values: Texts, clean: Cleaner) -> None:
        self._values, self._clean = values, clean
        #: Per distinct value: its cleaned value's code, -1 for none, -2 not cleaned yet;
        #: one more entry, -1, for null rows.
        self._table = np.full(len(values) + 1, -2, dtype=np.int64)
        self._table[-1] = -1
        #: Per cleaned value, its code: in order of codes (dicts keep insertion order).
        self._code: dict[str, int] = {}

    def codes_of(self, codes: Ints) -> Ints:
        """The cleaned codes of rows given by their column's codes (-1: null)."""
        table, code = self._table, self._code
        wanted = pd.unique(codes)
        todo = wanted[table[wanted] == -2]
        if len(todo):
            cleaned = map(self._clean, self._values[todo].tolist())
            table[todo] = [
                -1 if value is None else code.setdefault(value, len(code)) for value in cleaned
            ]
        result: Ints = table[codes]
        return result

    def values_of(self, codes: Ints) -> Texts:
        """The cleaned value of each of ``codes``."""
        values: Texts = np.array([*self._code], dtype=object)[codes]
        return values
