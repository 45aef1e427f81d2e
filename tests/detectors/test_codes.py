"""Integer codes and the fast sorts and look-ups built on them agree with plain pandas."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from detectors import _frames as fr
from detectors._codes import (
    Codes,
    combine,
    factor,
    first_per_code,
    first_per_group,
    first_rows,
    frequent,
    owners,
    prefix_owners,
    text_values,
)
from detectors._ordering import lexsorted, sort_keyed


def _records(seed: int, rows: int = 3_000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    keys = ["id:b", "id:a", "name:zoë", "id:B", "id:a ", None, "id:10", "id:9"]
    frame = pd.DataFrame(
        {
            "key": pd.Series(rng.choice(np.array(keys, dtype=object), rows), dtype="str"),
            "issued": pd.to_datetime(rng.integers(0, 20, rows), unit="D"),
            "source_id": pd.Series(
                rng.choice(np.array(["x1", "x10", "x2", "X", None], dtype=object), rows),
                dtype="str",
            ),
            "amount": rng.random(rows),
        }
    )
    frame.loc[rng.integers(0, rows, 40), "issued"] = pd.NaT
    return frame


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sort_keyed_orders_rows_exactly_as_sort_values(seed: int) -> None:
    frame = _records(seed)
    expected = frame.sort_values(["key", "issued", "source_id"]).reset_index(drop=True)
    assert sort_keyed(frame, "issued").equals(expected)


def _expected_order(keys: list[np.ndarray], ids: pd.Series) -> list[int]:
    columns = {f"key{number}": key for number, key in enumerate(keys)}
    frame = pd.DataFrame({**columns, "id": ids})
    return frame.sort_values([*columns, "id"], kind="stable").index.tolist()


@pytest.mark.parametrize(
    "spread",
    [
        10,  # codes: offset into one joint key
        10**15,  # sparse values (timestamps): ranked into one joint key
    ],
)
def test_lexsorted_orders_rows_by_every_key_then_id(spread: int) -> None:
    rng = np.random.default_rng(spread % 97)
    rows = 2_000
    keys = [
        (rng.integers(0, 30, rows) * spread).astype(np.int64),
        rng.integers(-1, 25, rows).astype(np.int64),
    ]
    ids = pd.Series(rng.choice(np.array(["x1", "x10", "x2", "X", None], dtype=object), rows))
    assert lexsorted(keys, ids).tolist() == _expected_order(keys, ids)


def test_lexsorted_sorts_key_by_key_when_the_keys_do_not_fit_one_integer() -> None:
    rng = np.random.default_rng(7)
    rows = 2_000
    # Seven keys of about 2,000 distinct values each: 2,000**7 is more than 2**62.
    keys = [rng.integers(0, 2**40, rows).astype(np.int64) for _ in range(7)]
    keys[0][: rows // 2] = 5  # ties on the first key, ordered by the next ones
    ids = pd.Series(rng.choice(np.array(["x1", "x2", None], dtype=object), rows))
    assert lexsorted(keys, ids).tolist() == _expected_order(keys, ids)


def test_sort_keyed_leaves_its_input_alone() -> None:
    frame = _records(4)
    before = frame.copy()
    sort_keyed(frame, "issued")
    assert frame.equals(before)


def test_frequent_keeps_only_keys_seen_often_enough() -> None:
    frame = pd.DataFrame({"key": pd.Series(["a", "b", "a", None, "a", "b", "c"], dtype="str")})
    assert frequent(frame, 2)["key"].tolist() == ["a", "b", "a", "a", "b"]
    assert frequent(frame, 3)["key"].tolist() == ["a", "a", "a"]
    assert frequent(frame.iloc[:0], 2).empty


def test_equal_cleaned_values_share_a_code_across_columns() -> None:
    first = pd.Series([" Ann@X.com", None, "no-at-sign"], dtype=object)
    second = pd.Series(["ann@x.com", "bo@y.org"], dtype=object)
    coded = Codes.of([first, second], fr.clean_email)
    assert coded.codes.tolist() == [0, -1, -1, 0, 1]
    assert coded.values.tolist() == ["ann@x.com", "bo@y.org"]


def test_cleaning_codes_already_made_gives_what_coding_with_the_cleaning_gives() -> None:
    column = pd.Series(["B@y.org", " ann@x.com", None, "ANN@X.COM", "no-at-sign", "b@y.org"])
    cleaned = Codes.of([column]).cleaned(fr.clean_email)
    at_once = Codes.of([column], fr.clean_email)
    assert cleaned.codes.tolist() == at_once.codes.tolist()
    assert cleaned.values.tolist() == at_once.values.tolist()
    assert cleaned.codes.tolist() == [0, 1, -1, 1, -1, 0]
    assert cleaned.values.tolist() == ["b@y.org", "ann@x.com"]


def test_first_rows_are_where_each_code_first_appears() -> None:
    codes = factor(pd.Series([None, "b", "a", "b", None, "c", "a"]))
    assert first_rows(codes).tolist() == [1, 2, 5]
    assert first_rows(np.array([], dtype=np.int64)).tolist() == []
    assert first_rows(np.array([-1, -1], dtype=np.int64)).tolist() == []


def test_a_value_shared_by_two_customers_identifies_neither() -> None:
    values = np.array([0, 0, 1, 1, 2, -1], dtype=np.int64)
    customers = np.array([5, 5, 5, 6, -1, 7], dtype=np.int64)
    assert owners(values, customers, 4).tolist() == [5, -1, -1, -1]


@pytest.mark.parametrize("seed", range(4))
def test_owners_agree_with_counting_each_value_s_customers(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.integers(-1, 30, 400)
    customers = rng.integers(-1, 60, 400)
    seen: dict[int, set[int]] = {}
    for value, customer in zip(values.tolist(), customers.tolist(), strict=True):
        if value >= 0 and customer >= 0:
            seen.setdefault(value, set()).add(customer)
    expected = [min(seen[v]) if len(seen.get(v, ())) == 1 else -1 for v in range(35)]
    assert owners(values, customers, 35).tolist() == expected


def test_first_label_per_code_skips_missing_names() -> None:
    codes = np.array([1, 0, 1, -1, 0], dtype=np.int64)
    text = pd.Series([None, "Ann", "Bob", "Nobody", "Later"], dtype="str")
    value_codes, values = pd.factorize(text)
    assert first_per_code(codes, value_codes, values.to_numpy(dtype=object), 3).tolist() == [
        "Ann",
        "Bob",
        None,
    ]


def test_prefix_owners_match_short_first_names_with_the_same_last_name() -> None:
    names = np.array(
        ["jonathan smith", "jon smith", "jo smith", "kate jones", "katherine jones"], dtype=object
    )
    known = np.array([0, 4, 4], dtype=np.int64)  # directory rows: their name codes...
    customers = np.array([10, 11, 12], dtype=np.int64)  # ...and customers
    wanted = np.array([1, 2, 3, -1], dtype=np.int64)
    # "jon" prefixes "jonathan" (10); "jo" is below three characters; "kate" prefixes
    # nothing ("katherine" starts "kath"), and "katherine jones" is two customers anyway.
    assert prefix_owners(names, known, customers, wanted, 3).tolist() == [10, -1, -1, -1]


def test_factor_numbers_values_by_first_appearance_and_nulls_minus_one() -> None:
    assert factor(pd.Series(["b", None, "a", "b"])).tolist() == [0, -1, 1, 0]


def test_combine_gives_one_code_per_distinct_tuple_with_null_a_value_of_its_own() -> None:
    ids = np.array([0, 0, 1, -1, 0, -1])
    sources = np.array([0, 1, 0, 0, 0, 0])
    assert combine(ids, sources).tolist() == [0, 1, 2, 3, 0, 3]


def test_combine_does_not_confuse_neighbouring_codes() -> None:
    # (1, -1) and (0, big) would meet under a naive a * width + b without the null shift.
    left = np.array([1, 0])
    right = np.array([-1, 3])
    assert combine(left, right).tolist() == [0, 1]


def test_combine_keeps_tuples_apart_when_they_do_not_fit_one_integer() -> None:
    # Five columns of 20,001 values (-1 to 19,999): a tuple written as one integer in base
    # 20,001 needs 72 bits. Written so, the first row is 2**64 and the second 0: one and
    # the same 64-bit integer.
    rows = [(114, 5381, 3346, 2176, 594), (-1, -1, -1, -1, -1), (19_999,) * 5, (-1,) * 5]
    columns = [np.array(column, dtype=np.int64) for column in zip(*rows, strict=True)]
    assert combine(*columns).tolist() == [0, 1, 2, 1]


def test_first_per_group_gives_each_row_its_group_s_first_value() -> None:
    group = np.array([2, 0, 2, 1, 0])
    value = np.array([10, 11, 12, 13, 14])
    assert first_per_group(group, value).tolist() == [10, 11, 10, 13, 11]


def test_a_clean_address_is_kept_as_its_own_object_and_others_are_cleaned() -> None:
    clean = "".join(["ann", "@example.com"])  # built at run time: not a shared constant
    assert fr.clean_email(clean) is clean
    assert fr.clean_email(" Ann@Example.com ") == "ann@example.com"
    assert fr.clean_email("no address") is None


def _copied(text: str) -> str:
    """The text as an equal, new string: a cleaning that changes no value but returns copies."""
    return (text + ".")[:-1]


@pytest.mark.parametrize("clean", [str, _copied])
def test_a_cleaning_that_changes_no_value_keeps_the_codes(clean: Callable[[str], str]) -> None:
    column = pd.Series(["b@y.org", None, "ann@x.com", "b@y.org", "c@z.net"], dtype=object)
    coded = Codes.of([column])

    cleaned = coded.cleaned(clean)

    assert cleaned.codes.tolist() == coded.codes.tolist() == [0, -1, 1, 0, 2]
    assert cleaned.values.tolist() == ["b@y.org", "ann@x.com", "c@z.net"]
    assert cleaned.codes.dtype == np.int64


def test_values_cleaned_to_themselves_still_merge_with_a_value_cleaned_into_them() -> None:
    column = pd.Series(["ann@x.com", "b@y.org", "ANN@X.com"], dtype=object)

    cleaned = Codes.of([column]).cleaned(fr.clean_email)

    assert cleaned.codes.tolist() == [0, 1, 0]
    assert cleaned.values.tolist() == ["ann@x.com", "b@y.org"]


def test_text_values_reads_a_column_of_strings_and_nulls_as_it_is() -> None:
    column = pd.Series(["b", None, "a", np.nan], dtype=object)
    values = text_values(column)
    assert np.shares_memory(values, column.to_numpy())  # not converted: the same array
    assert Codes.of([column]).codes.tolist() == [0, -1, 1, -1]


def test_text_values_writes_other_values_as_text() -> None:
    mixed = pd.Series([7, "7", None, 2.5], dtype=object)
    values = text_values(mixed)
    assert values[[0, 1, 3]].tolist() == ["7", "7", "2.5"]
    assert pd.isna(values[2])
    coded = Codes.of([mixed, pd.Series([7, 3])])
    assert coded.codes.tolist() == [0, 0, -1, 1, 0, 2]
    assert coded.values.tolist() == ["7", "2.5", "3"]
