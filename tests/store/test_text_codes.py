"""Text columns as codes into their distinct values: the same trimmed text, fewer passes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from busywork.store.column_types import ColumnSpec, LogicalType, _convert_time, _numbers
from busywork.store.frames import validate_records
from busywork.store.hashing import content_hashes
from busywork.store.records import RecordKind
from busywork.store.text_codes import TextCodes, text_codes


def test_cells_are_trimmed_blank_ones_missing_and_measured_after_trimming() -> None:
    cells = np.array(["paid", " paid", "", "  ", "open ", "paid", "é "], dtype=object)
    coded, lengths = text_codes(cells)
    assert coded.column().tolist() == ["paid", "paid", None, None, "open", "paid", "é"]
    assert lengths.tolist() == [4, 4, 0, 0, 4, 4, 1]
    assert (coded.codes < 0).tolist() == [False, False, True, True, False, False, False]


def test_each_value_is_held_once_and_rows_sharing_it_share_its_object() -> None:
    coded, _ = text_codes(np.array(["GBP", "GBP ", "EUR", " GBP"], dtype=object))
    assert coded.values.tolist() == ["GBP", "EUR"]
    assert coded.codes.tolist() == [0, 0, 1, 0]
    column = coded.column()
    assert column[0] is column[1] is column[3]


def test_rows_and_compact_codes_keep_each_rows_value() -> None:
    coded = TextCodes(np.array([0, -1, 1, 0]), np.array(["a", "b"], dtype=object))
    assert coded.rows(np.array([True, True, False, True])).column().tolist() == ["a", None, "a"]
    assert coded.compact().codes.dtype == np.int32
    assert coded.compact().column().tolist() == coded.column().tolist()


def test_validation_codes_csv_text_and_hashes_from_the_codes_agree() -> None:
    raw = pd.DataFrame(
        {
            "source_id": ["I1", "I2", "I3", "I4"],
            "customer_id": [" C1", "C2 ", "", "C1"],
            "issued_on": ["2026-01-31", "2026-02-01", "bad", "2026-02-02"],
            "total": ["12.5", "-3", "1", "4"],
            "currency": ["GBP", "GBP", "GBP", " GBP"],
            "status": ["paid", "open", "open", "open"],
        },
        dtype=object,
    )
    result = validate_records(RecordKind.INVOICE, raw)
    assert set(result.text_codes) <= result.text_columns
    assert {"source_id", "customer_id", "currency", "status"} <= set(result.text_codes)
    for name, coded in result.text_codes.items():  # aligned with the rows kept
        assert coded.column().tolist() == result.frame[name].tolist()
    frame = result.frame
    told = content_hashes(frame, result.text_columns, result.text_codes).tolist()
    assert told == content_hashes(frame).tolist()


@pytest.mark.parametrize(
    "cells",
    [
        ["1", "2", "2", "3"],
        ["1", " ", "2", ""],
        ["1.5", "x", "2", "1.5"],
        ["9007199254740993", "1", "9007199254740993"],
        ["-1", "18446744073709551615", "3"],
        ["inf", "-Infinity", "1e400", " 7 "],
        ["", "", ""],
    ],
)
def test_numbers_parsed_once_per_distinct_text_equal_those_parsed_per_row(
    cells: list[str],
) -> None:
    coded, _ = text_codes(np.array(cells, dtype=object))
    values = pd.Series(coded.column(), dtype=object, name="amount")
    expected = pd.to_numeric(values, errors="coerce")
    pd.testing.assert_series_equal(_numbers(values, coded), expected)


@pytest.mark.parametrize(
    "cells",
    [
        ["2026-01-31T09:30:00Z", "2026-01-31T09:30:00Z", "", "2026-03-29T01:30:00Z"],
        ["2026-01-31 09:30", "not a time", "2026-03-29 01:30", " 2026-10-25 01:30 "],
        ["2026-01-31T09:30:00+01:00", "2026-01-31T09:30:00", ""],  # mixed: value by value
        ["2026-01-31T09:30:00.123456789Z", "2026-01-31T09:30:00Z"],
        ["", " "],
    ],
)
@pytest.mark.parametrize("kind", ["date", "datetime"])
def test_times_parsed_once_per_distinct_text_equal_those_parsed_per_row(
    cells: list[str], kind: LogicalType
) -> None:
    coded, _ = text_codes(np.array(cells, dtype=object))
    values = pd.Series(coded.column(), dtype=object, name="at")
    present = coded.codes >= 0
    spec = ColumnSpec("at", kind, required=False)
    once, once_invalid = _convert_time(values, present, spec, "Europe/London", None, coded)
    per_row, per_row_invalid = _convert_time(values, present, spec, "Europe/London", None)
    pd.testing.assert_series_equal(once, per_row)
    assert once_invalid.tolist() == per_row_invalid.tolist()
