"""Who each appointment is with, from its attendee's e-mail and name, each cleaned once.

Calendar detectors ask several questions of the same two columns: the normalised e-mail,
the normalised name, the subject key (``email:…``, else ``name:…``) and whether the
address is on the business's own domain. Asked one by one through
:func:`detectors._distinct.per_distinct`, each question codes the column's text again and
cleans every distinct address again. :func:`attendees` codes each column once
(:class:`detectors._codes.Codes`) and answers every question from the distinct values,
with exactly the values the per-question helpers give.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from detectors import _distinct as ds
from detectors import _frames as fr
from detectors._codes import Codes, look_up
from detectors._colleagues import clean_domain, own_domains
from detectors._known import cleaned_rows


@dataclass(frozen=True)
class Attendees:
    """The attendees of an appointment frame, coded: one code per row, values per code."""

    #: Cleaned e-mail codes (:func:`detectors._frames.clean_email`) and their addresses.
    emails: Codes
    #: Cleaned name codes (:func:`detectors._frames.clean_name`) and their names.
    names: Codes
    #: The appointment frame's index.
    index: pd.Index

    def email(self) -> pd.Series[str]:
        """Per row, the normalised e-mail, as :func:`detectors._frames.normalise_email`."""
        return self._text(self.emails.values, self.emails.codes)

    def name(self) -> pd.Series[str]:
        """Per row, the normalised name, as :func:`detectors._frames.normalise_name`."""
        return self._text(self.names.values, self.names.codes)

    def named(self) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """Per row, whether the attendee has an e-mail address or a name."""
        return (self.emails.codes >= 0) | (self.names.codes >= 0)

    def key(self) -> pd.Series[str]:
        """Per row, ``email:<address>``, else ``name:<name>``, else null.

        The same values as :func:`detectors._frames.subject_key` with ``kind="email"``.
        """
        return self._texts(self.keys_of(self.key_codes()))

    def keys_of(self, codes: np.ndarray[Any, np.dtype[np.int64]]) -> np.ndarray[Any, Any]:
        """The :meth:`key` of each of ``codes`` (:meth:`key_codes`; -1 gives ``None``).

        Only the keys asked for are written: a detector that groups rows by their codes
        names the few groups it reports.
        """
        first_name = len(self.emails.values)
        keys = np.full(len(codes), None, dtype=object)
        by_email = (codes >= 0) & (codes < first_name)
        keys[by_email] = _prefixed("email:", self.emails.values[codes[by_email]])
        by_name = codes >= first_name
        keys[by_name] = _prefixed("name:", self.names.values[codes[by_name] - first_name])
        return keys

    def key_codes(self) -> np.ndarray[Any, np.dtype[np.int64]]:
        """Per row, a code equal for rows of equal :meth:`key` (-1 where it is null).

        E-mail keys take the e-mail codes, name keys the name codes after them.
        """
        by_name = np.where(self.names.codes >= 0, self.names.codes + len(self.emails.values), -1)
        codes: np.ndarray[Any, np.dtype[np.int64]] = np.where(
            self.emails.codes >= 0, self.emails.codes, by_name
        )
        return codes

    def colleagues(self, calendars: pd.Series[Any]) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """Per row, whether the address is on one of the business's own domains.

        As :func:`detectors._colleagues.are_colleagues` (the calendars' domains, free mail
        excepted), from the distinct addresses.
        """
        own = own_domains(calendars)
        if not own:
            return np.zeros(len(self.index), dtype=bool)
        ours = np.array([clean_domain(value) in own for value in self.emails.values], dtype=bool)
        result: np.ndarray[Any, np.dtype[np.bool_]] = look_up(ours, self.emails.codes, False)
        return result

    def _text(self, values: Any, codes: Any) -> pd.Series[str]:
        return self._texts(look_up(np.asarray(values, dtype=object), codes, None))

    def _texts(self, values: Any) -> pd.Series[str]:
        return pd.Series(values, index=self.index, dtype="str")


def attendees(raw: pd.DataFrame, loaded: pd.DataFrame | None = None) -> Attendees:
    """Code the ``attendee_email`` and ``attendee_name`` columns of ``raw`` once each.

    ``loaded``: the appointment frame ``raw``'s rows were selected from, whose columns'
    codes of the pass are taken instead of coding the rows' text again.
    """
    whole = raw if loaded is None else loaded
    return Attendees(
        emails=cleaned_rows(whole["attendee_email"], raw["attendee_email"], fr.clean_email),
        names=cleaned_rows(whole["attendee_name"], raw["attendee_name"], fr.clean_name),
        index=raw.index,
    )


def subject_codes(
    raw: pd.DataFrame, loaded: pd.DataFrame | None = None
) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Per row, a code equal exactly where the rows' subject keys are (-1: no key).

    The keys are :func:`detectors._frames.subject_key`'s with ``kind="email"`` (the
    normalised e-mail, else the normalised name), never written out: a detector that needs
    only the subjects with several rows counts them on these codes and writes the keys of
    those alone. Names are cleaned only on the rows without an address. ``loaded``: as
    :func:`attendees` takes it.
    """
    whole = raw if loaded is None else loaded
    emails = cleaned_rows(whole["attendee_email"], raw["attendee_email"], fr.clean_email)
    codes = emails.codes.copy()
    unnamed = np.flatnonzero(codes < 0)
    if len(unnamed):
        names = cleaned_rows(
            whole["attendee_name"], raw["attendee_name"].iloc[unnamed], fr.clean_name
        ).codes
        codes[unnamed] = np.where(names >= 0, names + len(emails.values), -1)
    return codes


def unnamed(raw: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Per row, whether the appointment names nobody: no address and no name that cleans.

    As ``normalise_email(emails).isna() & normalise_name(names).isna()``
    (:mod:`detectors._frames`), asked of the distinct values without writing them out;
    names are read only on the rows without an address.
    """
    result = ds.per_distinct_test(raw["attendee_email"], _no_email, True)
    without = np.flatnonzero(result)
    if len(without):
        names = raw["attendee_name"].iloc[without]
        result[without] = ds.per_distinct_test(names, _no_name, True)
    return result


def _no_email(text: str) -> bool:
    return fr.clean_email(text) is None


def _no_name(text: str) -> bool:
    return fr.clean_name(text) is None


def _prefixed(prefix: str, values: Any) -> np.ndarray[Any, np.dtype[np.object_]]:
    texts: Any = prefix + np.asarray(values, dtype=object)  # one C loop over the values
    return np.asarray(texts, dtype=object)
