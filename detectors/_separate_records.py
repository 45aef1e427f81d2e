"""Customer records that no resolution can merge, told apart without resolving them.

Entity resolution (:func:`detectors._customers.resolve_customers`) of the customer records
alone merges two records through a shared e-mail address, or through equal or similar
names; a name link is refused between two records that carry different addresses
(:mod:`detectors._entities`). So when every record has its own id and its own address,
nothing can link them: each record is its own customer, in record order, and no link
joins anything. :func:`separate_records` proves that on the records' codes, which the
pass has already (:mod:`detectors._known`), and writes that directory without finding the
distinct party rows, their nodes and the candidate links of a hundred thousand records
only to drop every link. Any other records (an id or an address twice, a record without
either) are left to the full resolution.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from detectors import _frames as fr
from detectors._codes import Ints, look_up, text_values
from detectors._customers import Directory
from detectors._known import known_text
from detectors._nodes import BY_ID, NodeLabels
from detectors._similar_names import without_legal_words

#: What joins a node label's source and id while nodes are told apart (:mod:`detectors._nodes`).
_PAIR_SEPARATOR = "\x1f"


def separate_records(book: pd.DataFrame) -> Directory | None:
    """The directory of the records ``book`` resolved alone, when no two can merge; else None.

    That is when every record has an id no other record has, and an e-mail address
    (cleaned as resolution cleans it) no other record has. The directory is the one
    :func:`~detectors._customers.resolve_customers` gives for ``book`` with no invoices and
    no attendees: record ``i`` is customer ``i``, filed under its own id, with no other id
    and no link.

    Args:
        book: Customer records (``source``, ``source_id``, ``name``, ``email``).
    """
    rows = len(book)
    ids = known_text(book, "source_id")
    if rows == 0 or not _each_once(ids.codes):
        return None
    raw_emails = known_text(book, "email")
    emails = raw_emails.cleaned(raw_emails.then(), fr.clean_email)
    if not _each_once(emails.codes) or _pairs_may_collide(book["source"]):
        return None
    raw_names = known_text(book, "name")
    # As match_name cleans them, from the cleaned names the matching cleans too.
    names = raw_names.cleaned(raw_names.then(), fr.clean_name).cleaned(without_legal_words)
    id_text = fr.as_text(book["source_id"]).to_numpy(dtype=object)
    labels = NodeLabels(
        rows=np.arange(rows, dtype=np.int64),
        keyed_by=np.full(rows, BY_ID, dtype=np.int8),
        source=fr.as_text(book["source"]).fillna("").to_numpy(dtype=object),
        ids=id_text,
        email=look_up(emails.values, emails.codes, None),
        name=look_up(names.values, names.codes, None),
    )
    alt_ids = np.empty(rows, dtype=object)
    alt_ids[:] = [() for _ in range(rows)]
    return Directory(
        code=np.arange(rows, dtype=np.int64),
        ids=id_text,
        alt_ids=alt_ids,
        links=_no_links(),
        labels=labels,
    )


def _each_once(codes: Ints) -> bool:
    """Whether every row has a value (code >= 0) that no other row has."""
    return bool(codes.min() >= 0) and bool(np.bincount(codes).max() <= 1)


def _pairs_may_collide(source: pd.Series[Any]) -> bool:
    """Whether two records' ``(source, id)`` could be one node label's text.

    Distinct ids make distinct pairs; their texts (source, separator, id) can only be equal
    when a source holds the separator too.
    """
    values = pd.unique(text_values(source))
    return any(isinstance(value, str) and _PAIR_SEPARATOR in value for value in values)


def _no_links() -> pd.DataFrame:
    """The links of a directory nothing merged (:attr:`Directory.links`, with no rows)."""
    return pd.DataFrame(
        {
            "customer": np.empty(0, dtype=np.int64),
            "left": np.empty(0, dtype=np.int64),
            "right": np.empty(0, dtype=np.int64),
            "score": np.empty(0, dtype=float),
            "method": np.empty(0, dtype=object),
        }
    )
