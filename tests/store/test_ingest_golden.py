"""Faster ingest must store the same bytes: every table after a CSV import, pinned by digest.

A generated business with the evaluation's mess profiles (blanks, odd text, bad rows) is
imported from its CSV files through the CSV connector into an empty SQLite store. Every
stored value of every table (records, content hashes, events with their payloads, the
connector's cursor) and every rejection message go into one digest, pinned here. Only the
clock readings of when rows were written are left out.

A different digest means existing stores would see their records as changed, or users
would read other messages: find the difference, do not re-pin it.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa

from busywork.evaluate import make_business, profiles_for
from config.loader import parse_config
from connectors import read_ahead
from worker import Worker

CONFIG = """\
business: {{id: b{seed}, name: Golden, timezone: Europe/London, currency: GBP}}
storage: {{url: "sqlite:///{folder}/store.db"}}
connectors: [{{name: exports, type: csv, path: data}}]
"""
SCALE = 0.1
#: Per seed: the digest of everything stored and every problem reported.
DIGESTS = {
    3: "7e60ade5d29997da",
    8: "c56de9af9efb78e7",
}
#: Tables no import writes: the applied migrations (bookkeeping: a new migration is no
#: change to what an import stores) and caches derived from the records.
NOT_IMPORTED = frozenset({"alembic_version", "frame_snapshot"})
#: Clock readings of when a row was written (per table), not content.
WRITE_TIMES = {
    "event": {"occurred_at"},
    "connector_state": {"last_success_at", "next_poll_at"},
    "business": {"updated_at"},
}


def _store_digest(engine: sa.Engine, problems: Sequence[str]) -> tuple[str, dict[str, int]]:
    """SHA-256 over every table's stored values in id order, and the problems; row counts."""
    digest = hashlib.sha256()
    counts: dict[str, int] = {}
    with engine.connect() as connection:
        tables = connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        ).scalars()
        for table in [name for name in tables if name not in NOT_IMPORTED]:
            columns = [
                row[1]
                for row in connection.exec_driver_sql(f"PRAGMA table_info({table})")
                if row[1] not in WRITE_TIMES.get(table, set())
            ]
            order = "id" if "id" in columns else ", ".join(columns)
            rows = connection.exec_driver_sql(
                f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}"
            ).all()
            counts[table] = len(rows)
            digest.update(f"{table} {columns}\n".encode())
            for row in rows:
                digest.update(repr(tuple(row)).encode() + b"\n")
    digest.update("\n".join(problems).encode())
    return digest.hexdigest()[:16], counts


def _add_bad_rows(path: Path) -> None:
    """Rows the import must reject, each with its own message: copies of the last row spoilt."""
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    header, last = rows[0], rows[-1]
    spoilt = {"due_on": "31/13/2026", "total": "", "status": "lost", "issued_on": "yesterday"}
    bad = [
        [value if name != column else wrong for name, value in zip(header, last, strict=True)]
        for column, wrong in spoilt.items()
    ]
    bad.append([*last, "one field too many"])
    with path.open("a", newline="") as handle:
        csv.writer(handle).writerows(bad)


@pytest.mark.parametrize("seed", sorted(DIGESTS))
def test_a_csv_import_stores_the_pinned_bytes(seed: int, tmp_path: Path) -> None:
    _import_and_check(seed, tmp_path)


def test_files_read_ahead_in_a_second_process_store_the_pinned_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(read_ahead, "READ_AHEAD_MIN_BYTES", 0)
    monkeypatch.setattr(read_ahead, "READ_HERE_WHILE_STARTING", False)
    _import_and_check(3, tmp_path)


def _import_and_check(seed: int, tmp_path: Path) -> None:
    business = make_business(seed, SCALE, profiles_for(seed, None))
    business.write(tmp_path / "data")
    _add_bad_rows(tmp_path / "data" / "invoices.csv")
    config = parse_config(CONFIG.format(seed=seed, folder=tmp_path), base_dir=tmp_path)
    worker = Worker([config])
    synced = worker.poll(config, "exports", force=True)
    assert synced is not None
    digest, counts = _store_digest(worker.engine, synced.problems)
    worker.engine.dispose()
    assert counts["event"] > 1_000
    assert len(synced.problems) >= 5
    assert digest == DIGESTS[seed], (digest, counts, synced.problems[:5])
