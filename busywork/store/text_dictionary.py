"""The dictionary codes a decoded text column came from, kept beside it.

A stored snapshot holds each text column as integer codes and its distinct values in order
of first appearance (:mod:`busywork.store.frame_codec`): exactly what coding the column
with :func:`pandas.factorize` gives. Decoding builds the column's strings from them, and
:func:`remember` keeps the codes against the column's memory, so that whoever codes the
column again (:func:`detectors._distinct.text_codes`) takes them with :func:`recall`
instead of hashing every row: on a million records, hashing text row by row was a large
part of a detection pass.

Detectors also select rows of a loaded column (the invoices in a window, the appointments
held): pandas takes the selected rows' string objects from the column, so the selection
holds the very objects of the rows it came from. :func:`recall_rows` recognises such a
selection by its objects' addresses, compared as integers without touching the objects,
and gives those rows' codes.

The column is made read-only when its codes are remembered: a value written into it would
make them wrong. Entries are dropped with the column's memory.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from busywork.store.text_links import name_values

Texts = np.ndarray[Any, np.dtype[np.object_]]


@dataclass(frozen=True)
class TextDictionary:
    """A column's codes (-1: null) and its distinct values, in order of first appearance."""

    #: One code per row, as stored (the narrowest signed type that holds them).
    codes: np.ndarray[Any, np.dtype[np.signedinteger[Any]]]
    #: The distinct values, the very string objects the column holds.
    values: Texts
    #: The stored dictionary's name (:func:`busywork.store.text_links.digest`), if stored.
    digest: bytes | None = None


@dataclass
class _Entry:
    """A remembered dictionary, and whether its codes were found in first-appearance order."""

    owner: weakref.ref[np.ndarray[Any, Any]]
    #: The stored codes; None when every row holds its own value (row i has code i), as
    #: ids do: those codes are not kept, but made when asked for.
    codes: np.ndarray[Any, np.dtype[np.signedinteger[Any]]] | None
    #: Whether the codes are in order of first appearance (None: not looked at yet).
    ordered: bool | None = None
    #: The stored dictionary's name, if the column was decoded from one.
    digest: bytes | None = None
    #: The distinct values :func:`recall` last took from the rows, while someone holds them.
    values: weakref.ref[np.ndarray[Any, Any]] | None = None

    def codes_at(
        self, labels: np.ndarray[Any, Any]
    ) -> np.ndarray[Any, np.dtype[np.signedinteger[Any]]]:
        """The codes of the rows at positions ``labels``."""
        codes: np.ndarray[Any, np.dtype[np.signedinteger[Any]]] = (
            labels.astype(np.int64) if self.codes is None else self.codes[labels]
        )
        return codes


#: Per address of a column's memory: the array owning it (weakly) and its dictionary.
_known: dict[int, _Entry] = {}
#: The same entries per column name: a worker holds many businesses' frames, and a
#: selection is looked for among the columns of its own name only.
_named: dict[str, dict[int, _Entry]] = {}


def remember(
    column: Texts, codes: np.ndarray[Any, Any], name: str, digest: bytes | None = None
) -> None:
    """Keep ``codes`` as the dictionary codes of ``column`` (named ``name``) while it lives.

    ``column`` must be its distinct values taken at ``codes`` (None at -1), codes in order
    of first appearance; it is made read-only, and so are the codes. The distinct values
    are not kept: :func:`recall` takes them from the column's rows. ``digest`` names the
    stored dictionary they were decoded from (:mod:`busywork.store.text_links`).
    """
    if column.base is not None or not column.flags.c_contiguous:
        return  # a view: its memory is another array's, which may change under it
    for array in (column, codes):
        array.flags.writeable = False
    address = _address(column)
    rows = len(codes)
    each_its_own = bool(rows) and np.array_equal(codes, np.arange(rows, dtype=codes.dtype))

    def forget(_: object) -> None:
        _known.pop(address, None)
        named = _named.get(name)
        if named is not None:
            named.pop(address, None)
            if not named:
                _named.pop(name, None)

    entry = _Entry(weakref.ref(column, forget), None if each_its_own else codes, digest=digest)
    _known[address] = entry
    _named.setdefault(name, {})[address] = entry


def recall(column: np.ndarray[Any, Any]) -> TextDictionary | None:
    """The dictionary :func:`remember` kept for the memory of ``column``, if it holds all of it.

    ``column`` may be another array object over that memory (pandas hands out views), but
    it must span the whole column, row by row, from its first row.
    """
    entry = _held(column)
    if entry is None:
        return None
    held, found = entry
    if found.codes is None:
        # Each row its own value: the column is its own distinct values, in order.
        codes = np.arange(len(held), dtype=_code_type(len(held)))
        codes.flags.writeable = False
        return _named_dictionary(TextDictionary(codes, held, found.digest))
    if found.ordered is False:
        return None
    values = None if found.values is None else found.values()
    if values is None:
        firsts = _first_rows(found.codes)
        found.ordered = firsts is not None
        if firsts is None:
            return None
        values = held[firsts]
        values.flags.writeable = False
        # Taken again for as long as a caller holds them (a pass codes each column once,
        # then asks about rows selected from it): not kept for the column's whole life.
        found.values = weakref.ref(values)
    return _named_dictionary(TextDictionary(found.codes, values, found.digest))


def recall_nulls(column: np.ndarray[Any, Any]) -> np.ndarray[Any, np.dtype[np.bool_]] | None:
    """Per row of a remembered column, whether it is null (its stored code is -1).

    What :func:`recall` answers on ``column``'s codes, without the distinct values, and
    without reading a row's object: None unless ``column`` holds all of a remembered one.
    """
    entry = _held(column)
    if entry is None:
        return None
    held, found = entry
    if found.codes is None:  # each row its own value: none is null
        return np.zeros(len(held), dtype=bool)
    nulls: np.ndarray[Any, np.dtype[np.bool_]] = found.codes < 0
    return nulls


