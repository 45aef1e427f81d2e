"""Links between stored text dictionaries: written with the later snapshot, never misapplied."""

from __future__ import annotations

import gc
import io
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from busywork.store import text_links
from busywork.store.frame_codec import (
    Dictionaries,
    UnreadableFrameError,
    decode_frame,
    encode_frame,
)
from busywork.store.record_kinds import RecordKind
from busywork.store.snapshot_writes import stored_dictionaries
from busywork.store.text_dictionary import recall
from detectors._known import known_text
from detectors._shared import detection_pass

CUSTOMERS = pd.DataFrame(
    {
        "source_id": ["c1", "c2", "c3", "c4"],
        "email": ["ann@x.com", None, "bo@y.org", "ann@x.com"],
        "name": ["Ann", "Bo", "Bo", "Cy"],
    },
    dtype=object,
)
INVOICES = pd.DataFrame(
    {
        "source_id": ["i1", "i2", "i3", "i4", "i5"],
        "customer_id": ["c3", "c9", None, "c1", "c3"],
        "customer_email": ["new@z.net", "bo@y.org", None, "ann@x.com", "new@z.net"],
        "customer_name": ["Bo", "Di", "Ann", None, "Bo"],
    },
    dtype=object,
)


@pytest.fixture(autouse=True)
def _no_links_kept() -> Iterator[None]:
    text_links.forget_links()
    yield
    text_links.forget_links()


def _encode(frame: pd.DataFrame, kind: RecordKind, dictionaries: Dictionaries) -> bytes:
    payload = encode_frame(frame, np.arange(1, len(frame) + 1, dtype=np.int64), kind, dictionaries)
    assert payload is not None
    return payload


def _decode(payload: bytes, frame: pd.DataFrame) -> pd.DataFrame:
    return decode_frame(payload, list(frame.columns))[0]


def _dictionary(column: pd.Series) -> np.ndarray:
    """The stored dictionary a decoded column came with (the array named by its digest)."""
    found = recall(column.to_numpy())
    assert found is not None
    assert found.digest is not None
    return found.values


def _hashed(values: np.ndarray, among: np.ndarray) -> list[int]:
    """What looking the values up by their text gives."""
    return pd.Index(among, dtype=object).get_indexer(pd.Index(values, dtype=object)).tolist()


@pytest.mark.parametrize("customers_first", [True, False])
def test_snapshots_written_together_link_their_columns_whichever_is_written_first(
    customers_first: bool,
) -> None:
    dictionaries: Dictionaries = {}
    order = [(CUSTOMERS, RecordKind.CUSTOMER), (INVOICES, RecordKind.INVOICE)]
    payloads = {
        kind: _encode(frame, kind, dictionaries)
        for frame, kind in (order if customers_first else order[::-1])
    }
    customers = _decode(payloads[RecordKind.CUSTOMER], CUSTOMERS)
    invoices = _decode(payloads[RecordKind.INVOICE], INVOICES)
    for referring, referred in [
        (invoices["customer_email"], customers["email"]),
        (invoices["customer_name"], customers["name"]),
        (invoices["customer_id"], customers["source_id"]),
    ]:
        values, among = _dictionary(referring), _dictionary(referred)
        linked = text_links.positions_in(values, among)
        assert linked is not None
        assert linked.tolist() == _hashed(values, among)
    # "new@z.net" and "bo@y.org" (the invoices' first two addresses): no customer has the
    # first, the third customer the second (position 2 among ann, bo: distinct values).
    assert text_links.positions_in(
        _dictionary(invoices["customer_email"]), _dictionary(customers["email"])
    ).tolist() == [-1, 1, 0]  # type: ignore[union-attr]


def test_a_link_is_not_applied_to_a_dictionary_written_again() -> None:
    dictionaries: Dictionaries = {}
    _encode(CUSTOMERS, RecordKind.CUSTOMER, dictionaries)
    invoices = _decode(_encode(INVOICES, RecordKind.INVOICE, dictionaries), INVOICES)
    # The customers written again, alone, with one address changed: a new dictionary.
    changed = CUSTOMERS.assign(
        email=pd.Series(["bo@y.org", None, "ann@x.com", "ann@x.com"], dtype=object)
    )
    customers = _decode(_encode(changed, RecordKind.CUSTOMER, {}), changed)
    values, among = _dictionary(invoices["customer_email"]), _dictionary(customers["email"])
    assert text_links.positions_in(values, among) is None
    # So a detector hashes the text, and finds the changed positions.
    with detection_pass():
        known = known_text(customers, "email")
        assert known.positions(values).tolist() == _hashed(values, among) == [-1, 0, 1]


def test_a_snapshot_written_alone_links_to_the_stored_dictionaries_of_its_load() -> None:
    customers = _decode(_encode(CUSTOMERS, RecordKind.CUSTOMER, {}), CUSTOMERS)
    # What a load that rewrites the invoices alone hands over: the customers as decoded.
    dictionaries = stored_dictionaries({RecordKind.CUSTOMER: customers})
    assert set(dictionaries) == {
        (RecordKind.CUSTOMER, "source_id"),
        (RecordKind.CUSTOMER, "email"),
        (RecordKind.CUSTOMER, "name"),
    }
    invoices = _decode(_encode(INVOICES, RecordKind.INVOICE, dictionaries), INVOICES)
    values, among = _dictionary(invoices["customer_name"]), _dictionary(customers["name"])
    assert text_links.positions_in(values, among) is not None
    with detection_pass():
        assert known_text(customers, "name").positions(values).tolist() == _hashed(values, among)


def test_a_frame_encoded_without_its_kind_holds_no_link() -> None:
    dictionaries: Dictionaries = {}
    _encode(CUSTOMERS, RecordKind.CUSTOMER, dictionaries)
    payload = encode_frame(INVOICES, np.arange(1, 6, dtype=np.int64))
    assert payload is not None
    invoices = _decode(payload, INVOICES)
    customers_email = dictionaries[(RecordKind.CUSTOMER, "email")][1]
    assert text_links.positions_in(_dictionary(invoices["customer_email"]), customers_email) is None


def test_a_damaged_link_makes_the_payload_unreadable() -> None:
    dictionaries: Dictionaries = {}
    _encode(CUSTOMERS, RecordKind.CUSTOMER, dictionaries)
    payload = _encode(INVOICES, RecordKind.INVOICE, dictionaries)
    with np.load(io.BytesIO(payload)) as arrays:
        parts = {key: arrays[key] for key in arrays.files}
    parts["k0"] = np.full(len(parts["k0"]), -7, dtype=np.int32)
    buffer = io.BytesIO()
    np.savez(buffer, **parts)  # type: ignore[arg-type]
    with pytest.raises(UnreadableFrameError, match="link 0 has invalid positions"):
        _decode(buffer.getvalue(), INVOICES)


def test_a_link_is_dropped_with_the_decoded_columns_it_joins() -> None:
    dictionaries: Dictionaries = {}
    customers = _decode(_encode(CUSTOMERS, RecordKind.CUSTOMER, dictionaries), CUSTOMERS)
    invoices = _decode(_encode(INVOICES, RecordKind.INVOICE, dictionaries), INVOICES)
    values = _dictionary(invoices["customer_email"])
    among = _dictionary(customers["email"])
    assert text_links.positions_in(values, among) is not None
    assert len(text_links._links) == 3  # the invoices' customer id, e-mail and name
    del invoices  # the payload that held the links: its columns are gone
    gc.collect()
    assert len(text_links._links) == 0
    assert text_links.positions_in(values, among) is None
