"""Driver values: columns converted together are what each column converted alone gives."""

from __future__ import annotations

import pandas as pd

from busywork.store.driver import driver_columns, driver_values
from busywork.store.records import Bill

BILLS = Bill.__table__  # type: ignore[attr-defined]


def test_date_time_columns_converted_together_agree_with_each_alone() -> None:
    frame = pd.DataFrame(
        {
            "source_id": ["B1", "B2", "B3"],
            "approved_at": pd.to_datetime(
                ["2026-04-01 09:30:15.123456", None, "1969-12-31 23:59:59"],
                utc=True,
                format="ISO8601",
            ),
            # The same instant as another column's, one of its own, and none.
            "paid_at": pd.to_datetime(
                ["2026-04-01 09:30:15.123456", "2024-02-29", None], utc=True, format="ISO8601"
            ),
            "created_at": pd.Series([None, None, None], dtype="datetime64[ns, UTC]"),
            "issued_on": pd.to_datetime(["2026-03-31", "2024-02-29", None]),
        }
    )
    names = list(frame.columns)
    for dialect in ("sqlite", "postgresql"):
        together = driver_columns(frame, BILLS, names, dialect)
        alone = {name: driver_values(frame[name], BILLS.c[name].type, dialect) for name in names}
        assert together == alone
        assert list(together) == names
    sqlite = driver_columns(frame, BILLS, names, "sqlite")
    assert sqlite["paid_at"] == ["2026-04-01 09:30:15.123456", "2024-02-29 00:00:00.000000", None]
    assert sqlite["approved_at"][2] == "1969-12-31 23:59:59.000000"
    assert sqlite["created_at"] == [None, None, None]
