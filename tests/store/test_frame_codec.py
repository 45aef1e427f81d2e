from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from busywork.store.frame_codec import (
    UnreadableFrameError,
    decode_frame,
    encode_frame,
    payload_columns,
)


def _frame() -> tuple[pd.DataFrame, np.ndarray]:
    frame = pd.DataFrame(
        {
            "source": pd.Series(["books", "books", "shop", "books"], dtype=object),
            "name": pd.Series(["Zoë", None, "Zoë", '名前 "quoted"\n'], dtype=object),
            "empty": pd.Series([None, None, None, None], dtype=object),
            "total": [1.5, np.nan, -0.0, 1e300],
            "issued_on": pd.to_datetime(["2026-01-02", None, "1970-01-01", "2262-04-11"]).astype(
                "datetime64[ns]"
            ),
            "line_no": pd.array([1, None, -3, 2**62], dtype="Int64"),
            "active": [True, False, True, False],
        }
    )
    return frame, np.array([3, 5, 8, 1_000_000_007], dtype=np.int64)


def test_a_decoded_frame_equals_the_encoded_one() -> None:
    frame, ids = _frame()
    payload = encode_frame(frame, ids)
    assert payload is not None
    decoded, decoded_ids = decode_frame(payload, list(frame.columns))
    pd.testing.assert_frame_equal(decoded, frame, check_exact=True)
    np.testing.assert_array_equal(decoded_ids, ids)
    names = decoded["name"].to_numpy()
    assert names[0] is names[2]  # one object per distinct value


def test_decoded_columns_are_not_copied_into_shared_blocks() -> None:
    frame, ids = _frame()
    payload = encode_frame(frame, ids)
    assert payload is not None
    decoded, _ = decode_frame(payload, list(frame.columns))
    # One block per column: nothing was copied to consolidate columns of one dtype.
    assert decoded._mgr.nblocks == len(frame.columns)


def test_an_empty_frame_keeps_its_columns_and_dtypes() -> None:
    frame, ids = _frame()
    payload = encode_frame(frame.iloc[:0].reset_index(drop=True), ids[:0])
    assert payload is not None
    decoded, decoded_ids = decode_frame(payload, list(frame.columns))
    pd.testing.assert_frame_equal(decoded, frame.iloc[:0].reset_index(drop=True))
    assert decoded_ids.dtype == np.int64
    assert len(decoded_ids) == 0


@pytest.mark.parametrize("odd", [7, float("nan"), b"bytes"])
def test_text_columns_holding_other_values_are_not_encoded(odd: object) -> None:
    frame, ids = _frame()
    frame["name"] = pd.Series(["a", odd, "b", None], dtype=object)
    assert encode_frame(frame, ids) is None


def test_a_column_the_payload_lacks_is_refused() -> None:
    frame, ids = _frame()
    payload = encode_frame(frame, ids)
    assert payload is not None
    with pytest.raises(UnreadableFrameError, match="other columns"):
        decode_frame(payload, ["source", "customer_id"])


def test_some_of_the_payloads_columns_decode_in_the_order_asked() -> None:
    frame, ids = _frame()
    payload = encode_frame(frame, ids)
    assert payload is not None
    assert payload_columns(payload) == list(frame.columns)
    decoded, decoded_ids = decode_frame(payload, ["line_no", "name", "total"])
    pd.testing.assert_frame_equal(decoded, frame[["line_no", "name", "total"]], check_exact=True)
    assert decoded_ids.tolist() == ids.tolist()
    assert payload_columns(b"not a payload") is None


@pytest.mark.parametrize(
    "damage",
    [
        lambda payload: payload[: len(payload) // 2],
        lambda payload: b"not a zip file at all",
        lambda payload: payload.replace(b"Zo\xc3\xab", b"Zo\xc3\xac"),  # CRC mismatch
    ],
)
def test_a_damaged_payload_is_refused_not_misread(damage: object) -> None:
    frame, ids = _frame()
    payload = encode_frame(frame, ids)
    assert payload is not None
    with pytest.raises(UnreadableFrameError):
        decode_frame(damage(payload), list(frame.columns))  # type: ignore[operator]


def test_a_payload_holding_pickled_objects_is_refused() -> None:
    frame, ids = _frame()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, array in {"ids": ids, "columns": np.array(["x"], dtype=object)}.items():
            with archive.open(f"{name}.npy", "w") as member:
                np.save(member, array, allow_pickle=True)
    with pytest.raises(UnreadableFrameError):
        decode_frame(buffer.getvalue(), list(frame.columns))


def _members(payload: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(payload)) as arrays:
        return {key: arrays[key] for key in arrays.files}


def _payload(members: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **members)  # type: ignore[arg-type]
    return buffer.getvalue()


@pytest.mark.parametrize(
    "values",
    [
        ["Zoë", "", " ", '名前 "quoted"\n', "a,b"],  # NUL-terminated
        ["nul\x00inside", "plain"],  # a value holding the terminator: JSON
        [""],
    ],
)
def test_text_values_round_trip_whatever_they_hold(values: list[str]) -> None:
    frame = pd.DataFrame({"name": pd.Series([*values, None, values[0]], dtype=object)})
    ids = np.arange(1, len(frame) + 1, dtype=np.int64)
    payload = encode_frame(frame, ids)
    assert payload is not None
    decoded, _ = decode_frame(payload, ["name"])
    assert decoded["name"].tolist() == frame["name"].tolist()
    terminated = not any("\x00" in value for value in values)
    assert ("s0" in _members(payload)) is terminated
    assert ("u0" in _members(payload)) is not terminated


def test_the_distinct_values_are_stored_nul_terminated() -> None:
    frame = pd.DataFrame({"name": pd.Series(["b", None, "a", "b"], dtype=object)})
    payload = encode_frame(frame, np.arange(1, 5, dtype=np.int64))
    assert payload is not None
    assert _members(payload)["s0"].tobytes() == b"b\x00a\x00"


@pytest.mark.parametrize("stored", [b"b\x00a", b"b\x00\xff\x00"])  # unterminated, not UTF-8
def test_damaged_text_values_are_refused(stored: bytes) -> None:
    frame = pd.DataFrame({"name": pd.Series(["b", None, "a", "b"], dtype=object)})
    payload = encode_frame(frame, np.arange(1, 5, dtype=np.int64))
    assert payload is not None
    members = _members(payload)
    members["s0"] = np.frombuffer(stored, dtype=np.uint8)
    with pytest.raises(UnreadableFrameError):
        decode_frame(_payload(members), ["name"])
