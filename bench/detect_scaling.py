"""Benchmark: how the detect-and-rank pass grows with a business's size, and with tenants.

Usage: python bench/detect_scaling.py [--scales 0.14,1.4,14,42] [--tenants 100] [--seed 2]

For each scale (about 71,000 records per unit: 0.14 is ~10k, 14 is ~1M, 42 is ~3M) a
fresh SQLite store gets one generated business from its CSV files; a first process reads
the frames from the row store and writes their snapshots (the cold load), then, in a
process of its own, the frames are loaded through the stored snapshots, the thirteen
detectors run and the findings are ranked (the stages of ``bench/detect_1m.py``). Printed:
records, the cold load's CPU, then the warm pass's seconds, CPU seconds, microseconds per
record and the process's peak RSS.

``--tenants N`` then imports the smallest business N times under different ids into one
store and has one process run the pipeline's detect and ranking for each in turn, twice
(the first pass reads the rows and writes the snapshots, the second reads through them):
seconds per business. Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.append(str(Path(__file__).resolve().parent))  # after the project: bench/connectors.py

from detect_1m import AS_OF, _detect, _generate, _in_child, _ingest, _load_cold, _peak_mb

from busywork.pipeline import detect, recommendations
from config.loader import parse_config
from worker import Worker

TENANT = """\
business: {{id: t{n}, name: Tenant {n}, timezone: Europe/London, currency: GBP}}
storage: {{url: "{url}"}}
connectors: [{{name: exports, type: csv, path: data}}]
goals:
  - {{id: time, name: Time, objective: owner_time}}
"""


def _tenants(folder: Path, url: str, count: int) -> dict[str, Any]:
    configs = [parse_config(TENANT.format(n=n, url=url), base_dir=folder) for n in range(count)]
    worker = Worker(configs, as_of=AS_OF)
    started = time.perf_counter()
    for config in configs:
        worker.poll(config, "exports", force=True)
    ingested = time.perf_counter()
    passes = []
    for _ in ("first: rows read, snapshots written", "again: through the snapshots"):
        began, cpu = time.perf_counter(), time.process_time()
        for config in configs:
            detect(worker.engine, config, as_of=AS_OF, now=AS_OF, force=True)
            recommendations(worker.engine, config, generated_at=AS_OF, as_of=AS_OF)
        passes.append(((time.perf_counter() - began) / count, (time.process_time() - cpu) / count))
    worker.engine.dispose()
    return {
        "ingest": (ingested - started) / count,
        "first": passes[0],
        "again": passes[1],
        "peak_mb": _peak_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="0.14,1.4,14,42")
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2)
    args = parser.parse_args()
    scales = [float(part) for part in args.scales.split(",")]
    print(
        f"{'records':>10} {'cold load CPU':>14} {'load+detect+rank':>17} {'CPU':>8}"
        f" {'us/record':>10} {'peak RSS':>10}"
    )
    for scale in scales:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            url = f"sqlite:///{folder / 'store.db'}"
            made = _in_child(_generate, folder, args.seed, scale)
            _in_child(_ingest, folder, url)
            cold = _in_child(_load_cold, folder, url)
            found = _in_child(_detect, folder, url, False)
            wall = found["load"] + found["detect"] + found["rank"]
            cpu = found["load_cpu"] + found["detect_cpu"] + found["rank_cpu"]
            print(
                f"{made['records']:>10,} {cold['load_cpu']:>13.2f}s {wall:>16.2f}s {cpu:>7.2f}s"
                f" {cpu / made['records'] * 1e6:>10.1f} {found['peak_mb']:>7,.0f} MB",
                flush=True,
            )
    if args.tenants:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            made = _in_child(_generate, folder, args.seed, min(scales))
            found = _in_child(_tenants, folder, f"sqlite:///{folder / 'store.db'}", args.tenants)
            print(
                f"{args.tenants} businesses of {made['records']:,} records, one process:"
                f" import {found['ingest']:.2f} s; detect + rank, first pass"
                f" {found['first'][0]:.2f} s (CPU {found['first'][1]:.2f} s), again"
                f" {found['again'][0]:.2f} s (CPU {found['again'][1]:.2f} s) per business;"
                f" peak {found['peak_mb']:,.0f} MB"
            )
    print(f"load average {' '.join(f'{n:.1f}' for n in os.getloadavg())}")


if __name__ == "__main__":
    main()