def _held(column: np.ndarray[Any, Any]) -> tuple[np.ndarray[Any, Any], _Entry] | None:
    """The remembered column ``column`` spans whole (same memory, shape and strides), if any.

    The column must be read-only, as every decoded column is: its codes cannot go stale.
    """
    found = _known.get(_address(column))
    if found is None:
        return None
    held = found.owner()
    if (
        held is None
        or column.dtype != object
        or column.shape != held.shape
        or column.strides != held.strides
        or column.flags.writeable
    ):
        return None
    return held, found


def _named_dictionary(found: TextDictionary) -> TextDictionary:
    """``found``, its values array named as its stored dictionary (for its links)."""
    if found.digest is not None:
        name_values(found.values, found.digest)
    return found


def recall_rows(
    rows: np.ndarray[Any, Any], labels: np.ndarray[Any, Any], name: object
) -> np.ndarray[Any, np.dtype[np.signedinteger[Any]]] | None:
    """The codes of ``rows``, if they are the rows ``labels`` of a remembered column ``name``.

    ``labels`` are positions in that column (a frame loaded from the store has labels
    0 … n-1, and a selection keeps the labels of its rows). The rows are those rows when
    they hold the very objects the column holds there (equal objects, equal values), or,
    where the column is null, None or NaN (pandas' text dtype writes a null as NaN).
    """
    found = recall_origin(rows, labels, name)
    return None if found is None else found[0]


def recall_origin(
    rows: np.ndarray[Any, Any], labels: np.ndarray[Any, Any], name: object
) -> tuple[np.ndarray[Any, np.dtype[np.signedinteger[Any]]], Texts] | None:
    """:func:`recall_rows`'s codes of ``rows``, and the remembered column they came from."""
    named = _named.get(name) if isinstance(name, str) else None
    if (
        rows.dtype != object
        or rows.ndim != 1
        or not rows.flags.c_contiguous
        or len(rows) != len(labels)
        or not len(rows)
        or not named
    ):
        return None
    lowest, highest = int(labels.min()), int(labels.max())
    objects = _object_addresses(rows)
    nulls = (objects == id(None)) | (objects == id(np.nan))
    # The first row holding a value tells most columns apart; the rest are compared only then.
    probe = int(np.argmin(nulls))
    for entry in list(named.values()):
        column = entry.owner()
        if column is None or lowest < 0 or highest >= len(column):
            continue
        everywhere = _object_addresses(column)
        if everywhere[labels[probe]] != objects[probe] and not nulls[probe]:
            continue
        addresses = everywhere[labels]
        codes = entry.codes_at(labels)
        if np.all((addresses == objects) | ((codes < 0) & nulls)):
            return codes, column
    return None


def _object_addresses(column: np.ndarray[Any, Any]) -> np.ndarray[Any, np.dtype[np.uintp]]:
    """The addresses of the objects a one-dimensional object array holds.

    A view of the array's own memory (which it keeps alive), not of the objects: no object
    is touched, so comparing two arrays' rows this way costs an integer comparison per row.
    Seen through the array interface, not ctypes: a ctypes array type made per length is
    kept by ctypes for the life of the process.
    """
    addresses: np.ndarray[Any, np.dtype[np.uintp]] = np.asarray(_PointerMemory(column))
    return addresses


class _PointerMemory:
    """An object array's memory, presented as the unsigned integers its pointers are."""

    def __init__(self, column: np.ndarray[Any, Any]) -> None:
        self.column = column  # alive while a view of its memory is
        self.__array_interface__ = {
            "shape": column.shape,
            "strides": column.strides,
            "typestr": np.dtype(np.uintp).str,
            "data": (column.__array_interface__["data"][0], True),  # read-only
            "version": 3,
        }


def _first_rows(codes: np.ndarray[Any, Any]) -> np.ndarray[Any, np.dtype[np.intp]] | None:
    """Each code's first row, if ``codes`` are in order of first appearance; else None.

    In that order each new code is one above the highest before it.

    What :func:`pandas.factorize` gives, and so every payload the codec writes. A payload
    whose codes are not still decodes, but its codes are not taken for the column's
    factorisation. The distinct values are not checked (hashing them all would cost what
    keeping the codes saves): only a damaged payload repeats one, and then its values are
    wrong whatever their codes.
    """
    wide = codes.astype(np.int64)
    before = _highest_before(wide)
    if np.any(wide > before + 1):
        return None
    firsts: np.ndarray[Any, np.dtype[np.intp]] = np.flatnonzero(wide > before)
    return firsts


def first_rows(codes: np.ndarray[Any, Any]) -> np.ndarray[Any, np.dtype[np.intp]]:
    """Each code's first row, for codes in order of first appearance (-1: null).

    A code greater than every code before it is new. Linear, without sorting.
    """
    wide = codes.astype(np.int64, copy=False)
    firsts: np.ndarray[Any, np.dtype[np.intp]] = np.flatnonzero(wide > _highest_before(wide))
    return firsts


def _highest_before(codes: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Per row, the highest code of the rows before it (-1 before the first)."""
    return np.maximum.accumulate(np.concatenate([[-1], codes[:-1]]))


def _code_type(rows: int) -> type[np.signedinteger[Any]]:
    """The narrowest of the stored code types that numbers ``rows`` rows."""
    return np.int32 if rows <= np.iinfo(np.int32).max else np.int64


def _address(array: np.ndarray[Any, Any]) -> int:
    address: int = array.__array_interface__["data"][0]
    return address
