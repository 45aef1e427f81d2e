"""Benchmark: one detector's CPU, or a whole pass's, in repeated detection passes.

Usage: python bench/detector_passes.py FOLDER URL [--detector appointment_to_invoice | all]
[--passes 7] [--fresh]

The frames are loaded once, as ``bench/detect_1m.py``'s ``_detect`` loads them (the stored
snapshots of a store it has run on); then each pass runs as the pipeline runs one (a fresh
:func:`detectors._shared.detection_pass`, the collector frozen, the coverage measured
first) and times the detector's ``detect`` alone in CPU seconds. Each pass starts empty,
so the detector pays for what it shares with later ones, as it does when it runs first.
Several passes in one process give a minimum and a median that a shared machine moves
less than the single figure of a fresh process: compare code before and after by
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

from busywork.allocator import release_free_pages
from busywork.pipeline import detection_context, enabled_detectors
from busywork.store.gc_pause import gc_frozen
from detectors._coverage import measure_pass
from detectors._shared import detection_pass


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
    seconds: list[float] = []
    loads: list[float] = []
    frames = None
    for _ in range(count):
        if frames is None or fresh:
            frames = None  # the previous pass's frames freed before the next load
            started = time.process_time()
            frames = _warm_frames(worker, detectors)
            loads.append(time.process_time() - started)
        release_free_pages()
        with detection_pass(), gc_frozen():
            started = time.process_time()
            coverage = measure_pass(list(detectors.values()), frames, context)
            release_free_pages()
            if kind != "all":
                started = time.process_time()
            for name, detector in detectors.items():
                if kind in ("all", name):
                    detector.detect(frames, context, coverage.get(name))
            seconds.append(time.process_time() - started)
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
