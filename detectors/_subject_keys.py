"""Subject keys written from the ids' codes, and coded themselves.

:func:`detectors._frames.subject_key` says who each record is for: ``id:<id>``, else
``name:<cleaned name>``. Detectors then count, group and compare records by it, and
hashing the keys' text (one mostly distinct string per record) again at each step was
much of their work. Here each distinct id's key is written once and taken to the rows by
the ids' codes, and the keys come with codes of their own, equal for equal keys, so that
counting and comparing records by subject is integer work:

- :class:`IdKeys`: the keys of given ids (a directory's customers, a column's distinct
  ids), then of rows by their codes in them (:meth:`IdKeys.of_rows`);
- :func:`subject_keys`: the keys of a frame's records by its id and name columns, worked
  out once per detection pass (:func:`detectors._shared.shared`) for every detector that
  keys that frame (counted on their codes by :func:`detectors._codes.frequent_rows`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from detectors import _distinct as ds
from detectors import _frames as fr
from detectors._codes import Ints, Texts, factor
from detectors._shared import shared


@dataclass(frozen=True)
class SubjectKeys:
    """Per row: who it is for, as :func:`detectors._frames.subject_key` writes it, and a code.

    Shared within a pass when :func:`subject_keys` gives it: treat it as read-only.
    """

    #: Per row (with the rows' index): ``id:<id>``, else ``name:<cleaned name>``, else null.
    text: pd.Series[str]
    #: Per row: a code equal for equal keys, -1 for a null key.
    codes: Ints


@dataclass(frozen=True)
class IdKeys:
    """The subject key of each of some ids (``id:<id>``), and the key's code."""

    #: Per id: ``id:<id>``; one more entry, None, for rows without an id (code -1).
    text: Texts
    #: Per id: a code equal for equal ids; one more entry, -1, for rows without an id.
    codes: Ints

    @classmethod
    def of(cls, ids: Texts, *, distinct: bool = False) -> IdKeys:
        """The keys of ``ids`` (never null); ``distinct`` when no two of them are equal."""
        text = np.empty(len(ids) + 1, dtype=object)
        text[:-1] = "id:" + np.asarray(ids, dtype=object) if len(ids) else []
        codes = np.arange(len(ids), dtype=np.int64) if distinct else factor(ids)
        return cls(text=text, codes=np.append(codes, -1))

    def of_rows(self, codes: ds.CodeArray, names: pd.Series[Any]) -> SubjectKeys:
        """The keys of rows given by their ids' codes, else by their names.

        Args:
            codes: Per row, a position among these ids (signed integers of any width); -1
                where the row has none: it is keyed by its name
                (:func:`detectors._frames.name_keys`).
            names: The rows' names, with the rows' index.

        Returns:
            The rows' keys; a name's key takes a code after every id's.
        """
        text = pd.Series(self.text[codes], index=names.index, dtype="str")
        key_codes = self.codes[codes]
        unnamed = codes < 0
        if unnamed.any():
            by_name = fr.name_keys(names[unnamed])
            text[unnamed] = by_name.to_numpy()
            name_codes = factor(by_name)
            key_codes[unnamed] = np.where(name_codes >= 0, name_codes + len(self.codes), -1)
        return SubjectKeys(text=text, codes=key_codes)


def subject_keys(frame: pd.DataFrame, id_column: str, name_column: str) -> SubjectKeys:
    """``subject_key(frame[id_column], frame[name_column])``, with codes; once per pass.

    The ids take the column's codes of the pass (:func:`detectors._distinct.text_codes`),
    and each distinct id's key is written once.
    """

    def compute() -> SubjectKeys:
        codes, distinct = ds.text_codes(frame[id_column])
        return IdKeys.of(distinct, distinct=True).of_rows(codes, frame[name_column])

    return shared("subject_keys", (frame,), (id_column, name_column), compute)
