"""Benchmark: one detector's CPU in repeated detection passes over one loaded store.

Usage: python bench/detector_passes.py FOLDER URL [--detector appointment_to_invoice]
[--passes 7]

The frames are loaded once, as ``bench/detect_1m.py``'s ``_detect`` loads them (the stored
snapshots of a store it has run on); then each pass runs as the pipeline runs one (a fresh
:func:`detectors._shared.detection_pass`, the collector frozen, the coverage measured
first) and times the detector's ``detect`` alone in CPU seconds. Each pass starts empty,
so the detector pays for what it shares with later ones, as it does when it runs first.
Several passes in one process give a minimum and a median that a shared machine moves
less than the single figure of a fresh process: compare code before and after by
alternating processes, and look at the minima.
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

from busywork.allocator import release_free_pages
from busywork.pipeline import detection_context, enabled_detectors
from busywork.store.gc_pause import gc_frozen
from detectors._coverage import measure_pass
from detectors._shared import detection_pass


def passes(folder: Path, url: str, kind: str, count: int) -> list[float]:
    """CPU seconds of ``kind``'s ``detect`` in each of ``count`` fresh passes."""
    worker = _worker(folder, url)
    config = worker.configs[0]
    detectors = enabled_detectors(config)
    frames = _warm_frames(worker, detectors)
    context = detection_context(config, AS_OF)
    detector = detectors[kind]
    seconds = []
    for _ in range(count):
        release_free_pages()
        with detection_pass(), gc_frozen():
            coverage = measure_pass(list(detectors.values()), frames, context)
            release_free_pages()
            started = time.process_time()
            detector.detect(frames, context, coverage.get(kind))
            seconds.append(time.process_time() - started)
    worker.engine.dispose()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path, help="the store's folder (its CSV files' parent)")
    parser.add_argument("url", help="the store's URL")
    parser.add_argument("--detector", default="appointment_to_invoice")
    parser.add_argument("--passes", type=int, default=7)
    args = parser.parse_args()
    seconds = passes(args.folder, args.url, args.detector, args.passes)
    print(
        f"{args.detector}: CPU min {min(seconds):.3f}s median {statistics.median(seconds):.3f}s"
        f"  ({' '.join(f'{value:.3f}' for value in seconds)})"
    )


if __name__ == "__main__":
    main()
