"""Anchor: what a process-mining user's first analysis costs, PM4Py on a million events.

Usage: python bench/anchor_pm4py.py [--events 1000000] [--seed 0]

PM4Py is not a dependency of Busywork; install it for the benchmark only::

    pip install -e '.[bench]'      # or: pip install pm4py==2.7.23

The log is a four-step invoice lifecycle (created, sent, reminded, paid), one case per
invoice, ``events / 4`` cases, ids and activities as text as a CSV reader would give them.
Timed: ``pm4py.format_dataframe`` then ``pm4py.discover_performance_dfg``, the two calls a
user makes before seeing any result. ``bench/detect_1m.py`` runs this in its own process and
prints it beside our own pass, with the ratio.
"""

from __future__ import annotations

import argparse
import resource
import time
from typing import Any

import numpy as np
import pandas as pd

#: The lifecycle every case follows, in order.
STEPS = ("Create invoice", "Send invoice", "Send reminder", "Receive payment")


def event_log(events: int, seed: int = 0) -> pd.DataFrame:
    """``events`` events of ``events // 4`` invoices, ordered by case then time."""
    rng = np.random.default_rng(seed)
    cases = events // len(STEPS)
    start = np.datetime64("2025-01-01T08:00:00") + rng.integers(0, 365 * 24 * 3600, cases).astype(
        "timedelta64[s]"
    )
    gaps = rng.exponential([3_600.0, 7 * 86_400.0, 14 * 86_400.0], size=(cases, 3))
    offsets = np.concatenate([np.zeros((cases, 1)), np.cumsum(gaps, axis=1)], axis=1)
    stamps = start[:, None] + offsets.astype("timedelta64[s]")
    case_ids = np.char.add("INV-", np.arange(cases).astype(str))
    return pd.DataFrame(
        {
            "case_id": np.repeat(case_ids, len(STEPS)).astype(object),
            "activity": np.tile(np.array(STEPS, dtype=object), cases),
            "timestamp": pd.to_datetime(stamps.ravel()),
            "resource": rng.choice(np.array(["ana", "ben", "cy"], dtype=object), cases * 4),
        }
    )


def run_anchor(events: int, seed: int = 0) -> dict[str, Any]:
    """Time PM4Py's format + performance DFG on a fresh log; meant for a child process."""
    import pm4py  # noqa: PLC0415  (bench-only dependency)

    log = event_log(events, seed)
    started, cpu = time.perf_counter(), time.process_time()
    formatted = pm4py.format_dataframe(
        log, case_id="case_id", activity_key="activity", timestamp_key="timestamp"
    )
    formatted_at = time.perf_counter()
    dfg, _starts, _ends = pm4py.discover_performance_dfg(formatted)
    discovered = time.perf_counter()
    return {
        "events": len(log),
        "format": formatted_at - started,
        "dfg": discovered - formatted_at,
        "total": discovered - started,
        "cpu": time.process_time() - cpu,
        "edges": len(dfg),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "version": pm4py.__version__,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    found = run_anchor(args.events, args.seed)
    print(f"PM4Py {found['version']} on {found['events']:,} events ({found['edges']} DFG edges)")
    print(f"format_dataframe          {found['format']:>8.2f}s")
    print(f"discover_performance_dfg  {found['dfg']:>8.2f}s")
    print(f"total                     {found['total']:>8.2f}s  peak {found['peak_mb']:,.0f} MB")


if __name__ == "__main__":
    main()
