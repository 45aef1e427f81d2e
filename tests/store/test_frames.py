from __future__ import annotations

import pandas as pd

from busywork.store.frames import content_hashes, validate_records
from busywork.store.records import RecordKind


def _raw(**columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns, dtype=object)


def test_bad_rows_are_reported_by_row_and_column_and_good_rows_kept() -> None:
    raw = _raw(
        source_id=["A", "B", "", "D"],
        issued_on=["2026-01-02", "2026-13-01", "2026-01-03", "2026-01-04"],
        total=["10.5", "x", "3", "4"],
        currency=["GBP"] * 4,
        status=["paid", "open", "open", "bogus"],
    )
    result = validate_records(RecordKind.INVOICE, raw)
    assert result.frame["source_id"].tolist() == ["A"]
    assert result.kept_rows == (0,)
    assert [(p.row, p.column) for p in result.problems] == [
        (1, "issued_on"),
        (1, "total"),
        (2, "source_id"),
        (3, "status"),
    ]
    assert "'bogus' is not one of draft, open, paid, void" in result.problems[-1].message


def test_types_defaults_and_timezones() -> None:
    raw = _raw(
        source_id=["A", "B"],
        start_at=["2026-07-01 09:00", "2026-01-05T09:00:00Z"],
        end_at=["2026-07-01T10:00:00+01:00", "2026-01-05 10:00"],
        status=["", "no_show"],
    )
    frame = validate_records(RecordKind.APPOINTMENT, raw, timezone="Europe/London").frame
    # 09:00 London summer time is 08:00 UTC; naive winter times equal UTC.
    assert frame["start_at"].dt.hour.tolist() == [8, 9]
    assert frame["end_at"].dt.hour.tolist() == [9, 10]
    assert frame["status"].tolist() == ["confirmed", "no_show"]
    assert frame["origin"].tolist() == ["unknown", "unknown"]
    assert str(frame["start_at"].dtype) == "datetime64[ns, UTC]"


def test_overlong_text_is_rejected_before_the_database() -> None:
    raw = _raw(source_id=["A"], name=["x" * 300])
    result = validate_records(RecordKind.CUSTOMER, raw)
    assert result.frame.empty
    assert result.problems[0].message == "longer than 256 characters"


def test_input_is_not_modified_and_hash_tracks_content_only() -> None:
    raw = _raw(
        source_id=["A"], name=["Ann"], email=["ann@x.test"], updated_at=["2026-01-01T00:00:00Z"]
    )
    before = raw.copy()
    first = validate_records(RecordKind.CUSTOMER, raw).frame
    pd.testing.assert_frame_equal(raw, before)
    touched = validate_records(
        RecordKind.CUSTOMER, raw.assign(updated_at=["2026-02-01T00:00:00Z"])
    ).frame
    renamed = validate_records(RecordKind.CUSTOMER, raw.assign(name=["Anne"])).frame
    assert content_hashes(first).tolist() == content_hashes(touched).tolist()
    assert content_hashes(first).tolist() != content_hashes(renamed).tolist()


def test_who_cancelled_is_host_invitee_or_empty() -> None:
    raw = pd.DataFrame(
        {
            "source_id": ["A", "B", "C"],
            "start_at": ["2026-01-02T09:00:00Z"] * 3,
            "end_at": ["2026-01-02T10:00:00Z"] * 3,
            "status": ["cancelled", "cancelled", "cancelled"],
            "cancelled_by": ["host", "", "receptionist"],
        }
    )
    result = validate_records(RecordKind.APPOINTMENT, raw)
    assert result.frame["cancelled_by"].tolist() == ["host", None]
    (problem,) = result.problems
    assert (problem.row, problem.column) == (2, "cancelled_by")
    assert "'receptionist' is not one of host, invitee" in problem.message
