"""A decoded text column's codes are kept beside it, and are its factorisation."""

from __future__ import annotations

import gc
import io
import tracemalloc
import weakref

import numpy as np
import pandas as pd
import pytest

from busywork.store import text_dictionary
from busywork.store.frame_codec import decode_frame, encode_frame
from busywork.store.text_dictionary import recall
from detectors import _distinct as ds
from detectors._known import known_text
from detectors._shared import detection_pass


def _decoded(names: list[str | None]) -> pd.DataFrame:
    frame = pd.DataFrame({"name": pd.Series(names, dtype=object)})
    payload = encode_frame(frame, np.arange(1, len(names) + 1, dtype=np.int64))
    assert payload is not None
    return decode_frame(payload, ["name"])[0]


@pytest.mark.parametrize("seed", range(20))
def test_the_codes_kept_are_those_factorize_gives_the_decoded_column(seed: int) -> None:
    rng = np.random.default_rng(seed)
    pool = [None, "a", "b", "Zoë", "a ", ""]
    decoded = _decoded([pool[i] for i in rng.integers(0, len(pool), int(rng.integers(0, 30)))])
    column = decoded["name"].to_numpy()

    kept = recall(column)
    codes, values = pd.factorize(column)

    assert kept is not None
    assert kept.codes.tolist() == codes.tolist()
    assert kept.values.tolist() == list(values)
    with detection_pass():
        coded, distinct = ds.text_codes(decoded["name"])
    assert coded.tolist() == codes.tolist()
    assert distinct.tolist() == list(values)


def test_a_decoded_column_is_read_only_so_its_codes_cannot_go_stale() -> None:
    column = _decoded(["a", "b", "a"])["name"].to_numpy()

    with pytest.raises(ValueError, match="read-only"):
        column[0] = "b"


def test_part_of_a_column_or_a_copy_has_no_codes_kept() -> None:
    column = _decoded(["a", "b", "a", None])["name"].to_numpy()

    assert recall(column[1:]) is None
    assert recall(column[::2]) is None
    assert recall(column.copy()) is None
    assert recall(np.array(["a", "b", "a", None], dtype=object)) is None


def test_codes_out_of_order_of_first_appearance_are_not_taken_for_the_factorisation() -> None:
    frame = pd.DataFrame({"name": pd.Series(["a", "b", "a"], dtype=object)})
    payload = encode_frame(frame, np.array([1, 2, 3], dtype=np.int64))
    assert payload is not None
    with np.load(io.BytesIO(payload)) as arrays:
        parts = {key: arrays[key] for key in arrays.files}
    parts["t0"] = np.array([1, 0, 1], dtype=parts["t0"].dtype)  # "b", "a", "b": still text
    buffer = io.BytesIO()
    np.savez(buffer, **parts)  # type: ignore[arg-type]

    decoded = decode_frame(buffer.getvalue(), ["name"])[0]

    assert decoded["name"].tolist() == ["b", "a", "b"]
    assert recall(decoded["name"].to_numpy()) is None
    with detection_pass():
        codes, values = ds.text_codes(decoded["name"])
    assert codes.tolist() == [0, 1, 0]
    assert values.tolist() == ["b", "a"]


def test_the_distinct_values_are_taken_once_while_held_then_again() -> None:
    column = _decoded(["a", "b", "a", None, "c"])["name"].to_numpy()

    first = recall(column)
    assert first is not None
    again = recall(column)
    # Held by a caller: the very array again, the rows not read a second time.
    assert again is not None
    assert again.values is first.values
    del first, again
    gc.collect()

    # Held by nobody: taken from the rows again, and not kept for the column's life.
    taken = recall(column)
    assert taken is not None
    assert taken.values.tolist() == ["a", "b", "c"]
    assert not taken.values.flags.writeable


def test_the_codes_are_forgotten_with_the_column() -> None:
    before = len(text_dictionary._known)
    decoded = _decoded(["a", "b", "a"])
    assert len(text_dictionary._known) == before + 1
    assert len(text_dictionary._named["name"]) >= 1

    del decoded
    gc.collect()

    assert len(text_dictionary._known) == before
    assert "name" not in text_dictionary._named or before


