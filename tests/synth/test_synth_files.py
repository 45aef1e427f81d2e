"""Determinism, settings validation and the on-disk format of the synthetic business."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from busywork.store.records import RECORD_MODELS, STATUSES, SYSTEM_COLUMNS, Origin, RecordKind
from busywork.synth import DEFAULT_END, GeneratorSettings, SyntheticBusiness, generate

STEMS = {
    "customers": RecordKind.CUSTOMER,
    "vendors": RecordKind.VENDOR,
    "invoices": RecordKind.INVOICE,
    "invoice_lines": RecordKind.INVOICE_LINE,
    "payments": RecordKind.PAYMENT,
    "bills": RecordKind.BILL,
    "appointments": RecordKind.APPOINTMENT,
    "journal_entries": RecordKind.JOURNAL_ENTRY,
}
HEADERS = {
    "customers": "source_id,origin,created_at,updated_at,name,email,phone",
    "vendors": "source_id,origin,created_at,updated_at,name,email",
    "invoices": (
        "source_id,origin,created_at,updated_at,customer_id,customer_name,customer_email,number,"
        "status,issued_on,due_on,paid_at,total,balance,currency,template_id,description"
    ),
    "invoice_lines": (
        "source_id,origin,created_at,updated_at,invoice_id,line_no,description,item,quantity,"
        "unit_price,amount"
    ),
    "payments": (
        "source_id,origin,created_at,updated_at,invoice_id,customer_id,paid_at,amount,currency,"
        "method,bill_id,vendor_id"
    ),
    "bills": (
        "source_id,origin,created_at,updated_at,vendor_id,vendor_name,number,status,issued_on,"
        "due_on,approved_at,paid_at,total,currency,description"
    ),
    "appointments": (
        "source_id,origin,created_at,updated_at,title,start_at,end_at,status,attendee_email,"
        "attendee_name,series_id,calendar,cancelled_at,cancelled_by"
    ),
    "journal_entries": (
        "source_id,origin,created_at,updated_at,posted_on,accounts,amount,currency,memo"
    ),
}
ID_PATTERNS = {
    "customers": r"C\d{4,}",
    "vendors": r"V\d{3,}",
    "invoices": r"INV-\d{5,}",
    "invoice_lines": r"INV-\d{5,}:[123]",
    "payments": r"PAY-\d{5,}",
    "bills": r"BILL-\d{5,}",
    "appointments": r"APT-\d{5,}",
    "journal_entries": r"JE-\d{5,}",
}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
MONEY = re.compile(r"^\d+\.\d{2}$")
SMALL = GeneratorSettings(seed=3, scale=0.2)


@pytest.fixture(scope="module")
def small() -> SyntheticBusiness:
    return generate(SMALL)


@pytest.fixture(scope="module")
def written(small: SyntheticBusiness, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    small.write(out)
    return out


def _digest(directory: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.iterdir())
    }


def test_same_seed_gives_identical_frames_and_bytes(
    small: SyntheticBusiness, written: Path, tmp_path: Path
) -> None:
    again = generate(SMALL)
    assert list(again.frames) == list(small.frames)
    for stem, frame in small.frames.items():
        pd.testing.assert_frame_equal(again.frames[stem], frame)
    assert again.truth == small.truth
    again.write(tmp_path)
    assert _digest(tmp_path) == _digest(written)


def test_different_seeds_differ(small: SyntheticBusiness) -> None:
    other = generate(replace(SMALL, seed=4))
    assert other.truth["planted"] != small.truth["planted"]
    assert not other.frames["invoices"].equals(small.frames["invoices"])


def test_defaults() -> None:
    settings = GeneratorSettings(seed=0)
    assert (settings.months, settings.end, settings.customers, settings.vendors) == (
        18,
        DEFAULT_END,
        40,
        12,
    )
    assert settings.scale == 1.0


@pytest.mark.parametrize(
    "bad",
    [
        GeneratorSettings(seed=-1),
        GeneratorSettings(seed=1, months=3),
        GeneratorSettings(seed=1, customers=5),
        GeneratorSettings(seed=1, vendors=0),
        GeneratorSettings(seed=1, scale=-0.5),
    ],
)
def test_rejects_out_of_range_settings(bad: GeneratorSettings) -> None:
    with pytest.raises(ValueError, match="invalid generator settings"):
        generate(bad)


#: Record columns a generated file may leave out: the store fills them in.
DERIVED_WHEN_ABSENT = frozenset({"doc_type"})
#: Optional record columns the generator does not write yet (a CSV may leave them out):
#: the id of a booking's calendar copy, and the account a journal debits.
NOT_GENERATED = {
    "appointments": {"mirror_id"},
    "journal_entries": {"debit_account_id", "debit_account"},
}


def test_frames_match_the_record_tables(small: SyntheticBusiness) -> None:
    assert list(small.frames) == list(STEMS)
    for stem, kind in STEMS.items():
        fields = [
            name
            for name in RECORD_MODELS[kind].model_fields
            if name not in SYSTEM_COLUMNS
            and name != "id"
            and name not in NOT_GENERATED.get(stem, set())
        ]
        columns = set(small.frames[stem].columns)
        # The store derives an invoice's doc_type from its total when a file has none.
        assert set(fields) - columns <= DERIVED_WHEN_ABSENT, stem
        assert columns <= set(fields), stem
        assert list(small.frames[stem].columns) == HEADERS[stem].split(","), stem


def test_every_csv_has_the_exact_header_and_truth_parses(
    written: Path, small: SyntheticBusiness
) -> None:
    assert sorted(path.name for path in written.iterdir()) == sorted(
        [f"{stem}.csv" for stem in STEMS] + ["truth.json"]
    )
    for stem, header in HEADERS.items():
        with (written / f"{stem}.csv").open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        assert ",".join(rows[0]) == header
        assert len(rows) - 1 == len(small.frames[stem]) == small.truth["counts"][stem]
    truth = json.loads((written / "truth.json").read_text(encoding="utf-8"))
    assert truth == small.truth
    assert list(truth) == [
        "seed",
        "months",
        "start",
        "end",
        "business",
        "counts",
        "planted",
        "decoys",
    ]
    assert truth["seed"] == SMALL.seed
    assert truth["months"] == 18
    assert (truth["start"], truth["end"]) == ("2025-05-01", "2026-10-31")
    assert truth["business"]["currency"] == "GBP"
    assert truth["business"]["timezone"] == "Europe/London"


def test_cells_are_formatted_as_documented(written: Path) -> None:
    origins = {origin.value for origin in Origin}
    for stem in STEMS:
        frame = pd.read_csv(written / f"{stem}.csv", dtype=str, keep_default_na=False)
        assert frame["source_id"].str.fullmatch(ID_PATTERNS[stem]).all(), stem
        assert frame["source_id"].is_unique, stem
        assert set(frame["origin"]) <= origins, stem
        for column in frame.columns:
            cells = frame[column][frame[column] != ""]
            if column.endswith("_at"):
                assert cells.str.match(DATETIME).all(), (stem, column)
            elif column in ("issued_on", "due_on", "posted_on"):
                assert cells.str.match(DATE).all(), (stem, column)
            elif column in ("total", "balance", "amount", "unit_price"):
                assert cells.str.match(MONEY).all(), (stem, column)
        for required in ("source_id", "created_at"):
            assert (frame[required] != "").all(), (stem, required)


def test_required_columns_are_never_empty(small: SyntheticBusiness) -> None:
    required = {
        "customers": ["name"],
        "vendors": ["name"],
        "invoices": ["issued_on", "total", "currency"],
        "invoice_lines": ["invoice_id", "amount"],
        "payments": ["paid_at", "amount", "currency"],
        "bills": ["issued_on", "total", "currency"],
        "appointments": ["start_at", "end_at"],
        "journal_entries": ["posted_on", "accounts", "amount", "currency"],
    }
    for stem, columns in required.items():
        assert small.frames[stem][columns].notna().all().all(), stem


def test_statuses_are_allowed_values(small: SyntheticBusiness) -> None:
    for stem, kind in (
        ("invoices", RecordKind.INVOICE),
        ("bills", RecordKind.BILL),
        ("appointments", RecordKind.APPOINTMENT),
    ):
        assert set(small.frames[stem]["status"]) <= STATUSES[kind], stem
    assert set(small.frames["invoices"]["status"]) >= {"paid", "open"}
    assert "awaiting_approval" in set(small.frames["bills"]["status"])
    assert {"cancelled", "no_show"} <= set(small.frames["appointments"]["status"])


def test_journal_accounts_are_sorted_and_pipe_joined(small: SyntheticBusiness) -> None:
    accounts = small.frames["journal_entries"]["accounts"]
    for cell in accounts.unique():
        parts = cell.split("|")
        assert len(parts) >= 2, cell
        assert parts == sorted(parts), cell
    assert (accounts == "Depreciation|Fixed Assets").sum() >= 12
