"""``busywork init`` then ``busywork scan`` on the real exports, as a new user would run them.

Each export is copied as published into a folder of its own. What init must make of each:

- the UCI web-shop export (one row per invoice line, ``InvoiceNo``/``Quantity``/``UnitPrice``/
  ``CustomerID``): invoices grouped by number with their lines, totals from quantity times
  price (536365: seven lines, 139.12), and a report that says payment speed was not checked;
- the party's ledger (``supplier``/``value``/``date``, signed amounts, no document number):
  not guessed, with the nearest kind and what it lacks named so it can be mapped by hand;
- a calendar export (``.ics``): named, with where calendars are read from instead.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from busywork.cli import EXIT_CONFIG, main
from tests.real.scanning import REAL

RETAIL = REAL / "online_retail" / "online_retail_2010-12-01.csv"
LEDGER = REAL / "party_ledger" / "party.2486.csv"
SCHEDULE = REAL / "pycon_uk_2015" / "schedule.ics"


def _folder(tmp_path: Path, *exports: Path) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir()
    for export in exports:
        shutil.copy(export, folder / export.name)
    return folder


def _init(folder: Path, config: Path) -> int:
    return main(["init", str(folder), "--yes", "--currency", "GBP", "-c", str(config)])


def test_the_web_shop_export_is_read_line_by_line_and_scanned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "busywork.yaml"
    assert _init(_folder(tmp_path, RETAIL), config) == 0
    out = capsys.readouterr().out
    assert "invoices; one row per line, grouped by InvoiceNo" in out
    assert "invoice lines; from the same file, by InvoiceNo" in out
    assert "149 read, 149 kept" in out
    # Invoice 536365: 6 x 2.55 + 6 x 3.39 + 8 x 2.75 + 6 x 3.39 + 6 x 3.39 + 2 x 7.65 + 6 x 4.25
    assert re.search(r"^\s*536365\s+17850\s.*\s139\.12\s", out, re.MULTILINE)
    files = yaml.safe_load(config.read_text())["connectors"][0]["files"]
    assert files["invoices"]["columns"] == {
        "InvoiceNo": "source_id",
        "CustomerID": "customer_id",
        "InvoiceDate": "issued_on",
    }
    assert files["invoices"]["combine"] == {"total": {"multiply": ["Quantity", "UnitPrice"]}}
    assert files["invoice_lines"]["columns"]["StockCode"] == "item"

    report = tmp_path / "report"
    assert main(["scan", "-c", str(config), "--out", str(report)]) == 0
    document = json.loads((report / "recommendations.json").read_text())
    assert document["detectors"]["slow_collection"]["coverage"]["checked"] is False
    assert {item["kind"] for item in document["recommendations"]} <= {"duplicate_entry"}


def test_a_signed_ledger_is_not_guessed_and_the_reason_names_what_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _init(_folder(tmp_path, LEDGER), tmp_path / "busywork.yaml") == EXIT_CONFIG
    out = capsys.readouterr().out
    assert "party.2486.csv: not used: not recognised from its name or headers" in out
    assert "nearest is bills (supplier as vendor_name, date as issued_on" in out
    assert "nothing reads as source_id, total" in out
    assert not (tmp_path / "busywork.yaml").exists()


def test_a_calendar_export_is_named_with_where_calendars_are_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _folder(tmp_path, SCHEDULE, RETAIL)
    assert _init(folder, tmp_path / "busywork.yaml") == 0
    out = capsys.readouterr().out
    assert "schedule.ics: not used: a calendar file" in out
    assert "caldav" in out


def test_a_folder_of_calendar_exports_only_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _init(_folder(tmp_path, SCHEDULE), tmp_path / "busywork.yaml") == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "no .csv, .tsv or .txt files" in err
    assert "schedule.ics: a calendar file" in err
