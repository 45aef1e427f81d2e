"""Reading export files ahead in a second process gives exactly what reading them here gives."""

from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfoNotFoundError

import pandas as pd
import pytest

from busywork.store.frames import column_specs
from busywork.store.hashing import content_hashes
from busywork.store.records import RecordKind
from connectors import read_ahead, read_ahead_helper
from connectors.base import ConnectorContext
from connectors.csv_mapping import FileMapping
from connectors.export_read import ExportRead
from connectors.read_ahead import read_in_order
from connectors.shipped_batch import ShippedBatch

CONTEXT = ConnectorContext(business="acme", timezone="Europe/London", currency="GBP")
CUSTOMERS = "source_id,name,email\nC1,Ann,ann@example.com\nC2,Bob,\n,Nobody,x@example.com\n"
INVOICES = """source_id,customer_id,issued_on,due_on,total,currency,status
INV-1,C1,2026-01-05,2026-02-04,100.00,GBP,open
INV-2,C2,2026-01-06,not a date,50,GBP,open
INV-3,C1,2026-01-07,2026-02-06,75.5,GBP,paid,surplus
"""


def _reads(folder: Path) -> list[ExportRead]:
    (folder / "customers.csv").write_text(CUSTOMERS)
    (folder / "invoices.csv").write_text(INVOICES)
    return [
        ExportRead(
            folder / "customers.csv",
            RecordKind.CUSTOMER,
            "customers",
            FileMapping(),
            CONTEXT,
            specs=column_specs(RecordKind.CUSTOMER),
        ),
        ExportRead(
            folder / "invoices.csv",
            RecordKind.INVOICE,
            "invoices",
            FileMapping(),
            CONTEXT,
            specs=column_specs(RecordKind.INVOICE),
        ),
        # Gone before its turn: the helper reports it as reading it here would.
        ExportRead(
            folder / "payments.csv",
            RecordKind.PAYMENT,
            "payments",
            FileMapping(),
            CONTEXT,
            specs=column_specs(RecordKind.PAYMENT),
        ),
    ]


def test_files_read_ahead_match_files_read_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = _reads(tmp_path)
    here = list(read_in_order(reads))
    monkeypatch.setattr(read_ahead, "READ_AHEAD_MIN_BYTES", 0)
    monkeypatch.setattr(read_ahead, "READ_HERE_WHILE_STARTING", False)
    ahead = list(read_in_order(reads))

    assert [result[1:] for result in ahead] == [result[1:] for result in here]
    assert here[1][1] == (
        "invoices.csv:3: due_on: not a valid date: 'not a date'",
        "invoices.csv:4: 8 fields but the header has 7; row skipped",
    )
    assert ahead[2][2].error.startswith("[Errno 2] No such file")
    for (batch, _, _), (expected, _, _) in zip(ahead[:2], here[:2], strict=True):
        assert batch is not None
        assert expected is not None
        pd.testing.assert_frame_equal(batch.frame, expected.frame)
    # The first file is read here while the helper starts; the helper hashes what it reads.
    assert here[1][0] is not None
    assert ahead[1][0] is not None
    assert ahead[0][0] is not None
    assert ahead[0][0].hashes is None
    assert list(ahead[1][0].hashes) == list(content_hashes(here[1][0].frame))


def test_a_helper_started_early_reads_the_files_as_they_are_when_handed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(read_ahead, "READ_AHEAD_MIN_BYTES", 0)
    monkeypatch.setattr(read_ahead, "READ_HERE_WHILE_STARTING", False)
    reads = _reads(tmp_path)
    with read_ahead.helper_started_for(reads[:2]) as helper:
        assert helper is not None
        # Written after the helper started (as if while the caller hashed the others).
        (tmp_path / "payments.csv").write_text(
            "source_id,paid_at,amount,currency\nP1,2026-01-09T10:00:00Z,10,GBP\n"
        )
        ahead = list(read_in_order(reads, helper))
    here = [read.run() for read in reads]

    assert [result[1:] for result in ahead] == [result[1:] for result in here]
    assert [outcome.kept for _, _, outcome in ahead] == [2, 1, 1]
    payments = ahead[2][0]
    assert payments is not None
    assert payments.hashes is not None  # read by the helper


def test_small_imports_never_start_a_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse() -> None:
        raise AssertionError("a process was started")

    monkeypatch.setattr(read_ahead, "Helper", refuse)
    with read_ahead.helper_started_for(_reads(tmp_path)) as helper:
        assert helper is None
    results = list(read_in_order(_reads(tmp_path)))
    assert [outcome.kept for _, _, outcome in results] == [2, 1, 0]


