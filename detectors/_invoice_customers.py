"""Who each invoice bills, with the customer records: one customer however many ids it has.

:func:`invoice_customers` resolves an invoice frame's customers with the customer records
(:func:`detectors._customers.resolve_customers`). Most invoices name their customer exactly
as a record does (:func:`repeated_records`): they take that record's customer, and when all
of them do, the records' resolution alone answers every detector of a pass.

Each invoice's subject key comes with a code (:attr:`InvoiceCustomers.key_code`,
:mod:`detectors._subject_keys`): the detectors count a customer's invoices on the codes,
not by hashing every key's text again; most customers have too few invoices to matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from detectors import _distinct as ds
from detectors import _frames as fr
from detectors._codes import Ints, factor, first_rows, look_up
from detectors._customers import AltIds, Directory, resolve_customers
from detectors._known import KnownText, known_text
from detectors._separate_records import separate_records
from detectors._shared import shared
from detectors._subject_keys import IdKeys
from detectors.base import EntityLink

Bools = np.ndarray[Any, np.dtype[np.bool_]]
#: Customer record columns :func:`invoice_customers` reads when the customers are given.
CUSTOMER_COLUMNS = ("source_id", "source", "name", "email")


@dataclass(frozen=True)
class InvoiceCustomers:
    """Who each invoice bills, once the customer's several ids are resolved into one."""

    #: Per invoice row (the invoices' index): ``id:<customer id>`` of the resolved customer,
    #: else ``name:<cleaned name>`` for an invoice no customer id resolves, else null.
    key: pd.Series[Any]
    #: Per invoice row: a code of its ``key``, equal for equal keys; -1 for a null key.
    key_code: Ints
    #: Per invoice row: the resolved customer's id (its first ``(source, id)``), else null.
    customer_id: pd.Series[Any]
    #: Per resolved customer id: the other ``<source>:<id>`` of the same customer.
    alt_ids: dict[str, AltIds]
    #: Per resolved customer id: the links that joined its records.
    links: dict[str, tuple[EntityLink, ...]]


def invoice_customers(
    invoices: pd.DataFrame, customers: pd.DataFrame | None = None
) -> InvoiceCustomers:
    """Resolve the customers of ``invoices`` (with the customer records, when given).

    A customer keyed twice (a second id with a typo in the name and the same e-mail) is one
    customer, filed under the id of its first record by ``(source, id)``; a customer with one
    id keeps it, so the findings' stable ids do not move.
    """
    book = customers if customers is not None else pd.DataFrame(columns=list(CUSTOMER_COLUMNS))
    bills = invoices.reindex(columns=["source", "customer_id", "customer_name", "customer_email"])
    repeats = repeated_records(book, bills)
    own = repeats < 0
    directory = _directory(book, bills[own], shareable=customers is not None and not own.any())
    code = np.empty(len(invoices), dtype=np.int64)
    code[own] = directory.code[len(book) : len(book) + int(own.sum())]
    code[~own] = directory.code[repeats[~own]]
    padded = np.empty(len(directory.ids) + 1, dtype=object)
    padded[:-1] = directory.ids
    ids = padded[np.where(code >= 0, code, len(directory.ids))]
    customer_id = pd.Series(ids, index=invoices.index, dtype=object)
    has_id = ~ds.missing(invoices["customer_id"])  # as text: null where the id is
    resolved = customer_id.where(has_id, None)
    # Each customer's key is written and coded once per directory, not per invoice.
    keys = shared("customer_keys", (directory,), (), lambda: IdKeys.of(directory.ids))
    key = keys.of_rows(np.where(has_id & (code >= 0), code, -1), invoices["customer_name"])
    alt_ids, links = directory.merged
    return InvoiceCustomers(
        key=key.text, key_code=key.codes, customer_id=resolved, alt_ids=alt_ids, links=links
    )


_NO_ATTENDEES = ["source", "attendee_name", "attendee_email"]


def _directory(book: pd.DataFrame, own: pd.DataFrame, *, shareable: bool) -> Directory:
    """The customers of the records ``book`` and of the invoices ``own`` that add to them.

    When every invoice repeats a record (``shareable``: most often, at any scale), the
    answer is the records' alone, the same for every detector's invoices: it is then shared
    within a detection pass (:func:`detectors._shared.shared`), and written without
    resolving when no two records can merge
    (:func:`detectors._separate_records.separate_records`).
    """

    def compute(invoices: pd.DataFrame) -> Directory:
        # The records themselves, not a copy: their columns' codes are the pass's.
        return resolve_customers(book, invoices, pd.DataFrame(columns=_NO_ATTENDEES))

    def alone() -> Directory:
        # Most often no two records can merge, which their codes prove without resolving.
        separate = separate_records(book)
        if separate is not None:
            return separate
        # No invoice of its own: the same (typeless) empty invoices whichever detector asks.
        return compute(pd.DataFrame(columns=own.columns))

    if not shareable:
        return compute(own)
    return shared("customers_alone", (book,), (), alone)


