"""Benchmark: scan a generated business end to end and print wall time and peak memory.

Usage: python bench/scan.py [--scale 1.5] [--seed 1] [--url sqlite:///…]
The default scale gives a little over 100k records. Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from busywork.synth import GeneratorSettings, generate
from config.loader import parse_config
from worker import Worker

CONFIG = """\
business: {{id: bench, name: Bench Ltd, timezone: Europe/London, currency: GBP}}
storage: {{url: "{url}"}}
connectors: [{{name: exports, type: csv, path: data}}]
goals:
  - {{id: cash, name: Cash, objective: cash_flow, weight: 2}}
  - {{id: time, name: Time, objective: owner_time, weight: 1}}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--url", default=None, help="store URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        started = time.perf_counter()
        business = generate(GeneratorSettings(seed=args.seed, scale=args.scale))
        business.write(base / "data")
        generated = time.perf_counter()
        records = sum(len(frame) for frame in business.frames.values())
        config = parse_config(CONFIG.format(url=args.url or "sqlite:///store.db"), base_dir=base)
        worker = Worker([config], as_of=datetime(2026, 10, 31, 23, 59, tzinfo=UTC))
        [result] = worker.run_once()
        scanned = time.perf_counter()
        [again] = worker.run_once()
        rescanned = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    findings = len(result.document["recommendations"]) if result.document else 0
    print(f"records            {records:>12,}")
    print(f"generate + write   {generated - started:>11.2f}s")
    print(f"scan (cold store)  {scanned - generated:>11.2f}s  ({findings} recommendations)")
    print(
        f"scan (no changes)  {rescanned - scanned:>11.2f}s"
        f"  (detectors run: {len(again.detection.ran)})"
    )
    print(f"peak RSS           {peak_mb:>10.0f} MB")


if __name__ == "__main__":
    main()
