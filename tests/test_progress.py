"""The backfill progress display: shown on a terminal, silent elsewhere."""

from __future__ import annotations

import io

from rich.console import Console

from busywork.progress import BackfillProgress
from busywork.store.ingest import IngestStats
from connectors.sync import SyncResult


def _result(pages: int, inserted: int) -> SyncResult:
    return SyncResult(connector="books", pages=pages, stats=IngestStats(inserted=inserted))


def test_terminal_shows_pages_and_records_per_connector() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    with BackfillProgress(console) as progress:
        progress.update(_result(1, 100))
        progress.update(_result(2, 1_250))
        assert progress.describe("books") == "books: 2 pages, 1,250 records"


def test_not_a_terminal_shows_nothing() -> None:
    output = io.StringIO()
    with BackfillProgress(Console(file=output, force_terminal=False)) as progress:
        progress.update(_result(1, 100))
        assert progress.describe("books") is None
    assert output.getvalue() == ""


def test_sync_reports_each_committed_page(tmp_path: object) -> None:
    from pathlib import Path

    from busywork.store.db import open_store
    from connectors.base import ConnectorContext
    from connectors.csv_export import CsvConfig, CsvConnector
    from connectors.sync import sync_connector

    folder = Path(str(tmp_path))
    (folder / "customers.csv").write_text("source_id,name\nC1,Ann\nC2,Bob\n")
    (folder / "vendors.csv").write_text("source_id,name\nV1,Gas\n")
    engine = open_store(f"sqlite:///{folder / 'store.db'}")
    seen: list[tuple[int, int]] = []
    connector = CsvConnector(
        CsvConfig(name="books", path=folder), ConnectorContext("b", "UTC", "GBP")
    )
    sync_connector(engine, connector, on_page=lambda r: seen.append((r.pages, r.stats.inserted)))
    engine.dispose()
    assert seen == [(1, 2), (2, 3)]
