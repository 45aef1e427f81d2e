"""Party rows as nodes of entity resolution, and the nodes' labels.

Customers, invoices and attendees repeat one party on many rows: entity resolution works on
the distinct rows (:func:`distinct_rows`). A party row (:mod:`detectors._entities`) with an
id is the node of its ``(source, id)``; without one, of its normalised e-mail, else of its
cleaned name. A node's label says which: ``<source>:<id>``, ``email:<address>`` or
``name:<name>``. Labels are written only for the nodes a finding's evidence shows
(:class:`NodeLabels`), not for every node of a business.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from detectors import _frames as fr
from detectors._codes import combine, factor, first_rows

Ints = np.ndarray[Any, np.dtype[np.int64]]
Texts = np.ndarray[Any, np.dtype[np.object_]]
#: What names a node (:attr:`NodeLabels.keyed_by`): its (source, id), its e-mail, its name.
BY_ID, BY_EMAIL, BY_NAME = 0, 1, 2


@dataclass(frozen=True)
class NodeLabels:
    """Each node's label, written only for the nodes asked for (``labels[nodes]``).

    A label is ``<source>:<id>``, ``email:<address>`` or ``name:<name>``. Only the nodes a
    link joins are ever shown, and a million records' labels written ahead were 18 MB of
    text at the peak of a detection pass.
    """

    #: Per node, the row it was first seen on.
    rows: Ints
    #: Per node, what names it: :data:`BY_ID`, :data:`BY_EMAIL` or :data:`BY_NAME`.
    keyed_by: np.ndarray[Any, np.dtype[np.int8]]
    #: Per row: its source, its id, its cleaned e-mail and its cleaned name.
    source: Texts
    ids: Texts
    email: Texts
    name: Texts

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, nodes: Ints) -> Texts:
        """The labels of the node codes ``nodes``, in their order."""
        rows, keyed_by = self.rows[nodes], self.keyed_by[nodes]
        by_id, by_email, by_name = (keyed_by == key for key in (BY_ID, BY_EMAIL, BY_NAME))
        out = np.empty(len(rows), dtype=object)
        out[by_id] = _colons(_joined(self.source[rows[by_id]], ":", self.ids[rows[by_id]]))
        out[by_email] = _joined("email:", "", self.email[rows[by_email]])
        out[by_name] = _joined("name:", "", self.name[rows[by_name]])
        return out

    def written(self) -> list[str]:
        """Every node's label, in node order."""
        return [str(label) for label in self[np.arange(len(self.rows))]]


def party_nodes(
    keys: dict[str, Ints],
    source: pd.Series[str],
    ids: pd.Series[str],
    email: Texts,
    name: Texts,
) -> tuple[Ints, NodeLabels]:
    """Node code per row (-1: names nobody) and each node's label.

    A row with an id is the node of its ``(source, id)``; else of its e-mail, else of its
    name. Codes follow the rows' order of first appearance. ``keys`` holds the code of
    each column's text per row (:func:`detectors._codes.factor`); ``email`` and ``name``
    the cleaned e-mail and name per row (read only where they name a node).
    """
    has_id = ids.notna().to_numpy()
    texts = source.to_numpy(dtype=object)
    id_texts = ids.to_numpy(dtype=object)
    with_id = np.flatnonzero(has_id)
    # The (source, id) pairs, coded in order of first appearance. Pair codes count the
    # id-less rows' pairs too (their id code is -1): a row's pair code is its id key, as
    # only equal keys matter. Two pairs whose text is equal (a separator inside a source
    # or an id) are one node, as their text is one key: only then are the pairs written as
    # text, else distinct pairs are distinct texts.
    pair = combine(keys["id"], keys["source"])
    first = first_rows(pair)
    first = first[has_id[first]]
    id_key = np.full(len(ids), -1, dtype=np.int64)
    if _has_separator(texts[first]) or _has_separator(id_texts[first]):
        text_key = np.full(len(pair), -1, dtype=np.int64)  # pair codes < rows
        text_key[pair[first]] = factor(_joined(texts[first], "\x1f", id_texts[first]))
        id_key[with_id] = text_key[pair[with_id]]
    else:
        id_key[with_id] = pair[with_id]
    email_key, name_key = keys["email"], keys["name"]
    key = np.where(
        has_id,
        id_key * 3,
        np.where(email_key >= 0, email_key * 3 + 1, np.where(name_key >= 0, name_key * 3 + 2, -1)),
    )
    named = np.flatnonzero(key >= 0)
    node = np.full(len(key), -1, dtype=np.int64)
    node[named] = factor(key[named])
    first_row = named[first_rows(node[named])]
    keyed_by = np.where(
        has_id[first_row], BY_ID, np.where(email_key[first_row] >= 0, BY_EMAIL, BY_NAME)
    )
    labels = NodeLabels(
        first_row,
        keyed_by.astype(np.int8),
        texts,
        id_texts,
        email,
        name,
    )
    return node, labels


