"""Tests for subject keys written from the ids' codes, and their own codes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detectors import _frames as fr
from detectors._codes import frequent, frequent_rows
from detectors._shared import detection_pass
from detectors._subject_keys import IdKeys, subject_keys


def _same_groups(codes: np.ndarray, key: pd.Series) -> None:
    """``codes`` group the rows as the keys' text does (a null key: -1)."""
    grouped = pd.factorize(pd.Series(codes).where(codes >= 0))[0]
    np.testing.assert_array_equal(grouped, pd.factorize(key)[0])


@pytest.mark.parametrize("seed", range(3))
def test_keys_of_rows_by_id_codes_equal_the_subject_key_of_their_ids(seed: int) -> None:
    rng = np.random.default_rng(seed)
    ids = np.array(["C1", "c1", "C 2", "Zoë", "C1"], dtype=object)  # C1: in two sources
    codes = rng.integers(-1, len(ids), 200)
    names = pd.Series(
        rng.choice(np.array(["Dr Ann Lee", "ann lee", " ", None, "Bo"], dtype=object), 200),
        index=rng.permutation(1000)[:200],
    )

    keyed = IdKeys.of(ids).of_rows(codes, names)
    key, key_code = keyed.text, keyed.codes

    primary = pd.Series(np.append(ids, None)[codes], index=names.index, dtype=object)
    pd.testing.assert_series_equal(key, fr.subject_key(primary, names))
    assert key[(codes == 1)].eq("id:c1").all()
    _same_groups(key_code, key)


def test_keys_of_rows_without_an_id_are_their_names_keys() -> None:
    names = pd.Series(["Ann Lee", None, "ann  lee"], dtype=object)

    keyed = IdKeys.of(np.array([], dtype=object)).of_rows(np.array([-1, -1, -1]), names)
    key, key_code = keyed.text, keyed.codes

    assert key.iloc[0] == key.iloc[2] == "name:ann lee"
    assert pd.isna(key.iloc[1])
    assert key_code[0] == key_code[2] >= 0
    assert key_code[1] == -1


@pytest.mark.parametrize("seed", range(5))
def test_frequent_rows_are_those_of_keys_with_enough_rows(seed: int) -> None:
    rng = np.random.default_rng(seed)
    key = pd.Series(rng.choice(np.array(["a", "b", "c", None], dtype=object), 50), dtype="str")
    least = int(rng.integers(0, 15))
    frame = pd.DataFrame({"key": key})

    kept = frequent_rows(pd.factorize(key)[0].astype(np.int64), least)

    pd.testing.assert_frame_equal(frame[kept], frequent(frame, least))


def test_frequent_rows_never_keep_a_null_key() -> None:
    assert frequent_rows(np.array([-1, -1, 0], dtype=np.int64), 1).tolist() == [False, False, True]


@pytest.mark.parametrize("seed", range(5))
def test_a_frames_subject_keys_are_its_subject_key_with_codes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "customer_id": rng.choice(np.array(["C1", "c1", "", "Zoë", None], dtype=object), 60),
            "customer_name": rng.choice(
                np.array(["Dr Ann Lee", "ann lee", " ", None], dtype=object), 60
            ),
        },
        index=rng.permutation(500)[:60],
    )

    keyed = subject_keys(frame, "customer_id", "customer_name")

    expected = fr.subject_key(frame["customer_id"], frame["customer_name"])
    pd.testing.assert_series_equal(keyed.text, expected)
    _same_groups(keyed.codes, expected)


def test_a_frames_subject_keys_are_worked_out_once_per_pass() -> None:
    frame = pd.DataFrame({"customer_id": ["C1", None], "customer_name": ["Ann", "Bo"]})
    with detection_pass():
        first = subject_keys(frame, "customer_id", "customer_name")
        assert subject_keys(frame, "customer_id", "customer_name") is first
    assert subject_keys(frame, "customer_id", "customer_name") is not first
