from __future__ import annotations

import pandas as pd

from busywork.store.frames import validate_records
from busywork.store.hashing import content_hashes
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


def test_uniform_columns_take_the_fast_path_and_agree_with_mixed_ones() -> None:
    naive = _raw(
        source_id=["A", "B"],
        start_at=["2026-07-01 09:00", "2026-01-05 09:00"],
        end_at=["2026-07-01T08:30:00Z", "2026-01-05T09:30:00Z"],
    )
    mixed = naive.assign(end_at=["2026-07-01T09:30:00+01:00", "2026-01-05 09:30"])
    for raw in (naive, mixed):
        frame = validate_records(RecordKind.APPOINTMENT, raw, timezone="Europe/London").frame
        assert frame["start_at"].dt.strftime("%H:%M").tolist() == ["08:00", "09:00"]
        assert frame["end_at"].dt.strftime("%H:%M").tolist() == ["08:30", "09:30"]


def test_dates_given_with_offsets_fall_on_the_business_calendar_day() -> None:
    uniform = _raw(
        source_id=["A", "B"],
        issued_on=["2026-01-31T23:30:00-05:00", "2026-02-01T00:30:00+00:00"],
        total=["1", "2"],
        currency=["GBP", "GBP"],
    )
    mixed = uniform.assign(issued_on=["2026-01-31T23:30:00-05:00", "2026-02-01"])
    for raw in (uniform, mixed):
        frame = validate_records(RecordKind.INVOICE, raw, timezone="Europe/London").frame
        # 23:30 in New York is 04:30 the next day in London.
        assert frame["issued_on"].dt.strftime("%Y-%m-%d").tolist() == ["2026-02-01"] * 2


def test_ambiguous_and_malformed_times_are_reported_not_guessed() -> None:
    raw = _raw(
        source_id=["A", "B", "C"],
        start_at=["2026-10-25 01:30", "not a time", "2026-10-26 09:00"],
        end_at=["2026-10-25 02:30", "2026-10-26 10:00", "2026-10-26 10:00"],
    )
    result = validate_records(RecordKind.APPOINTMENT, raw, timezone="Europe/London")
    assert result.kept_rows == (2,)
    assert {(p.row, p.column) for p in result.problems} >= {(0, "start_at"), (1, "start_at")}


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


def _legacy_hashes(frame: pd.DataFrame) -> list[str]:
    """The original formula: every value boxed as an object (missing as None), then hashed."""
    columns = sorted(c for c in frame.columns if c not in ("created_at", "updated_at"))
    boxed = frame[columns].astype(object).where(frame[columns].notna(), None)
    hashed = pd.util.hash_pandas_object(boxed, index=False)
    return [f"{int(value):016x}" for value in hashed]


def test_content_hashes_never_change_for_stored_content() -> None:
    raw = _raw(
        source_id=["A", "B", "C"],
        start_at=["2026-07-01 09:00", "2026-01-05 09:00:00.250", "2026-03-29 01:30"],
        end_at=["2026-07-01T10:00:00Z", "2026-01-05T10:00:00.5Z", "2026-03-29T03:00:00+01:00"],
        status=["confirmed", "no_show", "cancelled"],
        attendee_email=["a@x.test", "", "a@x.test"],
        cancelled_at=["", "", "2026-03-28T12:00:00+01:00"],
    )
    lines = _raw(
        invoice_id=["I1", "I1", "I2"],
        source_id=["I1:1", "I1:2", "I2:1"],
        line_no=["1", "2", ""],
        quantity=["1.5", "", "3"],
        amount=["10.10", "0", "-3"],
    )
    bills = _raw(
        source_id=["B1", "B2"],
        issued_on=["2026-01-31", "2024-02-29"],
        due_on=["", "2024-03-29"],
        total=["12.5", "1e3"],
        currency=["GBP", "GBP"],
        status=["paid", "draft"],
    )
    for kind, frame in (
        (RecordKind.APPOINTMENT, raw),
        (RecordKind.INVOICE_LINE, lines),
        (RecordKind.BILL, bills),
    ):
        typed = validate_records(kind, frame, timezone="Europe/London").frame
        assert len(typed) == len(frame)
        assert content_hashes(typed).tolist() == _legacy_hashes(typed)


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


def test_text_is_trimmed_of_any_whitespace_alike_from_csv_strings_and_objects() -> None:
    columns = {
        "source_id": ["\u3000A\t", "B", " C", "D"],
        "name": ["\xa0Ann Smith ", "\u2003", "Cy\x1f", "x" * 257],
        "email": ["", " a@x.test", "\t", "d@x.test"],
    }
    from_csv = validate_records(RecordKind.CUSTOMER, pd.DataFrame(columns, dtype=str))
    with_gaps = pd.DataFrame(columns, dtype=object)
    with_gaps.loc[2, "email"] = None
    from_api = validate_records(RecordKind.CUSTOMER, with_gaps)
    for result in (from_csv, from_api):
        assert result.frame["source_id"].tolist() == ["A", "C"]
        assert result.frame["name"].tolist() == ["Ann Smith", "Cy"]
        assert result.frame["email"].tolist() == [None, None]
        assert [(p.row, p.column, p.message) for p in result.problems] == [
            (1, "name", "required value missing"),
            (3, "name", "longer than 256 characters"),
        ]


