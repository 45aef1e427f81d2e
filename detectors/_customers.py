"""Customers resolved across sources: one code per customer, whatever the system it is in.

:func:`resolve_customers` runs :func:`detectors._entities.resolve` over the customer
records, the invoices' customers and the appointments' attendees of a business, and turns
the entities that hold a customer id into customer codes for :mod:`detectors._matching`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from detectors import _frames as fr
from detectors._codes import Codes, Ints, first_rows
from detectors._entities import Resolution, resolve
from detectors._known import known_text
from detectors._nodes import NodeLabels, distinct_rows
from detectors._ordering import lexsorted, ranks
from detectors._similar_names import match_name
from detectors.base import EntityLink

#: A customer's other ``<source>:<id>``.
AltIds = tuple[str, ...]


@dataclass(frozen=True)
class Directory:
    """Customers resolved across sources: a code per row and what each code stands for."""

    #: Customer code per row (customers, invoices, appointments); -1 for none.
    code: np.ndarray[Any, np.dtype[np.int64]]
    #: Per code: the id its findings are filed under (the first ``<source>:<id>`` in order).
    ids: np.ndarray[Any, np.dtype[np.object_]]
    #: Per code: the other ``<source>:<id>`` of the same customer, as a tuple.
    alt_ids: np.ndarray[Any, np.dtype[np.object_]]
    #: Links with the ``customer`` code they joined: ``left`` and ``right`` (node codes of
    #: ``labels``), ``score`` and ``method``.
    links: pd.DataFrame
    #: The label of each node a link joins, written when a finding shows it.
    labels: NodeLabels

    def evidence(self, customer: int) -> tuple[EntityLink, ...]:
        """The links that joined ``customer``'s records, for a finding's evidence."""
        return link_evidence(self.links, self.labels, customer)

    @cached_property
    def merged(self) -> tuple[dict[str, AltIds], dict[str, tuple[EntityLink, ...]]]:
        """Per customer of several ids (by its id): the other ids, and the links joining them.

        Worked out once per directory: a directory shared within a pass
        (:func:`detectors._shared.shared`) answers every detector with the same two
        dictionaries, which are read-only.
        """
        alt_ids: dict[str, AltIds] = {}
        links: dict[str, tuple[EntityLink, ...]] = {}
        for index in np.flatnonzero([len(alt) > 0 for alt in self.alt_ids]):
            owner = str(self.ids[index])
            alt_ids[owner] = tuple(self.alt_ids[index])
            links[owner] = self.evidence(int(index))
        return alt_ids, links


def link_evidence(links: pd.DataFrame, labels: NodeLabels, customer: int) -> tuple[EntityLink, ...]:
    """The rows of ``links`` (a :attr:`Directory.links`) of ``customer``, labelled."""
    rows = links[(links["customer"] == customer).to_numpy()]
    left = labels[rows["left"].to_numpy(dtype=np.int64)]
    right = labels[rows["right"].to_numpy(dtype=np.int64)]
    return tuple(
        EntityLink(str(one), str(other), round(float(score), 4), str(method))
        for one, other, score, method in zip(
            left, right, rows["score"], rows["method"], strict=True
        )
    )


def resolve_customers(
    customers: pd.DataFrame,
    invoices: pd.DataFrame,
    appointments: pd.DataFrame,
    *,
    coded: Mapping[str, Ints] | None = None,
    cleaned: Mapping[str, Codes] | None = None,
) -> Directory:
    """Resolve customer records, invoices' customers and attendees into customer codes.

    Only entities holding a customer id (a customer record, or an invoice's customer id)
    are customers; an attendee or an id-less invoice joins one through its e-mail or name.
    A customer's id is the id of its first record by (source, id), unchanged when it has one
    source only, so the findings' stable ids do not move.

    Args:
        customers: Customer records (``source``, ``source_id``, ``name``, ``email``).
        invoices: Invoices (``source``, ``customer_id``, ``customer_name``,
            ``customer_email``).
        appointments: Appointments (``source``, ``attendee_name``, ``attendee_email``).
        coded: Codes a caller already has (:func:`detectors._codes.factor` of the rows'
            text, customers then invoices then appointments) of the party column
            ``source``, ``id``, ``name`` or ``email``, so that they are not coded twice.
        cleaned: Codes a caller already has of the rows' ``email`` as
            :func:`detectors._frames.clean_email` and ``name`` as
            :func:`detectors._similar_names.match_name` clean them (:meth:`Codes.cleaned` of the
            same rows' codes), so that they are not cleaned twice.
    """
    columns = {
        "source": [customers["source"], invoices["source"], appointments["source"]],
        "id": [
            customers["source_id"],
            invoices["customer_id"],
            pd.Series(None, index=appointments.index, dtype=object),
        ],
        "name": [customers["name"], invoices["customer_name"], appointments["attendee_name"]],
        "email": [customers["email"], invoices["customer_email"], appointments["attendee_email"]],
    }
    # The records' own columns are coded, and cleaned, once per pass (:mod:`detectors._known`).
    records = {name: known_text(customers, _RECORD_COLUMN[name]) for name in _RESOLVED}
    texts = {
        name: records[name].then(*columns[name][1:])
        for name in _CLEANED
        if name not in (coded or {})
    }
    known = {name: text.codes for name, text in texts.items()}
    if "id" not in (coded or {}):
        # Attendees carry no customer id: their rows are null (-1), not looked up.
        invoice_ids = records["id"].then(invoices["customer_id"]).codes
        known["id"] = np.concatenate([invoice_ids, np.full(len(appointments), -1, np.int64)])
    if "source" not in (coded or {}):
        # The distinct rows' first column: its rows' codes from the records' column, and
        # each other column's distinct values looked up, not every row's source hashed.
        known["source"] = known_text(customers, "source").then(*columns["source"][1:]).codes
    known.update(coded or {})
    given = {
        name: records[name].cleaned(texts[name], clean)
        for name, clean in _CLEANED.items()
        if name in texts
    }
    given.update(cleaned or {})
    # Customers, invoices and attendees repeat one party on many rows: resolve each
    # distinct row once (in order of first appearance, so codes and links are unchanged).
    # Only the distinct rows are written as text: every column but the source is coded.
    parties, row = distinct_rows(
        {name: pd.concat(parts, ignore_index=True) for name, parts in columns.items()}, known
    )
    # A value's first row is the first of its party too: the codes of the distinct rows
    # are the codes of their own text, and entity resolution need not code it again.
    first = first_rows(row)
    # Cleaned codes are in order of first row too, and every value has its first row here.
    coded_parties = {name: known[name][first] for name in _RESOLVED}
    cleaned_parties = {name: Codes(code.codes[first], code.values) for name, code in given.items()}
    # The rows' own codes are not needed again: freed before the resolution's peak.
    del known, given, texts
    result = resolve(parties, coded=coded_parties, cleaned=cleaned_parties)
    has_id = parties["id"].notna().to_numpy() & (result.entity >= 0)
    entity, source, ids = _named(
        result.entity[has_id],
        parties["source"].fillna("").to_numpy(dtype=object)[has_id],
        parties["id"].to_numpy(dtype=object)[has_id],
    )
    first = np.ones(len(entity), dtype=bool)
    first[1:] = entity[1:] != entity[:-1]
    entity_code = np.full(int(result.entity.max(initial=-1)) + 1, -1, dtype=np.int64)
    entity_code[entity[first]] = np.arange(int(first.sum()))
    code = np.where(result.entity >= 0, np.append(entity_code, -1)[result.entity], -1)[row]
    alt: list[tuple[str, ...]] = [() for _ in range(int(first.sum()))]
    others = np.flatnonzero(~first)
    for entity_, label in zip(entity[others], source[others] + ":" + ids[others], strict=True):
        alt[int(entity_code[entity_])] += (str(label),)  # few: only merged customers
    links = result.links
    owner = np.append(entity_code, -1)[
        np.append(_node_entity(result), -1)[links["left"].to_numpy(dtype=np.int64)]
    ]
    # Labelled only when a finding shows them: most links join customers nobody reports.
    links = pd.DataFrame(
        {
            "customer": owner,
            "left": links["left"].to_numpy(dtype=np.int64),
            "right": links["right"].to_numpy(dtype=np.int64),
            "score": links["score"].to_numpy(dtype=float),
            "method": links["method"].to_numpy(dtype=object),
        }
    )
    alt_ids = np.empty(len(alt), dtype=object)
    alt_ids[:] = alt
    return Directory(
        code=code.astype(np.int64),
        ids=ids[first],
        alt_ids=alt_ids,
        links=links[links["customer"] >= 0].reset_index(drop=True),
        labels=result.labels,
    )


#: Party columns coded once for both the distinct rows and entity resolution.
_RESOLVED = ("id", "name", "email")
#: The customer records' column of each party column.
_RECORD_COLUMN = {"id": "source_id", "name": "name", "email": "email"}
#: How entity resolution cleans each party column it compares.
_CLEANED = {"email": fr.clean_email, "name": match_name}


def _named(entity: Ints, source: Any, ids: Any) -> tuple[Ints, Any, Any]:
    """The distinct ``(entity, source, id)`` of the rows with an id, sorted by all three."""
    source_rank = ranks(source)  # codes in the texts' order
    # Ids are compared as text only among rows of one entity and source: few, as most
    # entities hold one id (sorting every id by its text was most of the work).
    order = lexsorted([entity, source_rank], pd.Series(ids, dtype=object))
    entity, source_rank, id_text = entity[order], source_rank[order], ids[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (
        (entity[1:] != entity[:-1])
        | (source_rank[1:] != source_rank[:-1])
        | (id_text[1:] != id_text[:-1])
    )
    order = order[new]
    return entity[new], source[order], ids[order]


def _node_entity(result: Resolution) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Entity code per node code."""
    out = np.full(len(result.labels), -1, dtype=np.int64)
    has = result.node >= 0
    out[result.node[has]] = result.entity[has]
    return out