def _has_separator(texts: Any) -> bool:
    """Whether any of the texts holds the pairs' separator.

    The texts are searched joined, in one pass in C, rather than one by one.
    """
    return "\x1f" in "".join(texts)


def _colons(texts: Any) -> np.ndarray[Any, np.dtype[np.object_]]:
    """Texts with the pairs' separator shown as ":", as a label writes it (the others kept)."""
    colons = [text.replace("\x1f", ":") if "\x1f" in text else text for text in texts]
    return np.array(colons, dtype=object)


def _joined(left: Any, separator: str, right: Any) -> np.ndarray[Any, np.dtype[np.object_]]:
    """``left + separator + right`` per element, for strings (or object arrays of them).

    Each text is written once: ``left + separator`` first would write every row twice.
    """
    lefts, rights = np.broadcast_arrays(
        np.asarray(left, dtype=object), np.asarray(right, dtype=object)
    )
    return np.array(
        [f"{a}{separator}{b}" for a, b in zip(lefts, rights, strict=True)], dtype=object
    )


def distinct_rows(
    columns: Mapping[str, pd.Series[Any]], coded: Mapping[str, Ints] | None = None
) -> tuple[pd.DataFrame, Ints]:
    """The distinct rows of ``columns`` (as text) in order of first appearance, and each row's.

    Returns the distinct rows as a frame of :func:`detectors._frames.as_text` columns and
    each row's position among them: ``distinct.iloc[position]`` rebuilds the columns' text.
    Nulls are equal to each other. ``coded`` holds the :func:`~detectors._codes.factor`
    codes of the text of columns already coded; only the distinct rows of those are
    written as text.

    The first column is coded in full; each further one not already coded only where a
    row differs from the first row of its group so far: a customer's name and e-mail
    repeat on each of its invoices, and comparing them with the first row's costs a
    fraction of hashing them.
    """
    known = coded or {}
    names = list(columns)
    first_column = names[0]
    # Coded columns are combined in one go; one that is not is coded within the groups
    # of the columns before it.
    coded_so_far = [
        known[first_column] if first_column in known else factor(fr.as_text(columns[first_column]))
    ]
    for column in names[1:]:
        if column in known:
            coded_so_far.append(known[column])
        else:
            key = combine(*coded_so_far)
            coded_so_far = [key, _within(key, fr.as_text(columns[column]))]
    key = combine(*coded_so_far)
    first = first_rows(key)
    distinct = pd.DataFrame(
        {
            name: fr.as_text(column.iloc[first].reset_index(drop=True))
            for name, column in columns.items()
        }
    )
    return distinct, key


def _within(group: Ints, column: pd.Series[Any]) -> Ints:
    """Codes telling a column's values apart within each group: equal values, equal codes.

    ``group`` holds codes in order of first appearance. A row whose value is its group's
    first value (nulls equal) gets -1; the other rows get codes of their values, from 0.
    """
    if len(group) == 0:
        return group
    seen = np.maximum.accumulate(group)
    first_row = np.flatnonzero(np.r_[True, group[1:] > seen[:-1]])[group]
    values = column.to_numpy(dtype=object)
    missing = column.isna().to_numpy()
    same = (values == values[first_row]) | (missing & missing[first_row])
    codes = np.full(len(group), -1, dtype=np.int64)
    differ = ~np.asarray(same, dtype=bool)
    codes[differ] = factor(values[differ]) + 1
    return codes
