"""Benchmark: one detector's CPU, or a whole pass's, in repeated detection passes.

Usage: python bench/detector_passes.py FOLDER URL [--detector appointment_to_invoice | all]
[--passes 7] [--fresh]

The frames are loaded once, as ``bench/detect_1m.py``'s ``_detect`` loads them (the stored
snapshots of a store it has run on); then each pass is the pipeline's own
(:func:`busywork.pipeline.detect_pass`: a fresh detection pass, the collector frozen, the
coverage measured first, shared results forgotten after their last reader), run on the
detector alone, which it times in CPU seconds (the pass reads its clock). Each pass starts
empty, so the detector pays for what it shares with later ones, as it does when it runs
first. Several passes in one process give a minimum and a median that a shared machine
moves less than the single figure of a fresh process: compare code before and after by
alternating processes, and look at the minima.

``--detector all`` times the whole pass: the coverage and the thirteen detectors in turn.
``--fresh`` loads the frames again before each pass (and times the load): each pass then
reads strings freshly decoded, whose hashes no earlier pass has computed and cached, as
the first pass of a fresh process does.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.append(str(Path(__file__).resolve().parent))  # detect_1m's configuration

from detect_1m import AS_OF, _warm_frames, _worker

from busywork.pipeline import (
    DetectResult,
    Run,
    detect_pass,
    detection_context,
    enabled_detectors,
)


def passes(
    folder: Path, url: str, kind: str, count: int, *, fresh: bool = False
) -> tuple[list[float], list[float]]:
    """CPU seconds of ``kind``'s ``detect`` (``all``: the pass) in ``count`` fresh passes.

    Also the CPU seconds of each load: one, or with ``fresh`` one per pass.
    """
    worker = _worker(folder, url)
    config = worker.configs[0]
    detectors = enabled_detectors(config)
    context = detection_context(config, AS_OF)
    runs = {name: Run(detector) for name, detector in detectors.items() if kind in ("all", name)}
    if not runs:
        raise SystemExit(f"no detector {kind!r}; detectors: {', '.join(detectors)}")
    seconds: list[float] = []
    loads: list[float] = []
    frames = None
    for _ in range(count):
        if frames is None or fresh:
            frames = None  # the previous pass's frames freed before the next load
            started = time.process_time()
            frames = _warm_frames(worker, detectors)
            loads.append(time.process_time() - started)
        result = DetectResult()
        started = time.process_time()
        detect_pass("bench", runs, frames, context, result, clock=time.process_time)
        if result.failed:  # a detector that failed would look fast
            raise RuntimeError(f"detectors failed: {result.failed}")
        seconds.append(time.process_time() - started if kind == "all" else result.seconds[kind])
    worker.engine.dispose()
    return seconds, loads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path, help="the store's folder (its CSV files' parent)")
    parser.add_argument("url", help="the store's URL")
    parser.add_argument("--detector", default="appointment_to_invoice")
    parser.add_argument("--passes", type=int, default=7)
    parser.add_argument("--fresh", action="store_true", help="load the frames before each pass")
    args = parser.parse_args()
    seconds, loads = passes(args.folder, args.url, args.detector, args.passes, fresh=args.fresh)
    for label, values in ((args.detector, seconds), ("load", loads)):
        print(
            f"{label}: CPU min {min(values):.3f}s median {statistics.median(values):.3f}s"
            f"  ({' '.join(f'{value:.3f}' for value in values)})"
        )


if __name__ == "__main__":
    main()
