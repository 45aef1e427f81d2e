"""``busywork run`` says it is alive: a start line per business, a line per cycle."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from busywork.cli import main
from busywork.commands.run import cycle_line, start_line
from config.loader import load_config
from tests.factories import MINIMAL_CONFIG
from worker import Worker

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
INVOICES = "source_id,issued_on,total,currency\nI-1,2026-01-05,100,GBP\nI-2,2026-01-06,x,GBP\n"


def _config(tmp_path: Path, delivery: str = "") -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "invoices.csv").write_text(INVOICES)
    path = tmp_path / "busywork.yaml"
    path.write_text(
        MINIMAL_CONFIG
        + "connectors:\n  - {name: exports, type: csv, path: data, interval: 1h}\n"
        + delivery
    )
    return path


def test_the_start_line_names_connectors_next_poll_and_deliveries(tmp_path: Path) -> None:
    path = _config(tmp_path, "delivery: {json_file: out/recommendations.json}\n")
    config = load_config(path)
    worker = Worker([config], clock=lambda: NOW)
    line = start_line(config, worker, NOW)
    assert line == (
        "acme: polls exports (csv, every 1h, next now); deliveries: table on stdout,"
        f" JSON file {tmp_path / 'out' / 'recommendations.json'}"
    )
    worker.run_once()
    assert "next 2026-11-23 11:00 UTC" in start_line(config, worker, NOW)
    worker.engine.dispose()


def test_a_cycle_line_counts_records_findings_and_deliveries(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path))
    worker = Worker([config], clock=lambda: NOW)
    [result] = worker.run_once()
    worker.engine.dispose()
    assert cycle_line(config, result, NOW) == (
        "2026-11-23 10:00 acme: 1 record(s) in (1 rejected);"
        " findings 0 new, 0 changed; 0 delivery(ies) sent"
    )


def test_the_long_running_worker_reports_each_cycle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = load_config(_config(tmp_path))
    lines: list[str] = []
    worker = Worker(
        [config], clock=lambda: NOW, on_cycle=lambda c, r: lines.append(cycle_line(c, r, NOW))
    )
    worker._tick(config, "exports")  # one scheduled tick, as the scheduler would run it
    worker.engine.dispose()
    assert lines == [
        "2026-11-23 10:00 acme: 1 record(s) in (1 rejected);"
        " findings 0 new, 0 changed; 0 delivery(ies) sent"
    ]


def test_stdout_false_keeps_the_table_off_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _config(tmp_path, "delivery: {stdout: false}\n")
    assert main(["scan", "-c", str(path)]) == 0
    captured = capsys.readouterr()
    assert "No recommendations" in captured.out  # the honest summary still shows
    (tmp_path / "data" / "invoices.csv").write_text(INVOICES.replace(",x,", ",5,"))
    assert main(["scan", "-c", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "invoices.csv (invoices): 2 read, 2 kept" in captured.err
