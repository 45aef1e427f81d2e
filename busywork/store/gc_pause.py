"""Pausing Python's cyclic garbage collector while bulk data is built.

Reading a CSV file makes one list per row, and a bulk write one tuple per row: hundreds of
thousands of container objects, none of them part of a reference cycle. Every 700 new
containers the collector runs, and every so often it walks the whole heap (pandas,
SQLAlchemy and every module loaded): about a tenth of an ingest's CPU time, spent finding
nothing. Plain reference counting still frees everything these blocks let go of.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


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
