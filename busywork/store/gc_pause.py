"""Pausing Python's cyclic garbage collector while bulk data is built.

Reading a CSV file makes one list per row, and a bulk write one tuple per row: hundreds of
thousands of container objects, none of them part of a reference cycle. Every 700 new
containers the collector runs, and every so often it walks the whole heap (pandas,
SQLAlchemy and every module loaded): about a tenth of an ingest's CPU time, spent finding
nothing. Plain reference counting still frees everything these blocks let go of.

A detection pass is the other case: its detectors build and drop frames for seconds, and
now and then the collector's full collection walks every object the process held before
the pass (about 240 thousand: the loaded modules, the frames' indexes), which none of the
pass's garbage can be part of. :func:`gc_frozen` leaves those out of its walks for the
pass; the pass's own objects are still collected as usual.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_frozen_lock = threading.Lock()
_frozen_blocks = 0


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run the block with automatic garbage collection off; restore it as it was after.

    Nested or concurrent uses are safe: only the outermost block that found collection on
    turns it back on, and a collection that happens meanwhile is only a cost, never wrong.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def gc_frozen() -> Iterator[None]:
    """Run the block with the objects that exist now out of the collector's walks.

    ``gc.freeze`` moves every tracked object to a generation the collector never walks;
    what the block creates is collected as usual. When the outermost block ends, they are
    back in the oldest generation, and a cycle among them that became garbage meanwhile
    goes at the next full collection. Nested or concurrent uses are safe: only the first
    block to enter freezes and only the last to leave thaws.
    """
    global _frozen_blocks  # noqa: PLW0603 (one count per process, as the collector is)
    with _frozen_lock:
        if _frozen_blocks == 0:
            gc.freeze()
        _frozen_blocks += 1
    try:
        yield
    finally:
        with _frozen_lock:
            _frozen_blocks -= 1
            if _frozen_blocks == 0:
                gc.unfreeze()
