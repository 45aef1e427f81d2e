"""Benchmark: a business with about a million records; CSV ingest, full detection, re-detection.

Usage: python bench/detect_1m.py [--scale 14] [--seed 2] [--url sqlite:///…]

Each stage runs in its own process so its peak memory is its own:

1. generate the business and write its CSV files;
2. ingest: the CSV connector reads every file into an empty store (records + events);
3. detect: load the frames every detector needs and run all thirteen detectors, timed
   without the load and with it (and with ranking and upserting findings);
4. a new batch of 100 invoice events, then detection again: subject-keyed detectors re-run on
   just the customers the batch touched; business-wide ones wait for their refresh window,
   and that later run is timed too.

Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd

from busywork.pipeline import detect, detection_context, enabled_detectors
from busywork.store.frames import validate_records
from busywork.store.ingest import RecordBatch, commit_page
from busywork.store.read import load_frames
from busywork.store.records import RecordKind
from busywork.synth import GeneratorSettings, generate
from config.loader import parse_config
from detectors.base import WINDOW_REFRESH
from worker import Worker

CONFIG = """\
business: {{id: bench, name: Bench Ltd, timezone: Europe/London, currency: GBP}}
storage: {{url: "{url}"}}
connectors: [{{name: exports, type: csv, path: data}}]
goals:
  - {{id: time, name: Time, objective: owner_time}}
"""
AS_OF = datetime(2026, 10, 31, 23, 59, tzinfo=UTC)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _generate(folder: Path, seed: int, scale: float) -> dict[str, Any]:
    started = time.perf_counter()
    business = generate(GeneratorSettings(seed=seed, scale=scale))
    business.write(folder / "data")
    return {
        "records": sum(len(frame) for frame in business.frames.values()),
        "seconds": time.perf_counter() - started,
        "peak_mb": _peak_mb(),
    }


def _worker(folder: Path, url: str) -> Worker:
    config = parse_config(CONFIG.format(url=url), base_dir=folder)
    return Worker([config], as_of=AS_OF)


def _ingest(folder: Path, url: str) -> dict[str, Any]:
    worker = _worker(folder, url)
    config = worker.configs[0]
    started, cpu = time.perf_counter(), time.process_time()
    synced = worker.poll(config, "exports", force=True)
    seconds = time.perf_counter() - started
    worker.engine.dispose()
    return {
        "seconds": seconds,
        "cpu": time.process_time() - cpu,
        "peak_mb": _peak_mb(),
        "ok": synced is not None,
    }


def _detect(folder: Path, url: str) -> dict[str, Any]:
    worker = _worker(folder, url)
    config = worker.configs[0]
    detectors = enabled_detectors(config)
    columns: dict[RecordKind, set[str]] = {}
    for detector in detectors.values():
        for kind, wanted in detector.input_columns().items():
            columns.setdefault(kind, set()).update(wanted)
    started = time.perf_counter()
    frames = load_frames(worker.engine, "bench", {k: sorted(v) for k, v in columns.items()})
    loaded = time.perf_counter()
    context = detection_context(config, AS_OF)
    per_kind = {}
    found = 0
    cpu = time.process_time()
    for kind, detector in detectors.items():
        began = time.perf_counter()
        found += len(detector.detect(frames, context))
        per_kind[kind] = time.perf_counter() - began
    detected = time.perf_counter()
    detect_cpu = time.process_time() - cpu
    del frames
    began = time.perf_counter()
    result = detect(worker.engine, config, as_of=AS_OF, now=AS_OF, force=True)
    full = time.perf_counter() - began
    worker.engine.dispose()
    return {
        "load": loaded - started,
        "detect": detected - loaded,
        "detect_cpu": detect_cpu,
        "per_kind": per_kind,
        "findings": found,
        "pipeline_detect": full,
        "ran": len(result.ran),
        "peak_mb": _peak_mb(),
    }


def _batch(folder: Path, url: str) -> dict[str, Any]:
    worker = _worker(folder, url)
    config = worker.configs[0]
    # The full run's watermarks stand; a new batch arrives five minutes later.
    now = AS_OF + timedelta(minutes=5)
    day = AS_OF.date()
    raw = pd.DataFrame(
        {
            "source_id": [f"INV-NEW-{n:03d}" for n in range(100)],
            "issued_on": [day.isoformat()] * 100,
            "total": ["120.00"] * 100,
            "currency": ["GBP"] * 100,
            "customer_id": [f"C{n % 40 + 1:04d}" for n in range(100)],
            "status": ["open"] * 100,
            "origin": ["manual"] * 100,
        }
    )
    records = validate_records(RecordKind.INVOICE, raw, timezone="Europe/London")
    started = time.perf_counter()
    commit_page(
        worker.engine,
        business="bench",
        connector="exports",
        batches=[RecordBatch(RecordKind.INVOICE, records.frame)],
        cursor=None,
        now=now,
    )
    committed = time.perf_counter()
    result = detect(worker.engine, config, as_of=AS_OF, now=now)
    detected = time.perf_counter()
    # The business-wide detectors coalesce batches: they run once their refresh window passed.
    later = detect(worker.engine, config, as_of=AS_OF, now=now + WINDOW_REFRESH)
    refreshed = time.perf_counter()
    worker.engine.dispose()
    return {
        "commit": committed - started,
        "detect": detected - committed,
        "ran": sorted(result.ran),
        "scoped": result.scoped,
        "refresh": refreshed - detected,
        "refreshed": sorted(later.ran),
        "peak_mb": _peak_mb(),
    }


def _in_child(target: Any, *args: Any) -> Any:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(target, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=14.0)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--url", default=None, help="store URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = args.url or f"sqlite:///{folder / 'store.db'}"
        made = _in_child(_generate, folder, args.seed, args.scale)
        print(f"records              {made['records']:>12,}")
        print(f"generate + write CSV {made['seconds']:>11.1f}s  peak {made['peak_mb']:,.0f} MB")
        ingested = _in_child(_ingest, folder, url)
        print(
            f"ingest from CSV      {ingested['seconds']:>11.1f}s"
            f"  (CPU {ingested['cpu']:.1f}s)  peak {ingested['peak_mb']:,.0f} MB"
        )
        found = _in_child(_detect, folder, url)
        print(f"load frames          {found['load']:>11.1f}s")
        print(
            f"detect (13 kinds)    {found['detect']:>11.1f}s  (CPU {found['detect_cpu']:.1f}s,"
            f" {found['findings']} findings)"
        )
        for kind, seconds in sorted(found["per_kind"].items(), key=lambda item: -item[1]):
            print(f"  {kind:<24} {seconds:>8.2f}s")
        print(f"pipeline detect      {found['pipeline_detect']:>11.1f}s  (load, detect, upsert)")
        print(f"peak RSS (detect)    {found['peak_mb']:>10,.0f} MB")
        batch = _in_child(_batch, folder, url)
        print(f"100 new events       {batch['commit']:>11.2f}s  (commit)")
        scoped = ", ".join(f"{kind} on {n} subjects" for kind, n in batch["scoped"].items())
        print(f"re-detect after them {batch['detect']:>11.2f}s  (ran: {scoped or 'none'})")
        print(
            f"window refresh later {batch['refresh']:>11.2f}s"
            f"  (ran: {', '.join(batch['refreshed'])})"
        )


if __name__ == "__main__":
    main()