@pytest.mark.parametrize("seed", range(20))
def test_rows_selected_from_a_decoded_column_are_coded_as_their_own_text(seed: int) -> None:
    rng = np.random.default_rng(seed)
    pool = [None, "a", "b", "Zoë", "a ", ""]
    decoded = _decoded([pool[i] for i in rng.integers(0, len(pool), int(rng.integers(1, 30)))])
    mask = rng.random(len(decoded)) < 0.6
    selected = decoded[mask]["name"]  # new memory, the column's very objects, its labels
    shuffled = decoded["name"].iloc[rng.permutation(len(decoded))]

    for rows in (selected, shuffled):
        codes, values = pd.factorize(rows.to_numpy())
        kept = text_dictionary.recall_rows(rows.to_numpy(), rows.index.to_numpy(), "name")
        with detection_pass():
            coded, distinct = ds.text_codes(rows)

        assert kept is not None or len(rows) == 0
        assert coded.tolist() == codes.tolist()
        assert distinct.tolist() == list(values)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rows_selected_from_a_decoded_column_keep_its_codes_and_distinct_values(seed: int) -> None:
    rng = np.random.default_rng(seed)
    pool = [None, "a", "b", "Zoë", "a ", ""]
    decoded = _decoded([pool[i] for i in rng.integers(0, len(pool), 30)])
    selected = decoded[rng.random(len(decoded)) < 0.6]["name"]
    records = pd.DataFrame({"name": pd.Series(["b", "Zoë", "c"], dtype=object)})

    with detection_pass():
        whole_codes, whole_values = ds.text_codes(decoded["name"])
        codes, values = ds.column_codes(selected)
        known = known_text(records, "name")
        positions = known.positions(values)
        again = known.positions(ds.column_codes(decoded["name"].iloc[:3])[1])

    assert values is whole_values  # one answer per distinct value serves every selection
    assert codes.tolist() == whole_codes[selected.index.to_numpy()].tolist()
    rows = [None if code < 0 else values[code] for code in codes]
    assert rows == [None if pd.isna(value) else value for value in selected]
    assert positions.tolist() == [
        ["b", "Zoë", "c"].index(v) if v in ("b", "Zoë") else -1 for v in values
    ]
    assert again is positions


def test_rows_holding_equal_but_other_objects_are_not_taken_for_the_column_rows() -> None:
    decoded = _decoded(["ab", "cd", "ab"])
    copies = pd.Series(["".join(("a", "b")), "cd", "ab"], dtype=object)  # another "ab"

    assert text_dictionary.recall_rows(copies.to_numpy(), np.arange(3), "name") is None
    assert text_dictionary.recall_rows(decoded["name"].to_numpy(), np.arange(3), "name") is not None
    with detection_pass():
        coded, distinct = ds.text_codes(copies)
    assert coded.tolist() == [0, 1, 0]
    assert distinct.tolist() == ["ab", "cd"]


def test_rows_whose_labels_are_not_positions_in_the_column_are_coded_by_their_text() -> None:
    decoded = _decoded(["a", "b", "c"])
    rows = decoded["name"].iloc[[2, 0]]

    assert text_dictionary.recall_rows(rows.to_numpy(), np.array([0, 2]), "name") is None
    assert text_dictionary.recall_rows(rows.to_numpy(), np.array([2, 3]), "name") is None
    assert text_dictionary.recall_rows(rows.to_numpy(), np.array([2, 0]), "name") is not None
    assert text_dictionary.recall_rows(rows.to_numpy(), np.array([2, 0]), "other") is None


def test_rows_converted_to_pandas_text_keep_their_codes_where_nulls_became_nan() -> None:
    decoded = _decoded(["a", None, "b", "a", None])
    as_text = decoded["name"].astype("str").iloc[[4, 3, 1, 0]]  # None written as NaN
    rows = as_text.to_numpy(dtype=object)

    kept = text_dictionary.recall_rows(rows, as_text.index.to_numpy(), "name")
    with detection_pass():
        coded, distinct = ds.text_codes(as_text)

    assert kept is not None
    assert kept.tolist() == [-1, 0, -1, 0]
    assert coded.tolist() == [-1, 0, -1, 0]
    assert distinct.tolist() == ["a"]


def test_a_nan_where_the_column_holds_a_value_is_not_taken_for_its_row() -> None:
    decoded = _decoded(["a", "b"])
    rows = np.array([decoded["name"].iloc[0], np.nan], dtype=object)

    assert text_dictionary.recall_rows(rows, np.array([0, 1]), "name") is None


def test_a_column_of_distinct_values_keeps_no_codes_and_still_gives_them() -> None:
    decoded = _decoded(["c", "a", "b"])
    column = decoded["name"].to_numpy()
    entry = text_dictionary._known[text_dictionary._address(column)]

    kept = recall(column)
    rows = text_dictionary.recall_rows(column[[2, 0]].copy(), np.array([2, 0]), "name")

    assert entry.codes is None
    assert kept is not None
    assert kept.codes.tolist() == [0, 1, 2]
    assert kept.values.tolist() == ["c", "a", "b"]
    assert rows is not None
    assert rows.tolist() == [2, 0]


def test_object_addresses_are_the_objects_ids_and_keep_their_array_alive() -> None:
    values = np.array(["a", None, "b", "a", 7], dtype=object)
    gone = weakref.ref(values)
    addresses = text_dictionary._object_addresses(values)
    assert addresses.tolist() == [id(value) for value in values]
    assert addresses[::2].tolist() == text_dictionary._object_addresses(values[::2]).tolist()
    del values
    gc.collect()
    assert gone() is not None  # the view of its memory holds it
    del addresses
    gc.collect()
    assert gone() is None


def test_object_addresses_of_arrays_of_many_lengths_leave_nothing_behind() -> None:
    # A worker codes rows of every length: no type or buffer may be kept per length.
    def addresses_of_lengths(start: int) -> None:
        for length in range(start, start + 300):
            text_dictionary._object_addresses(np.empty(length, dtype=object))

    addresses_of_lengths(1)  # the first calls' one-off allocations
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        addresses_of_lengths(1_000)
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 20_000  # ctypes kept a type per length: over 300 kB here