def test_a_file_failing_in_the_helper_raises_as_when_read_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    customers, invoices, _ = _reads(tmp_path)
    reads = [customers, replace(invoices, context=replace(CONTEXT, timezone="Nowhere/Atlantis"))]
    with pytest.raises(ZoneInfoNotFoundError) as here:
        reads[1].run()
    monkeypatch.setattr(read_ahead, "READ_AHEAD_MIN_BYTES", 0)
    monkeypatch.setattr(read_ahead, "READ_HERE_WHILE_STARTING", False)
    results = read_in_order(reads)
    assert next(results)[2].kept == 2
    with pytest.raises(ZoneInfoNotFoundError) as raised:
        next(results)
    assert str(raised.value) == str(here.value)


def test_stopping_early_leaves_no_helper_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(read_ahead, "READ_AHEAD_MIN_BYTES", 0)
    monkeypatch.setattr(read_ahead, "READ_HERE_WHILE_STARTING", False)
    results = read_in_order(_reads(tmp_path))
    batch, _, _ = next(results)
    results.close()
    assert batch is not None
    assert list(batch.frame["source_id"]) == ["C1", "C2"]


def test_small_files_ride_along_uncounted(monkeypatch: pytest.MonkeyPatch) -> None:
    # The million-record import's files: customers, vendors, invoices, lines, payments,
    # bills, appointments, journal entries (MB). Only big files count against FILES_AHEAD.
    monkeypatch.setattr(read_ahead, "FILES_AHEAD", 2)
    monkeypatch.setattr(read_ahead, "SMALL_FILE_BYTES", 8)
    sizes = [14, 1, 39, 34, 20, 2, 49, 1]
    # While the lines commit, the helper gets payments, bills and the appointments after
    # them; counting the bills as a file would hold the appointments back.
    assert read_ahead.ahead_limit(sizes, 3) == 8
    # While the customers are read: the vendors, then the invoices and the lines.
    assert read_ahead.ahead_limit(sizes, 0) == 4
    # Two big files after the invoices, the lines and the payments, and the bills after
    # them; the appointments wait.
    assert read_ahead.ahead_limit(sizes, 2) == 6
    assert read_ahead.ahead_limit(sizes, 7) == 8
    assert read_ahead.ahead_limit([20, 20, 20, 20], 0) == 3


def test_a_batch_shipped_as_codes_unpacks_to_the_same_frame(tmp_path: Path) -> None:
    batch, _, _ = _reads(tmp_path)[1].run()
    assert batch is not None
    assert batch.text_codes  # CSV text arrives coded
    shipped = pickle.loads(pickle.dumps(ShippedBatch.of(batch.hashed())))
    assert not set(batch.text_codes) & set(shipped.batch.frame.columns)
    unpacked = shipped.unpacked()
    pd.testing.assert_frame_equal(unpacked.frame, batch.frame)
    assert unpacked.hashes is not None
    assert unpacked.hashes.tolist() == content_hashes(batch.frame).tolist()


def test_the_helper_imports_no_other_connector() -> None:
    # A fresh interpreter importing what the helper imports (its start is on the import's path).
    code = f"import sys; {read_ahead_helper.HELPER_CODE.split(';')[0]}; print(sorted(sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "connectors.csv_import" in loaded
    assert "connectors.caldav_calendar" not in loaded
    assert "requests" not in loaded


def test_the_helper_imports_no_sqlalchemy(tmp_path: Path) -> None:
    # The helper's start is on the import's path, and SQLAlchemy with the record tables was
    # half of it: reading, validating and hashing a file needs neither, nor does the job.
    code = (
        "import sys; from connectors.read_ahead_helper import serve; "
        "print('imported:', *sys.modules, file=sys.stderr); serve(); "
        "print('after a read:', *sys.modules, file=sys.stderr)"
    )
    # The same interpreter importing from the same places, as the helper is started.
    paths = [path or os.getcwd() for path in sys.path]
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=pickle.dumps(_reads(tmp_path)[1]),
        capture_output=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(paths)},
        check=True,
    )
    results = io.BytesIO(done.stdout)
    assert pickle.load(results) is True  # the ready mark
    assert pickle.load(results) is not None  # the invoices, read there
    lines = done.stderr.decode().splitlines()
    for when in ("imported:", "after a read:"):
        listed = next(line for line in lines if line.startswith(when)).removeprefix(when)
        packages = {name.split(".")[0] for name in listed.split()}
        assert "pandas" in packages
        assert "sqlalchemy" not in packages
        assert "sqlmodel" not in packages
