"""Honest outcomes: a summary per file, exit 1 on failure, and never "nothing found" instead."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from busywork.cli import EXIT_CONFIG, main
from busywork.synth import GeneratorSettings, generate
from tests.factories import MINIMAL_CONFIG

GOOD = "source_id,issued_on,total,currency\nI-1,2026-01-05,100,GBP\nI-2,2026-01-06,50,GBP\n"


def _config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "busywork.yaml"
    path.write_text(
        MINIMAL_CONFIG + "connectors:\n  - {name: exports, type: csv, path: data}\n" + extra
    )
    (tmp_path / "data").mkdir(exist_ok=True)
    return path


def test_a_missing_folder_fails_the_scan_and_check_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _config(tmp_path)
    (tmp_path / "data").rmdir()
    assert main(["check-config", "-c", str(path)]) == EXIT_CONFIG
    assert f"connectors exports: folder {tmp_path / 'data'} does not exist" in (
        capsys.readouterr().err
    )
    assert main(["scan", "-c", str(path)]) == 1
    captured = capsys.readouterr()
    assert "connector exports failed: FileNotFoundError: exports: folder" in captured.err
    assert captured.err.count("does not exist") == 1  # not logged a second time
    assert "nothing to automate was found" not in captured.out
    assert "No recommendations yet: 2 input(s) could not be read" in captured.out


def test_unrecognised_files_are_named_and_nothing_imported_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _config(tmp_path)
    (tmp_path / "data" / "Sales Invoices.csv").write_text(GOOD)
    assert main(["scan", "-c", str(path)]) == 1
    err = capsys.readouterr().err
    assert (
        "exports: Sales Invoices.csv: not used: file name not recognised"
        " (map it under files:, or run `busywork init`)" in err
    )
    assert "nothing could be imported for acme" in err
    assert "run `busywork init" in err
    assert main(["check-config", "-c", str(path)]) == EXIT_CONFIG
    assert "no file in" in capsys.readouterr().err


def test_a_file_whose_every_row_is_rejected_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _config(tmp_path)
    (tmp_path / "data" / "customers.csv").write_text("source_id,name\nC1,Ann\n")
    (tmp_path / "data" / "invoices.csv").write_text(GOOD.replace("2026-01-0", "31/01/202"))
    assert main(["scan", "-c", str(path)]) == 1
    err = capsys.readouterr().err
    assert (
        "exports: invoices.csv (invoices): 2 read, 0 kept, 2 rejected:"
        " 2x line 2 issued_on: not a valid date: '31/01/2025'"
    ) in err
    assert "exports: customers.csv (customers): 1 read, 1 kept" in err


def test_some_rejected_rows_are_summarised_and_the_rest_imported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _config(tmp_path)
    (tmp_path / "data" / "invoices.csv").write_text(GOOD + "I-3,soon,1,GBP\n")
    assert main(["scan", "-c", str(path)]) == 0
    captured = capsys.readouterr()
    assert (
        "exports: invoices.csv (invoices): 3 read, 2 kept, 1 rejected:"
        " line 4 issued_on: not a valid date: 'soon'"
    ) in captured.err
    assert captured.err.count("not a valid date") == 1  # printed once, not logged again
    assert "No recommendations in what could be read (1 row(s) rejected; see above)." in (
        captured.out
    )
    assert main(["scan", "-c", str(path)]) == 0
    assert "invoices.csv (invoices): unchanged since the last scan" in capsys.readouterr().err


def test_check_config_reads_the_files_as_a_scan_would(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _config(tmp_path, "goals:\n  - {id: t, name: Time, objective: owner_time}\n")
    (tmp_path / "data" / "invoices.csv").write_text(GOOD)
    (tmp_path / "data" / "notes.txt").write_text("hello\n")
    assert main(["check-config", "-c", str(path)]) == 0
    out = capsys.readouterr().out
    assert "exports: invoices.csv (invoices): 2 read, 2 kept" in out
    assert "exports: notes.txt: not used: file name not recognised" in out
    assert "1 goal(s)" in out


def test_check_config_says_the_default_goals_are_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _config(tmp_path)
    (tmp_path / "data" / "invoices.csv").write_text(GOOD)
    assert main(["check-config", "-c", str(path)]) == 0
    out = capsys.readouterr().out
    assert "no goals: balanced default" in out
    assert "no goals: declared; ranking against the balanced default:" in out
    assert "goal default-cash: cash_flow (as configured), weight 33%" in out


@pytest.mark.slow
def test_without_goals_findings_are_ranked_against_the_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate(GeneratorSettings(seed=5, months=12, scale=0.2)).write(tmp_path / "data")
    path = _config(tmp_path)
    assert main(["scan", "-c", str(path), "--as-of", "2026-10-31", "--json"]) == 0
    captured = capsys.readouterr()
    assert "ranked against the balanced default" in captured.err
    document = json.loads(captured.out)
    ranks = [rec["rank"] for rec in document["recommendations"]]
    assert ranks
    assert all(rank is not None for rank in ranks[:3])
    assert {goal["id"] for goal in document["goals"]} == {
        "default-cash",
        "default-time",
        "default-revenue",
    }
