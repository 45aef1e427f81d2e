"""Benchmark: a business with about a million records; CSV ingest, full detection, re-detection.

Usage: python bench/detect_1m.py [--scale 14] [--seed 2] [--url sqlite:///…] [--no-anchor]
       [--repeat N]

Each stage runs in its own process so its peak memory is its own:

1. generate the business and write its CSV files;
2. ingest: the CSV connector reads every file into an empty store (records + events);
   per file, how long the import waited for its reading and how long its commit took;
3. cold load: the frames every detector needs, read from the row store the first time
   (what a cold detection waits for); then, timed apart as the pipeline does it once the
   findings are committed, the frames stored as columnar snapshots
   (``busywork.store.stored_frames``); the snapshots' size is printed;
4. detect, in a fresh process: the same frames loaded warm, through the stored snapshots
   (as a restarted worker loads them), then all thirteen detectors run as the pipeline
   does (one pass: data coverage measured once and handed to each, shared intermediate
   results computed once), timed without the load and with it (and with ranking and
   upserting findings); the kernel's share of each stage (system CPU and minor page
   faults: on a virtual machine, a page taken for the first time costs microseconds);
5. a new batch of 100 invoice events, then detection again: subject-keyed detectors re-run on
   just the customers the batch touched; business-wide ones wait for their refresh window,
   and that later run is timed too;
6. the anchor (``bench/anchor_pm4py.py``): PM4Py's ``format_dataframe`` plus
   ``discover_performance_dfg`` on a million events, printed beside our warm load (stored
   snapshots) + thirteen detectors + rank, with the ratio of wall and of CPU seconds (the
   machine is shared: the ratio within one run is the figure to compare, not seconds
   across runs). With ``--repeat N``, N pairs of runs (ours, then PM4Py's, in turn) and the
   median of their ratios: on a noisy virtual machine one pair's ratio moves by a fifth.
   PM4Py is a benchmark-only package (``pip install -e '.[bench]'``); without it the anchor
   is skipped. The import's seconds are also printed over the anchor's median run: the
   import's goal is in seconds of the machine it was set on, and this compares across
   machines.

The findings' digest (SHA-256 of every candidate, sorted) is printed so a change to loading
or storage can be checked to leave them byte-identical. Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.append(str(Path(__file__).resolve().parent))  # after the project: bench/connectors.py

import pandas as pd
import sqlalchemy as sa

from busywork.pipeline import (
    DetectResult,
    detect,
    detect_pass,
    detection_context,
    enabled_detectors,
    recommendations,
)
from busywork.plan import Run, load_for_detection, load_for_runs
from busywork.store.frames import validate_records
from busywork.store.ingest import commit_page
from busywork.store.record_batch import RecordBatch
from busywork.store.records import RecordKind
from busywork.store.tables import FrameSnapshot
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
_SNAPSHOTS = FrameSnapshot.__table__  # type: ignore[attr-defined]

#: The import's goal (10 s) in runs of the anchor on the machine the goals were set on
#: (PM4Py's 2.4 s there): the same goal on a machine of another speed.
IMPORT_GOAL_IN_ANCHOR_RUNS = 10.0 / 2.4


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _kernel() -> tuple[float, int]:
    """This process's system CPU seconds and minor page faults so far.

    On a virtual machine a page taken for the first time costs microseconds of system CPU:
    the share of a stage that no Python profile shows.
    """
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_stime, usage.ru_minflt


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
    cpu = time.process_time() - cpu  # as before: with the checkpoint of the last close
    helper = resource.getrusage(resource.RUSAGE_CHILDREN)  # reaped once the import is done
    return {
        "seconds": seconds,
        "cpu": cpu,
        "helper_cpu": helper.ru_utime + helper.ru_stime,
        "helper_mb": helper.ru_maxrss / 1024,
        "peak_mb": _peak_mb(),
        "ok": synced is not None,
        # Per file: seconds waiting for it to be read, then committing it (what bounds the
        # import: the commits follow the reads in file order).
        "pages": []
        if synced is None
        else [(page.label, page.waited, page.committed) for page in synced.timings],
    }


def _load_cold(folder: Path, url: str) -> dict[str, Any]:
    """The first load: every row read; then the frames stored as snapshots for later loads."""
    worker = _worker(folder, url)
    detectors = enabled_detectors(worker.configs[0])
    started, cpu = time.perf_counter(), time.process_time()
    frames, unstored = load_for_detection(
        worker.engine, "bench", [Run(detector) for detector in detectors.values()]
    )
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    began, write_cpu = time.perf_counter(), time.process_time()
    unstored.write(worker.engine)  # as the pipeline does, once the findings are committed
    write_seconds, write_cpu = time.perf_counter() - began, time.process_time() - write_cpu
    with worker.engine.connect() as connection:
        stored = connection.execute(
            sa.select(sa.func.sum(sa.func.length(_SNAPSHOTS.c.payload))).where(
                _SNAPSHOTS.c.business == "bench"
            )
        ).scalar_one()
    worker.engine.dispose()
    return {
        "load": seconds,
        "load_cpu": cpu,
        "write": write_seconds,
        "write_cpu": write_cpu,
        "rows": sum(len(frame) for frame in frames.values()),
        "stored_mb": (stored or 0) / 1e6,
        "peak_mb": _peak_mb(),
    }


def _warm_frames(worker: Worker, detectors: dict[str, Any]) -> Any:
    """The frames ``detectors`` read, loaded as the pipeline loads them (stored snapshots)."""
    return load_for_runs(worker.engine, "bench", [Run(detector) for detector in detectors.values()])


def _detect(folder: Path, url: str, pipeline: bool = True) -> dict[str, Any]:
    worker = _worker(folder, url)
    config = worker.configs[0]
    detectors = enabled_detectors(config)
    kernel = [_kernel()]
    started, cpu = time.perf_counter(), time.process_time()
    # As the pipeline loads them (through the stored snapshots, once a load has written
    # them): the ranking keeps the frames it measures its baselines on.
    frames = _warm_frames(worker, detectors)
    loaded = time.perf_counter()
    load_cpu = time.process_time() - cpu
    kernel.append(_kernel())
    context = detection_context(config, AS_OF)
    # The pipeline's own pass (coverage once, results shared, each detector timed).
    passed = DetectResult()
    runs = {name: Run(detector) for name, detector in detectors.items()}
    candidates = detect_pass("bench", runs, frames, context, passed)
    if passed.failed:  # a detector that failed would make the pass look faster
        raise RuntimeError(f"detectors failed: {passed.failed}")
    per_kind = passed.seconds
    detected = time.perf_counter()
    detect_cpu = time.process_time() - cpu - load_cpu
    kernel.append(_kernel())
    del frames
    ranked = recommendations(
        worker.engine, config, generated_at=AS_OF, as_of=AS_OF, candidates=candidates
    )
    rank_seconds = time.perf_counter() - detected
    rank_cpu = time.process_time() - cpu - load_cpu - detect_cpu
    kernel.append(_kernel())
    digest = hashlib.sha256(
        "\n".join(sorted(repr(candidate) for candidate in candidates)).encode()
    ).hexdigest()
    began = time.perf_counter()
    if pipeline:
        result = detect(worker.engine, config, as_of=AS_OF, now=AS_OF, force=True)
    full = time.perf_counter() - began
    worker.engine.dispose()
    return {
        "load": loaded - started,
        "load_cpu": load_cpu,
        # Per stage (load, detect, rank): system CPU seconds and minor page faults.
        "kernel": [
            (after[0] - before[0], after[1] - before[1]) for before, after in pairwise(kernel)
        ],
        "detect": detected - loaded,
        "detect_cpu": detect_cpu,
        "rank": rank_seconds,
        "rank_cpu": rank_cpu,
        "recommendations": len(ranked["recommendations"]),
        "digest": digest,
        "per_kind": per_kind,
        "findings": len(candidates),
        "pipeline_detect": full,
        "ran": len(result.ran) if pipeline else 0,
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
    # As the live worker does (no --as-of): as of its clock. A scan pinned to AS_OF here
    # would not reuse the full pass's watermarks (made as of its own clock) and would run
    # every detector on everything again.
    result = detect(worker.engine, config, as_of=now, now=now)
    detected = time.perf_counter()
    # Nothing new since: no detector is due, so nothing is loaded or measured.
    idle = detect(worker.engine, config, as_of=now, now=now)
    idled = time.perf_counter()
    # The business-wide detectors coalesce batches: they run once their refresh window passed.
    later_now = now + WINDOW_REFRESH
    later = detect(worker.engine, config, as_of=later_now, now=later_now)
    refreshed = time.perf_counter()
    # A process tick ranks the open findings again, with nothing new since the last one.
    recommendations(worker.engine, config, generated_at=now + WINDOW_REFRESH, as_of=AS_OF)
    ticked, tick_cpu = time.perf_counter(), time.process_time()
    recommendations(worker.engine, config, generated_at=now + WINDOW_REFRESH, as_of=AS_OF)
    tick = time.perf_counter() - ticked
    tick_cpu = time.process_time() - tick_cpu
    worker.engine.dispose()
    return {
        "commit": committed - started,
        "detect": detected - committed,
        "ran": sorted(result.ran),
        "full": sorted(set(result.ran) - set(result.scoped)),
        "scoped": result.scoped,
        "idle": idled - detected,
        "idle_ran": sorted(idle.ran),
        "refresh": refreshed - idled,
        "first_tick": ticked - refreshed,
        "tick": tick,
        "tick_cpu": tick_cpu,
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
    parser.add_argument("--events", type=int, default=1_000_000, help="events in PM4Py's log")
    parser.add_argument("--no-anchor", dest="anchor", action="store_false")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="pairs of runs (ours, then PM4Py's) behind the ratio; more than one prints each"
        " pair's ratio and their median",
    )
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
            f"  (CPU {ingested['cpu']:.1f}s + read-ahead helper {ingested['helper_cpu']:.1f}s)"
            f"  peak {ingested['peak_mb']:,.0f} MB (helper {ingested['helper_mb']:,.0f} MB)"
        )
        for label, waited, committed in ingested["pages"]:
            print(f"  {label:<19} waited {waited:5.2f}s for reading, committed in {committed:.2f}s")
        cold = _in_child(_load_cold, folder, url)
        print(
            f"load frames, cold    {cold['load']:>11.1f}s  (CPU {cold['load_cpu']:.1f}s;"
            f" row store)  peak {cold['peak_mb']:,.0f} MB"
        )
        print(
            f"  then snapshots     {cold['write']:>11.1f}s  (CPU {cold['write_cpu']:.1f}s;"
            f" {cold['stored_mb']:.0f} MB written after the findings)"
        )
        found = _in_child(_detect, folder, url)
        print(
            f"load frames, warm    {found['load']:>11.2f}s  (CPU {found['load_cpu']:.2f}s;"
            " stored snapshots, a fresh process)"
        )
        print(
            f"detect (13 kinds)    {found['detect']:>11.1f}s  (CPU {found['detect_cpu']:.1f}s,"
            f" {found['findings']} findings)"
        )
        for kind, seconds in sorted(found["per_kind"].items(), key=lambda item: -item[1]):
            print(f"  {kind:<24} {seconds:>8.2f}s")
        print(
            f"rank                 {found['rank']:>11.2f}s  (CPU {found['rank_cpu']:.2f}s,"
            f" {found['recommendations']} recommendations)"
        )
        stages = zip(("load", "detect", "rank"), found["kernel"], strict=True)
        print(
            "  of which the kernel "
            + ", ".join(
                f"{name} {sys:.2f}s ({faults:,} page faults)" for name, (sys, faults) in stages
            )
        )
        print(f"pipeline detect      {found['pipeline_detect']:>11.1f}s  (load, detect, upsert)")
        print(f"peak RSS (detect)    {found['peak_mb']:>10,.0f} MB")
        # More pairs for the ratio (--repeat) on the same store as the first: before the
        # batch below, after which every load patches the snapshots from the event log.
        pairs = [
            (_in_child(_detect, folder, url, False), _in_child(_anchor, args.events))
            for _ in range(args.repeat - 1 if args.anchor and _has_anchor() else 0)
        ]
        batch = _in_child(_batch, folder, url)
        print(f"100 new events       {batch['commit']:>11.2f}s  (commit)")
        ran = [f"{kind} on {n} subjects" for kind, n in batch["scoped"].items()]
        ran += [f"{kind} on everything" for kind in batch["full"]]
        print(f"re-detect after them {batch['detect']:>11.2f}s  (ran: {', '.join(ran) or 'none'})")
        print(
            f"re-detect, nothing new {batch['idle']:>9.2f}s"
            f"  (ran: {', '.join(batch['idle_ran']) or 'none'})"
        )
        print(
            f"window refresh later {batch['refresh']:>11.2f}s"
            f"  (ran: {', '.join(batch['refreshed'])})"
        )
        print(
            f"ranking tick         {batch['tick']:>11.2f}s"
            f"  (CPU {batch['tick_cpu']:.2f}s; first {batch['first_tick']:.2f}s)"
        )
        print(f"findings digest      {found['digest'][:16]}")
        if args.anchor:
            anchor = _in_child(_anchor, args.events)
            _side_by_side(found, anchor)
            if anchor is not None and pairs:
                _ratios([(found, anchor), *pairs])
            if anchor is not None:
                _ingest_in_anchor_runs(ingested["seconds"], [anchor, *(a for _, a in pairs)])
        print(f"load average         {' '.join(f'{n:.1f}' for n in os.getloadavg())}")


def _has_anchor() -> bool:
    return importlib.util.find_spec("pm4py") is not None


def _anchor(events: int) -> dict[str, Any] | None:
    if not _has_anchor():
        return None
    from anchor_pm4py import run_anchor  # noqa: PLC0415  (bench/ is on sys.path)

    return run_anchor(events)


def _ratios(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """Each pair's ratio (ours, then PM4Py's, each run in a fresh process), and the median.

    On a noisy machine one pair's ratio moved by a fifth from one run to the next; the
    median of pairs run in turn is the figure to compare. The pairs after the first run
    detection alone (no pipeline pass after it), on the same store.
    """
    ratios = []
    for number, (ours, anchor) in enumerate(pairs, 1):
        wall = ours["load"] + ours["detect"] + ours["rank"]
        ratios.append(wall / anchor["total"])
        print(
            f"  pair {number}: ours {wall:.2f}s, PM4Py {anchor['total']:.2f}s,"
            f" ratio {ratios[-1]:.2f}"
        )
    print(
        f"ratio, median of {len(ratios)} pairs  {statistics.median(ratios):.2f}"
        f"  (range {min(ratios):.2f}-{max(ratios):.2f}; goal <= 1.0)"
    )


def _ingest_in_anchor_runs(seconds: float, anchors: list[dict[str, Any]]) -> None:
    """The import's seconds over the anchor's median run: how the import fares on this machine.

    The import's goal is in seconds, set on one machine; virtual machines since have run the
    same code up to 1.6 times slower. The anchor measures this machine's speed at the same
    kind of work (pandas on one core), so this figure compares across machines where the
    seconds do not. It is printed beside the seconds, not instead of them.
    """
    anchor = statistics.median(run["total"] for run in anchors)
    print(
        f"ingest / PM4Py       {seconds / anchor:>11.2f}   ({seconds:.1f}s over the anchor's"
        f" median {anchor:.2f}s; the 10 s goal was {IMPORT_GOAL_IN_ANCHOR_RUNS:.2f} where"
        " it was set)"
    )


def _side_by_side(ours: dict[str, Any], anchor: dict[str, Any] | None) -> None:
    if anchor is None:
        print("anchor skipped: PM4Py is not installed (pip install -e '.[bench]')")
        return
    our_wall = ours["load"] + ours["detect"] + ours["rank"]
    our_cpu = ours["load_cpu"] + ours["detect_cpu"] + ours["rank_cpu"]
    rows = [
        ("load frames (warm: stored snapshots)", ours["load"], ours["load_cpu"]),
        ("13 detectors", ours["detect"], ours["detect_cpu"]),
        (f"rank ({ours['recommendations']} recommendations)", ours["rank"], ours["rank_cpu"]),
    ]
    print()
    print(f"{'Busywork (from the store)':<38}{'wall':>8}{'CPU':>8}")
    for name, wall, cpu in rows:
        print(f"  {name:<36}{wall:>7.2f}s{cpu:>7.2f}s")
    print(f"  {'total':<36}{our_wall:>7.2f}s{our_cpu:>7.2f}s  peak {ours['peak_mb']:,.0f} MB")
    print(f"PM4Py {anchor['version']} ({anchor['events']:,} events, a prepared DataFrame)")
    print(f"  {'format_dataframe':<36}{anchor['format']:>7.2f}s")
    print(f"  {'discover_performance_dfg':<36}{anchor['dfg']:>7.2f}s")
    print(
        f"  {'total':<36}{anchor['total']:>7.2f}s{anchor['cpu']:>7.2f}s"
        f"  peak {anchor['peak_mb']:,.0f} MB"
    )
    print(
        f"ratio ours / PM4Py   wall {our_wall / anchor['total']:.2f}"
        f"  CPU {our_cpu / anchor['cpu']:.2f}   (goal <= 1.0)"
    )


if __name__ == "__main__":
    main()
