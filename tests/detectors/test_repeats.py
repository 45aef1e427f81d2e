"""Which records repeat an earlier one: the duplicates, what they repeat, across systems."""

from __future__ import annotations

import pandas as pd

from detectors._repeats import mark_repeats


def _records(*rows: tuple[str, str, str, str | None]) -> pd.DataFrame:
    """Records of one subject and amount: (id, issue date, source, supplier reference)."""
    return pd.DataFrame(
        {
            "key": "id:acme",
            "cents": 12_000,
            "currency": "GBP",
            "content": "lines:2",
            "source_id": [row[0] for row in rows],
            "issued": pd.to_datetime([row[1] for row in rows]),
            "source": [row[2] for row in rows],
            "number": pd.Series([row[3] for row in rows], dtype=object),
            "matched": "lines",
        }
    )


def test_a_repeat_within_the_gap_is_a_duplicate_of_the_record_before_it() -> None:
    records = _records(
        ("B", "2026-03-02", "xero", None),
        ("A", "2026-03-01", "stripe", None),
        ("C", "2026-04-20", "xero", None),
    )
    marked = mark_repeats(records, 3, by_number=False)
    assert marked["source_id"].tolist() == ["A", "B", "C"]
    assert marked["duplicate"].tolist() == [False, True, False]
    assert marked["original"].tolist() == [True, False, False]
    assert marked["cross"].tolist() == [False, True, False]


def test_the_same_supplier_reference_is_a_repeat_however_far_apart() -> None:
    records = _records(("A", "2026-03-01", "xero", "R-7"), ("B", "2026-06-01", "xero", "R-7"))
    marked = mark_repeats(records, 3, by_number=True)
    assert marked["duplicate"].tolist() == [False, True]
    assert marked["original"].tolist() == [True, False]
    assert marked["matched"].tolist() == ["lines", "number"]
    assert not mark_repeats(records, 3, by_number=False)["duplicate"].any()
