"""Where one stored text column's distinct values are among another's: a stored join index.

Detectors look one kind's text up among another's: the e-mails, names and customer ids of
invoices and appointments among the customer records', the invoices' ids among the
payments' and the invoice lines' references. On a million records each such look-up
hashes a hundred thousand strings or more, however the columns are coded. A stored
snapshot writes each text column's distinct values once
(:mod:`busywork.store.frame_codec`), so the answer is a function of two stored
dictionaries: the codec writes it beside the later of the two snapshots, as the positions
of one dictionary's values in the other's, and a load hands it to whoever asks
(:func:`positions_in`) instead of hashing text.

Each dictionary is named by a digest of its stored bytes (:func:`digest`), so a link is
never applied to dictionaries other than the two it was computed from: a snapshot written
again has another digest, and its links are computed again when it is written.

:data:`JOINS` names the column pairs linked: the references between the record kinds.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from typing import Any

import numpy as np
import pandas as pd

from busywork.store.record_kinds import RecordKind

Texts = np.ndarray[Any, np.dtype[np.object_]]
Positions = np.ndarray[Any, np.dtype[np.int32]]

#: Per column referring to another kind's values: that kind's column. A link holds the
#: positions of the referring column's distinct values among the referred column's.
JOINS: dict[tuple[RecordKind, str], tuple[RecordKind, str]] = {
    (RecordKind.INVOICE, "customer_id"): (RecordKind.CUSTOMER, "source_id"),
    (RecordKind.INVOICE, "customer_email"): (RecordKind.CUSTOMER, "email"),
    (RecordKind.INVOICE, "customer_name"): (RecordKind.CUSTOMER, "name"),
    (RecordKind.APPOINTMENT, "attendee_email"): (RecordKind.CUSTOMER, "email"),
    (RecordKind.APPOINTMENT, "attendee_name"): (RecordKind.CUSTOMER, "name"),
    (RecordKind.PAYMENT, "invoice_id"): (RecordKind.INVOICE, "source_id"),
    (RecordKind.INVOICE_LINE, "invoice_id"): (RecordKind.INVOICE, "source_id"),
}
#: Links kept per process (a worker holds many businesses; a link missing costs a hash).
MAX_LINKS = 64

_lock = threading.Lock()
#: Per (referring digest, referred digest): the positions (-1: not there).
_links: OrderedDict[tuple[bytes, bytes], Positions] = OrderedDict()
#: Per address of a dictionary's values array: the array (weakly) and its digest.
_named: dict[int, tuple[weakref.ref[Texts], bytes]] = {}


def digest(stored: bytes) -> bytes:
    """The name of a dictionary: a digest of its stored bytes (16 bytes)."""
    return hashlib.blake2b(stored, digest_size=16).digest()


def positions(values: Texts, among: pd.Index) -> Positions:
    """Per value of ``values`` (distinct), its position in ``among`` (distinct); -1: none.

    ``among`` is an index, so that its hash table serves every column linked to it.
    """
    found = among.get_indexer(pd.Index(values, dtype=object))
    return found.astype(np.int32)


def remember_link(
    referring: bytes, referred: bytes, found: Positions, owner: object | None = None
) -> None:
    """Keep ``found``: the positions of the ``referring`` dictionary's values in ``referred``.

    The link is dropped with ``owner`` (the decoded column it came with), and the oldest
    links once more than :data:`MAX_LINKS` are kept.
    """
    found.flags.writeable = False
    key = (referring, referred)
    with _lock:
        _links[key] = found
        _links.move_to_end(key)
        while len(_links) > MAX_LINKS:
            _links.popitem(last=False)
    if owner is not None:
        weakref.finalize(owner, _forget_link, key, found)


def _forget_link(key: tuple[bytes, bytes], found: Positions) -> None:
    """Drop the link ``key`` if it is still ``found`` (a later load may have replaced it)."""
    with _lock:
        if _links.get(key) is found:
            del _links[key]


def name_values(values: Texts, name: bytes) -> None:
    """Record that ``values`` (a read-only array) is the dictionary named ``name``."""
    address = id(values)

    def forget(_: object) -> None:
        with _lock:
            if address in _named and _named[address][0]() is None:
                del _named[address]

    with _lock:
        _named[address] = (weakref.ref(values, forget), name)


def name_of(values: Texts) -> bytes | None:
    """The dictionary ``values`` is (the very array :func:`name_values` was given), if any."""
    with _lock:
        found = _named.get(id(values))
    if found is None or found[0]() is not values:
        return None
    return found[1]


def positions_in(values: Texts, among: Texts) -> Positions | None:
    """:func:`positions` of ``values`` in ``among`` when stored with their snapshots, else None.

    Both must be dictionaries a load named (:func:`name_of`), linked when written.
    """
    referring, referred = name_of(values), name_of(among)
    if referring is None or referred is None:
        return None
    with _lock:
        found = _links.get((referring, referred))
    if found is None or len(found) != len(values):
        return None
    return found


def forget_links() -> None:
    """Drop every link kept (tests)."""
    with _lock:
        _links.clear()
