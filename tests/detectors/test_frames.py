"""Frame helpers the detectors share: windows, evidence ids, subjects."""

from __future__ import annotations

import pandas as pd

from detectors import _frames as fr
from tests.detectors.snapshot_factories import as_stored


def test_a_window_keeps_its_rows_of_the_columns_asked_for_in_the_frame_s_order() -> None:
    raw = pd.DataFrame(
        {
            "source_id": pd.Series(["a", "b", "c", "d"], dtype=object),
            "note": pd.Series(["x", "y", "z", "w"], dtype=object),
            "day": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-10", "2024-01-20"]),
        }
    )
    after, upto = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-10")

    whole = fr.in_window(raw, raw["day"], after, upto)
    narrow = fr.in_window(raw, raw["day"], after, upto, {"day", "source_id", "absent"})

    assert whole["source_id"].tolist() == ["b", "c"]  # (after, upto]
    assert list(whole.columns) == ["source_id", "note", "day"]
    assert list(narrow.columns) == ["source_id", "day"]
    assert narrow.index.tolist() == whole.index.tolist() == [1, 2]


def test_evidence_ids_are_the_distinct_non_null_values_as_sorted_text() -> None:
    stored = as_stored(pd.DataFrame({"source_id": pd.Series(["b", None, "a", "b"], dtype=object)}))
    rows = stored["source_id"].iloc[[3, 1, 0]]

    assert fr.sorted_strings(stored["source_id"]) == ("a", "b")
    assert fr.sorted_strings(rows, fr.as_text(rows)) == ("b",)
    assert fr.sorted_strings(pd.Series([2, None, "10", 1.5], dtype=object)) == ("1.5", "10", "2")


def test_a_row_has_a_subject_by_its_id_or_else_a_name_that_cleans() -> None:
    stored = as_stored(
        pd.DataFrame(
            {
                "customer_id": pd.Series(["c1", None, None, "c2"], dtype=object),
                "customer_name": pd.Series([None, "Acme Ltd", "  ", None], dtype=object),
            }
        )
    )
    for frame in (stored, stored.iloc[[3, 2, 1, 0]]):
        expected = [True, True, False, True] if frame is stored else [True, False, True, True]
        assert fr.has_subject(frame["customer_id"], frame["customer_name"]).tolist() == expected