def repeated_records(book: pd.DataFrame, bills: pd.DataFrame) -> Ints:
    """Per invoice, the customer record it repeats (a position in ``book``), else -1.

    An invoice naming its customer by a record's source and id, with that record's name
    (or none) and no e-mail, adds nothing to the resolution: the record, which comes
    first, already makes a node of that source and id with that name, and an invoice
    without an address links nothing. Such an invoice takes its record's customer, and
    only the others are resolved with the records: most invoices name their customer as
    the customer records do.

    Args:
        book: Customer records (``source``, ``source_id``, ``name``).
        bills: The invoices' ``source``, ``customer_id``, ``customer_name`` and
            ``customer_email``.
    """
    if len(book) == 0 or len(bills) == 0:
        return np.full(len(bills), -1, dtype=np.int64)
    records = shared("record_keys", (book,), (), lambda: _RecordKeys.of(book))
    record, id_null = records.first_of(bills["source"], bills["customer_id"])
    in_book = record >= 0
    # The invoices' names, by their codes: compared as text only where a record is named.
    name_codes, names = ds.text_codes(bills["customer_name"])
    same_name = name_codes < 0
    at = np.flatnonzero(in_book & ~same_name)
    same_name[at] = names[name_codes[at]] == records.names[record[at]]
    repeats = in_book & ~id_null & bills["customer_email"].isna().to_numpy() & same_name
    return np.where(repeats, record, -1)


@dataclass(frozen=True)
class _RecordKeys:
    """The customer records' ``(source, id)`` pairs, looked up by the invoices naming them.

    Built once per pass for the records (:func:`detectors._shared.shared`): each detector's
    check of which invoices repeat a record codes only its invoices' text.
    """

    #: The records' distinct sources (nulls are not among them).
    sources: pd.Index
    #: The records' ids, coded (:func:`detectors._known.known_text`).
    known_ids: KnownText
    #: Each distinct pair as one integer: ``(source code + 1) * (ids + 1) + id code + 1``.
    pairs: pd.Index
    #: Per pair: the first record holding it.
    first: Ints
    #: Per record: its name as text (null as NaN).
    names: np.ndarray[Any, np.dtype[np.object_]]

    @classmethod
    def of(cls, book: pd.DataFrame) -> _RecordKeys:
        """The pairs of the records ``book`` (``source``, ``source_id``, ``name``)."""
        source_codes, sources = pd.factorize(fr.as_text(book["source"]))
        known = known_text(book, "source_id")
        key = cls._key(source_codes.astype(np.int64), known.codes, len(known.values))
        first = first_rows(factor(key))
        return cls(
            sources=pd.Index(sources.to_numpy(dtype=object), dtype=object),
            known_ids=known,
            pairs=pd.Index(key[first]),
            first=first,
            names=fr.as_text(book["name"]).to_numpy(dtype=object),
        )

    @staticmethod
    def _key(source: Ints, ids: Ints, count: int) -> Ints:
        """A pair of codes (-1 for null) as one integer."""
        return (source + 1) * (count + 1) + ids + 1

    def first_of(self, source: pd.Series[Any], ids: pd.Series[Any]) -> tuple[Ints, Bools]:
        """Per row, the first record with the row's source and id (nulls equal), else -1.

        Also per row, whether its id is null. The rows' text is looked up once per distinct
        value (:func:`detectors._distinct.text_codes`), not row by row; the ids once per
        distinct value of the column they were selected from, in a pass.
        """
        source_code, source_null = _looked_up(self.sources, source)
        # The ids by their loaded column's codes: its values were looked up once per pass.
        codes, values = ds.column_codes(ids)
        id_code = np.append(self.known_ids.positions(values), -1)[codes]
        id_null = codes < 0
        # A value the records do not hold (coded -1 like a null) names no record.
        unknown = ((source_code < 0) & ~source_null) | ((id_code < 0) & ~id_null)
        key = self._key(source_code, id_code, len(self.known_ids.values))
        at = self.pairs.get_indexer(pd.Index(key))
        return np.where((at >= 0) & ~unknown, look_up(self.first, at), -1), id_null


def _looked_up(index: pd.Index, column: pd.Series[Any]) -> tuple[Ints, Bools]:
    """Per row of ``column`` as text, its position in ``index`` (-1: none); and its nulls."""
    codes, values = ds.text_codes(column)
    per_value = index.get_indexer(pd.Index(values, dtype=object)).astype(np.int64)
    return np.append(per_value, -1)[codes], codes < 0