def test_content_hashes_agree_with_the_boxed_formula_for_every_column_shape() -> None:
    stamps = pd.to_datetime(
        [
            "1969-12-31 23:59:59.5",
            "2026-01-31 09:30:00",
            "2026-01-31 09:30:00.000001",
            "2026-01-31 09:30:00.000000001",
            None,
            "2262-04-11 23:47:16.854775807",
        ],
        utc=True,
        format="ISO8601",
    )
    frame = pd.DataFrame(
        {
            "source_id": ["A", "B", "C", "D", "E", "F"],
            "text": ["x", None, "x", "", "ü", "y"],
            "blank": [None] * 6,
            "mixed": [1, "1", None, 2.5, "a", "a"],
            "at": stamps,
            "day": pd.to_datetime(["2026-01-01", None, "1900-02-28", "2026-01-01", None, None]),
            "amount": [1.5, float("nan"), -0.0, 0.0, 3.0, 1e300],
            "count": pd.array([1, None, 3, 3, 0, -1], dtype="Int64"),
            "flag": [True, False, True, True, False, False],
        }
    )
    assert content_hashes(frame).tolist() == _legacy_hashes(frame)
    assert content_hashes(frame.iloc[[5, 0]]).tolist() == _legacy_hashes(frame.iloc[[5, 0]])
    # Told which columns are text (str and None only; a column of None only counts too).
    text = {"source_id", "text", "blank"}
    assert content_hashes(frame, text).tolist() == _legacy_hashes(frame)
    assert content_hashes(frame.iloc[[1, 4]], text).tolist() == _legacy_hashes(frame.iloc[[1, 4]])


def test_validation_names_the_columns_it_knows_to_be_text_and_their_hashes_agree() -> None:
    raw = _raw(
        source_id=["I1", "I2", "I3"],
        customer_id=[" C1", "C2 ", ""],
        issued_on=["2026-01-31", "2026-02-01", "2026-02-02"],
        total=["12.5", "-3", "1"],
        currency=["GBP", "GBP", "GBP"],
        status=["paid", "open", "open"],
        template_id=["T1", "", ""],
    )
    result = validate_records(RecordKind.INVOICE, raw)
    assert {"source_id", "customer_id", "currency", "status"} <= result.text_columns
    # Replaced after validation: the doc type from the total, the origin from the template.
    assert not {"doc_type", "origin", "total", "issued_on"} & result.text_columns
    frame = result.frame
    assert frame["customer_id"].tolist() == ["C1", "C2", None]
    told = content_hashes(frame, result.text_columns).tolist()
    assert told == content_hashes(frame).tolist()


def test_infinite_or_fractional_whole_numbers_are_reported_not_raised() -> None:
    lines = _raw(
        invoice_id=["I1", "I1", "I1", "I1"],
        source_id=["I1:1", "I1:2", "I1:3", "I1:4"],
        line_no=["1", "inf", "-Infinity", "2.5"],
        amount=["1", "1", "1", "1"],
    )
    result = validate_records(RecordKind.INVOICE_LINE, lines)
    assert result.kept_rows == (0,)
    assert [(p.row, p.column, p.message) for p in result.problems] == [
        (1, "line_no", "not a valid int: 'inf'"),
        (2, "line_no", "not a valid int: '-Infinity'"),
        (3, "line_no", "not a valid int: '2.5'"),
    ]


def test_infinite_or_overflowing_amounts_are_reported_not_stored() -> None:
    raw = _raw(
        source_id=["A", "B", "C", "D", "E"],
        issued_on=["2026-01-02"] * 5,
        total=["99999999999999.5", "inf", "-Infinity", "1e14", "-1e20"],
        currency=["GBP"] * 5,
    )
    result = validate_records(RecordKind.INVOICE, raw)
    assert result.kept_rows == (0,)
    assert result.frame["total"].tolist() == [99999999999999.5]
    assert [(p.row, p.column, p.message) for p in result.problems] == [
        (1, "total", "not a valid float: 'inf'"),
        (2, "total", "not a valid float: '-Infinity'"),
        (3, "total", "too large (must be below 100,000,000,000,000)"),
        (4, "total", "too large (must be below 100,000,000,000,000)"),
    ]


def test_an_invoice_naming_its_template_was_made_by_it_unless_the_origin_says_otherwise() -> None:
    raw = _raw(
        source_id=["A", "B", "C", "D"],
        issued_on=["2026-01-02"] * 4,
        total=["10"] * 4,
        currency=["GBP"] * 4,
        origin=["", "unknown", "manual", ""],
        template_id=["RT-1", "RT-1", "RT-1", ""],
    )
    frame = validate_records(RecordKind.INVOICE, raw).frame
    assert frame["origin"].tolist() == ["template", "template", "manual", "unknown"]
