"""Entity resolution: records of several sources that name one customer or person become one.

The same customer is in Stripe (``cus_…``) and in QuickBooks (``58``), a client is a calendar
attendee and a customer, and a customer is keyed twice with a typo. :func:`resolve` takes
*party rows* (``source``, ``id``, ``name``, ``email``; any may be null) and gives each row an
entity code, plus the links that joined them and how sure each one is:

1. **exact keys**: rows with the same (source, id) are one node; rows without an id are a
   node per normalised e-mail, else per cleaned name. Nodes sharing an e-mail are linked
   (score 1, ``email``), except two ids of one source (a shared office address) -- and an
   address two ids of one source share identifies nobody by itself; nor does a name two
   ids of one source share.
2. **fuzzy names** (:mod:`detectors._similar_names`): cleaned names (accents, case,
   punctuation, titles and legal words such as "Ltd", "Inc", "and" dropped) are turned
   into character 2-3-gram vectors (scikit-learn's ``TfidfVectorizer``, without IDF so
   that a score does not depend on the business's other names), and each name's nearest
   neighbours by cosine (a brute-force search, :mod:`detectors._neighbours`) within its
   block (first letter) are linked when the similarity is at least ``threshold`` (score
   = cosine, ``name``). Equal cleaned names link with score 1.
   A name link is refused when both sides carry different e-mail addresses (two people
   called John Smith with their own addresses are two people), and between two ids of one
   source unless their e-mail is the same too (the source keeps two "Sam Lee" records
   apart; a name alone does not say which one an attendee is). Two records that carry the
   same e-mail address need less: their names link from ``shared_email_threshold`` (a
   customer keyed twice, the second time with a typo or "Limited" for "Ltd", shares the
   first one's address; a shared office address with an unrelated name stays two).

Entities are the connected components of the nodes under the kept links (scipy).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from detectors import _frames as fr
from detectors._codes import (
    Codes,
    combine,
    factor,
    first_per_group,
    first_rows,
    look_up,
)
from detectors._nodes import NodeLabels, party_nodes
from detectors._similar_names import NAME_THRESHOLD, NEIGHBOURS, match_name, similar_names

#: Cosine from which two names are one entity when both records carry the same e-mail.
SHARED_EMAIL_THRESHOLD = 0.7
Ints = np.ndarray[Any, np.dtype[np.int64]]


@dataclass(frozen=True)
class Resolution:
    """Entity codes of party rows and the links between their nodes."""

    #: Entity code per input row (-1: the row names nobody).
    entity: Ints
    #: Node code per input row (-1: the row names nobody).
    node: Ints
    #: Per node: its label, ``<source>:<id>``, ``email:<address>`` or ``name:<name>``.
    labels: NodeLabels
    #: Kept links: ``left``/``right`` (node codes), ``score`` (0-1) and ``method``.
    links: pd.DataFrame


def resolve(
    parties: pd.DataFrame,
    *,
    threshold: float = NAME_THRESHOLD,
    shared_email_threshold: float = SHARED_EMAIL_THRESHOLD,
    neighbours: int = NEIGHBOURS,
    coded: Mapping[str, Ints] | None = None,
    cleaned: Mapping[str, Codes] | None = None,
) -> Resolution:
    """Resolve party rows (columns ``source``, ``id``, ``name``, ``email``) into entities.

    ``coded`` may hold the :func:`~detectors._codes.factor` codes of the rows' ``id``,
    ``name`` or ``email`` text, when the caller has them, so that they are not coded again;
    ``cleaned`` the :class:`~detectors._codes.Codes` of the rows' ``email`` as
    :func:`~detectors._frames.clean_email` and ``name`` as :func:`match_name` clean them.
    """
    lowest = min(threshold, shared_email_threshold)
    given = coded or {}
    clean = cleaned or {}
    source = fr.as_text(parties["source"]).fillna("")
    ids = fr.as_text(parties["id"])
    # Grouping and matching on integer codes of the texts (-1: null) is several times
    # faster than on the texts; each code stands for one distinct text. E-mails and names
    # are cleaned once per distinct text, and equal cleaned values share a code.
    emails = clean.get("email") or _codes(parties["email"], given.get("email")).cleaned(
        fr.clean_email
    )
    names = clean.get("name") or _codes(parties["name"], given.get("name")).cleaned(match_name)
    email, name = _texts(emails), _texts(names)
    keys = {
        "source": factor(source),
        "id": given["id"] if "id" in given else factor(ids),
        "email": emails.codes,
        "name": names.codes,
    }
    node, labels = party_nodes(keys, source, ids, email, name)
    count = len(labels)
    has, is_id = node >= 0, ids.notna().to_numpy()
    # Compared as codes: equal codes are equal cleaned addresses and equal sources.
    node_email = _first_code(node, keys["email"], count)
    node_source = _first_code(node[is_id], keys["source"][is_id], count)
    # What the links are found on: codes, and the names the fuzzy search reads.
    frame = pd.DataFrame(
        {
            "node": node[has],
            "is_id": is_id[has],
            "name": name[has],
            **{f"{column}_key": keys[column][has] for column in ("source", "email", "name")},
        }
    )
    edges = pd.concat(
        [_email_edges(frame), _name_edges(frame, count, lowest, neighbours)], ignore_index=True
    )
    if not edges.empty:
        edges = _kept_links(edges, node_email, node_source, threshold)
    graph = coo_matrix(
        (
            np.ones(len(edges)),
            (edges["left"].to_numpy(dtype=np.int64), edges["right"].to_numpy(dtype=np.int64)),
        ),
        shape=(count, count),
    )
    _, component = connected_components(graph, directed=False)
    entity = np.where(node >= 0, np.append(component, -1)[node], -1).astype(np.int64)
    return Resolution(entity=entity, node=node, labels=labels, links=edges)


def _first_code(node: Ints, codes: Ints, count: int) -> Ints:
    """Per node code, the ``codes`` value of its first row that has one (>= 0), else -1."""
    rows = np.flatnonzero((node >= 0) & (codes >= 0))
    first_node, first_row = np.unique(node[rows], return_index=True)
    out = np.full(count, -1, dtype=np.int64)
    out[first_node] = codes[rows[first_row]]
    return out


def _kept_links(
    edges: pd.DataFrame, node_email: Ints, node_source: Ints, threshold: float
) -> pd.DataFrame:
    """The links kept, by (left, right, best score first); one per pair of nodes.

    ``node_email`` and ``node_source`` hold each node's e-mail and source code (-1: none).
    """
    left, right = edges["left"].to_numpy(), edges["right"].to_numpy()
    score = edges["score"].to_numpy()
    left_email, right_email = node_email[left], node_email[right]
    by_name = (edges["method"] == "name").to_numpy()
    both_email = (left_email >= 0) & (right_email >= 0)
    same_email = both_email & (left_email == right_email)
    weak = score < threshold - 1e-9
    left_source = node_source[left]
    one_source = (left_source >= 0) & (left_source == node_source[right])
    # Different addresses are different people; two ids of one source are two records
    # the source keeps apart, unless their e-mail agrees as well as their name.
    # A name below ``threshold`` is enough only together with the same address.
    conflict = by_name & (
        (both_email & ~same_email) | (one_source & ~both_email) | (weak & ~same_email)
    )
    rows = np.flatnonzero(~conflict & (left != right))
    # A stable sort on the integer codes, best score first; the first of each pair is kept.
    rows = rows[np.lexsort((-score[rows], right[rows], left[rows]))]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (left[rows][1:] != left[rows][:-1]) | (right[rows][1:] != right[rows][:-1])
    return edges.take(rows[first]).reset_index(drop=True)


def _codes(column: pd.Series[Any], codes: Ints | None) -> Codes:
    """The codes of a column's text with each code's text: ``codes`` if given, else coded."""
    if codes is None:
        return Codes.of([column])
    return Codes(codes, fr.as_text(column).to_numpy(dtype=object)[first_rows(codes)])


def _texts(coded: Codes) -> Any:
    """Per row, the value of its code (None for -1): only non-null rows are ever read."""
    return look_up(coded.values, coded.codes, None)


def _email_edges(frame: pd.DataFrame) -> pd.DataFrame:
    """Nodes that share an e-mail address, except two ids of one source."""
    email, node, at = _distinct_pairs(frame, "email_key")
    keep = ~_ambiguous(frame, "email_key", at)
    email, node = email[keep], node[keep]
    anchor = first_per_group(email, node)
    keep = node != anchor
    return _edges(anchor[keep], node[keep], 1.0, "email")


def _distinct_pairs(frame: pd.DataFrame, key: str) -> tuple[Ints, Ints, Ints]:
    """The first row of each distinct (``key``, node) pair with a ``key``, in row order.

    Returns the pairs' key codes, their node codes and the rows' positions. On the code
    arrays alone: a filtered copy of the frame would hold its text columns too.
    """
    codes, node = frame[key].to_numpy(), frame["node"].to_numpy()
    at = np.flatnonzero(codes >= 0)
    at = at[first_rows(combine(codes[at], node[at]))]
    return codes[at], node[at], at


def _ambiguous(frame: pd.DataFrame, key: str, at: Ints) -> Any:
    """Per row of ``at``, whether two ids of one source carry its value (``key``: the code column).

    Such a value identifies neither of them, like an office address two customers share.
    """
    values, source = frame[key].to_numpy()[at], frame["source_key"].to_numpy()[at]
    is_id = frame["is_id"].to_numpy(dtype=bool)[at]
    pairs = combine(values[is_id], source[is_id])
    shared = values[is_id][np.bincount(pairs)[pairs] > 1]
    return np.isin(values, shared)


def _edges(left: Any, right: Any, score: Any, method: str) -> pd.DataFrame:
    """An edge table with integer node codes, whatever the number of edges."""
    return pd.DataFrame(
        {
            "left": np.asarray(left, dtype=np.int64),
            "right": np.asarray(right, dtype=np.int64),
            "score": np.broadcast_to(np.asarray(score, dtype=float), (len(left),)),
            "method": method,
        }
    )


def _name_edges(frame: pd.DataFrame, count: int, threshold: float, k: int) -> pd.DataFrame:
    """Nodes with equal names (score 1), and names whose TF-IDF cosine reaches ``threshold``."""
    name_key, node, at = _distinct_pairs(frame, "name_key")
    keep = ~_ambiguous(frame, "name_key", at)
    name_key, node, at = name_key[keep], node[keep], at[keep]
    if not len(at):
        return _edges(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0), "name")
    code = pd.factorize(name_key)[0]  # in order of first appearance
    names = frame["name"].to_numpy(dtype=object)[at[np.unique(code, return_index=True)[1]]]
    anchor = first_per_group(code, node)
    same = node != anchor
    exact = pd.DataFrame({"left": anchor[same], "right": node[same], "score": 1.0})
    first_node = np.full(len(names), -1, dtype=np.int64)
    first_node[code] = anchor
    pairs = similar_names(np.asarray(names, dtype=object), threshold, k)
    fuzzy = pd.DataFrame(
        {
            "left": first_node[pairs["a"].to_numpy()],
            "right": first_node[pairs["b"].to_numpy()],
            "score": pairs["score"].to_numpy(),
        }
    )
    return pd.concat([exact, fuzzy], ignore_index=True).assign(method="name")
