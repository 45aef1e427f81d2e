"""A record frame as one columnar blob: numpy ``.npz`` arrays, no pickle.

What :func:`~busywork.store.read.load_frames` gives (text as ``object`` with None, numbers,
dates and flags as numpy dtypes, ``Int64``) is written column by column: the store ids as
``int64``; a numpy column as its array; an ``Int64`` column as ``int64`` values and a
mask; a text column as integer codes (-1: None) and its distinct values in UTF-8, each
followed by a NUL (a JSON array instead when a value holds a NUL), named by a digest of
those bytes. Decoding builds each text column from one string object per distinct value,
so repeated values share their object as
:class:`~busywork.store.columns.ColumnBuilder` makes them, and the frame equals the one
encoded: columns, dtypes, values, row order. A text column's codes are kept beside it
(:mod:`busywork.store.text_dictionary`), and the column is read-only. A payload may also
hold links: where the distinct values of its text columns are among another kind's, or
the other way round (:mod:`busywork.store.text_links`).
Arrays are read with ``allow_pickle=False``: a payload can hold numbers and bytes only.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from busywork.store import text_links as links
from busywork.store.record_kinds import RecordKind
from busywork.store.text_dictionary import remember

#: Written with every payload; a payload of another version is not read. Version 3 writes
#: a text column's distinct values NUL-terminated: splitting them takes three quarters of
#: the time of decoding them from JSON.
FORMAT_VERSION = 3
#: What ends each of a text column's distinct values in role ``s``.
_END = "\x00"
#: Per (kind, column): a stored text dictionary's name and values (what links are made of).
Dictionaries = dict[tuple[RecordKind, str], tuple[bytes, np.ndarray[Any, Any]]]
#: What a damaged or foreign payload raises while it is decoded.
DECODE_ERRORS = (ValueError, KeyError, IndexError, TypeError, OSError, EOFError, zipfile.BadZipFile)


class UnreadableFrameError(ValueError):
    """A payload that does not decode to the frame asked for."""


def encode_frame(
    frame: pd.DataFrame,
    ids: np.ndarray,
    kind: RecordKind | None = None,
    dictionaries: Dictionaries | None = None,
) -> bytes | None:
    """``frame`` (one row per id in ``ids``) as a payload; None when a column cannot be.

    A text column holding anything but strings and None (which no driver gives) cannot be
    encoded; the caller keeps reading the row store.

    With ``kind`` and ``dictionaries`` (other kinds' stored dictionaries), the payload
    also holds the links of :data:`~busywork.store.text_links.JOINS` between its text
    columns and those, and this frame's dictionaries are added to ``dictionaries``.
    """
    arrays: dict[str, np.ndarray] = {"ids": np.ascontiguousarray(ids, dtype=np.int64)}
    own: Dictionaries = {}
    for position, name in enumerate(frame.columns):
        encoded = _encode_column(frame[name])
        if encoded is None:
            return None
        arrays.update({f"{key}{position}": array for key, array in encoded[0].items()})
        if encoded[1] is not None and kind is not None:
            own[(kind, str(name))] = (encoded[0]["d"].tobytes(), encoded[1])
    if kind is not None and dictionaries is not None:
        for number, (referring, referred, found) in enumerate(_links(kind, own, dictionaries)):
            arrays[f"k{number}"] = found
            arrays[f"K{number}"] = np.frombuffer(referring + referred, dtype=np.uint8)
        dictionaries.update(own)
    arrays["columns"] = _text_bytes([str(name) for name in frame.columns])
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def decode_frame(payload: bytes, names: Sequence[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """The frame of columns ``names`` and its ids that ``payload`` holds.

    The payload may hold more columns (a snapshot written for more detectors): only
    ``names`` are decoded, in that order, and only the links of those.

    Raises:
        UnreadableFrameError: the payload is damaged or lacks one of ``names``.
    """
    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as arrays:
            stored = {name: at for at, name in enumerate(json.loads(arrays["columns"].tobytes()))}
            if not set(names) <= set(stored):
                raise UnreadableFrameError("the payload holds other columns")
            ids = arrays["ids"]
            if ids.dtype != np.int64 or ids.ndim != 1 or np.any(ids[1:] <= ids[:-1]):
                raise UnreadableFrameError("the payload's ids are not increasing int64")
            positions = {name: stored[name] for name in names}
            columns = {
                name: _decode_column(arrays, position, len(ids), name)
                for name, position in positions.items()
            }
            _decode_links(arrays, _named_columns(arrays, columns, positions))
    except DECODE_ERRORS as exc:
        if isinstance(exc, UnreadableFrameError):
            raise
        raise UnreadableFrameError(f"{type(exc).__name__}: {exc}") from exc
    # Each decoded column stays its own block: consolidating them into one 2-D block per
    # dtype copied every column (0.15-0.2 s at a million records), and the detectors ran
    # 0.2-0.4 s slower on the consolidated frames (docs/performance.md).
    return pd.DataFrame(columns, index=pd.RangeIndex(len(ids)), copy=False), ids


def _encode_column(column: pd.Series) -> tuple[dict[str, np.ndarray], np.ndarray | None] | None:
    """The arrays of one column by role, and a text column's distinct values.

    Roles: ``v`` values, ``m`` mask, ``t`` text codes, ``s`` their values NUL-terminated
    (``u``: as JSON, when a value holds a NUL), ``d`` the digest naming those.
    """
    if isinstance(column.dtype, pd.Int64Dtype):
        mask = column.isna().to_numpy()
        return {"v": column.fillna(0).to_numpy(dtype=np.int64), "m": mask}, None
    if column.dtype != object:
        values = column.to_numpy()
        return None if values.dtype == object else ({"v": values}, None)
    values = column.to_numpy()
    codes, uniques = pd.factorize(values)
    texts = pd.api.types.infer_dtype(uniques, skipna=False) in ("string", "empty")
    missing = values[codes < 0].tolist()
    if not texts or missing.count(None) != len(missing):
        return None  # other values than text and None (NaN, numbers): not this format's
    role, stored = _dictionary_bytes(uniques.tolist())
    arrays = {
        "t": codes.astype(_code_type(len(uniques))),
        role: stored,
        "d": np.frombuffer(links.digest(stored.tobytes()), dtype=np.uint8),
    }
    return arrays, np.asarray(uniques, dtype=object)


def _links(
    kind: RecordKind, own: Dictionaries, others: Dictionaries
) -> Iterator[tuple[bytes, bytes, np.ndarray[Any, Any]]]:
    """The links between ``kind``'s dictionaries ``own`` and ``others``: (from, to, positions).

    A dictionary several columns refer to (the customers' e-mails, from invoices and
    appointments) is hashed once.
    """
    indexes: dict[bytes, pd.Index] = {}
    for referring, referred in links.JOINS.items():
        if kind not in (referring[0], referred[0]):
            continue
        source = own.get(referring) if referring[0] == kind else others.get(referring)
        target = own.get(referred) if referred[0] == kind else others.get(referred)
        if source is not None and target is not None:
            among = indexes.setdefault(target[0], pd.Index(target[1], dtype=object))
            yield source[0], target[0], links.positions(source[1], among)


def payload_columns(payload: bytes) -> list[str] | None:
    """The columns ``payload`` holds, in order; None when it cannot be read."""
    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as arrays:
            names = json.loads(arrays["columns"].tobytes())
    except DECODE_ERRORS:
        return None
    return [str(name) for name in names] if isinstance(names, list) else None


def _named_columns(
    arrays: np.lib.npyio.NpzFile, columns: dict[str, pd.Series], positions: dict[str, int]
) -> dict[bytes, Any]:
    """Per dictionary name (digest), the decoded text column's array that came with it."""
    named = {}
    for name, position in positions.items():
        if f"d{position}" in arrays:
            named[arrays[f"d{position}"].tobytes()] = columns[name].array._ndarray
    return named


def _decode_links(arrays: np.lib.npyio.NpzFile, own: dict[bytes, Any]) -> None:
    """Keep the links a payload holds (:mod:`busywork.store.text_links`) while its columns live.

    ``own`` holds the payload's text columns by their dictionaries' names: each link is
    kept as long as the column of this payload it joins.
    """
    for key in arrays.files:
        if not key.startswith("k"):
            continue
        found, named = arrays[key], arrays[f"K{key[1:]}"].tobytes()
        if found.dtype != np.int32 or found.ndim != 1 or len(named) != 32:
            raise UnreadableFrameError(f"link {key[1:]} is not a link")
        if len(found) and (found.min() < -1):
            raise UnreadableFrameError(f"link {key[1:]} has invalid positions")
        referring, referred = named[:16], named[16:]
        owner = own.get(referring, own.get(referred))
        if owner is not None:  # else it joins a column not decoded: of no use here
            links.remember_link(referring, referred, found, owner)


def _decode_column(arrays: np.lib.npyio.NpzFile, position: int, rows: int, name: str) -> pd.Series:
    if f"s{position}" in arrays or f"u{position}" in arrays:
        codes = arrays[f"t{position}"]
        uniques = _dictionary(arrays, position)
        if codes.dtype.kind != "i" or (len(codes) and codes.min() < -1):
            raise UnreadableFrameError(f"column {position} has invalid text codes")
        pooled = np.empty(len(uniques) + 1, dtype=object)  # the last one (-1): None
        pooled[:-1] = uniques
        values = pooled[codes]
        if len(values) != rows:
            raise UnreadableFrameError(f"column {position} has {len(values)} rows, not {rows}")
        # The codes are the column's factorisation: kept, so it is not hashed again.
        named = arrays[f"d{position}"].tobytes() if f"d{position}" in arrays else None
        remember(values, codes, name, named)
        return pd.Series(values, dtype=object, copy=False)  # not inferred as a str dtype
    if f"m{position}" in arrays:
        values = pd.arrays.IntegerArray(arrays[f"v{position}"], arrays[f"m{position}"])
    else:
        values = arrays[f"v{position}"]
        if values.dtype == object:
            raise UnreadableFrameError(f"column {position} is not a numpy dtype")
    if len(values) != rows:
        raise UnreadableFrameError(f"column {position} has {len(values)} rows, not {rows}")
    return pd.Series(values, copy=False)


def _code_type(distinct: int) -> type[np.signedinteger]:
    """The narrowest signed integer type holding codes -1 … ``distinct`` - 1."""
    for code_type in (np.int8, np.int16, np.int32):
        if distinct <= np.iinfo(code_type).max:
            return code_type
    return np.int64


def _dictionary_bytes(values: list[str]) -> tuple[str, np.ndarray]:
    """A text column's distinct values as stored: their role (``s`` or ``u``) and bytes."""
    if any(_END in value for value in values):
        return "u", _text_bytes(values)
    joined = "".join(value + _END for value in values)
    return "s", np.frombuffer(joined.encode(), dtype=np.uint8)


def _dictionary(arrays: np.lib.npyio.NpzFile, position: int) -> list[str]:
    """The distinct values of the text column at ``position`` (:func:`_dictionary_bytes`)."""
    if f"s{position}" in arrays:
        text = arrays[f"s{position}"].tobytes().decode()
        if text and not text.endswith(_END):
            raise UnreadableFrameError(f"column {position} has unterminated text values")
        return text.split(_END)[:-1]
    values = json.loads(arrays[f"u{position}"].tobytes())
    if not isinstance(values, list):
        raise UnreadableFrameError(f"column {position} has no list of text values")
    return values


def _text_bytes(values: list[str]) -> np.ndarray:
    """``values`` as a JSON array in UTF-8, held by a ``uint8`` array."""
    return np.frombuffer(json.dumps(values, ensure_ascii=False).encode(), dtype=np.uint8)
