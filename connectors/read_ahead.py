"""Reading the next export files in a second process while the current one commits.

An import is read, validated and hashed (pure work on the file's bytes), then committed
(the database's work), file after file. On a machine with a second core the two overlap:
while the sync loop commits one file, a helper process reads the next ones. Only big
imports start one (:data:`READ_AHEAD_MIN_BYTES`). The helper takes half a second to start
(it imports pandas and the reading modules, never SQLAlchemy: each file to read comes with
its kind's column specs, not read off the record tables there); meanwhile the files are
read here as before. A caller that hashes its files first starts it before
(:func:`helper_started_for`).

The helper process itself, and how files and results travel to and from it, are in
:mod:`connectors.read_ahead_helper`. It reads at most :data:`FILES_AHEAD`
big files ahead of the commits; a small file (:data:`SMALL_FILE_BYTES`) rides along
uncounted, so a bills export between two large ones never keeps the helper idle. A
file's result is the same as read here, its problems with their ``file:line`` included.
When reading a file fails in the helper, or the helper dies, that file (and every later
one) is read here again, so an error surfaces exactly as it always has.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Generator, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from connectors.export_read import ExportRead, ReadResult
from connectors.read_ahead_helper import Helper, unpacked

#: Files to read adding up to less than this stay in this process (about 50,000 rows).
READ_AHEAD_MIN_BYTES = 8 * 1024 * 1024
#: Whether files are read here while the helper starts (else the first file only, and the
#: helper is waited for: tests turn it off so that the helper surely reads the others).
READ_HERE_WHILE_STARTING = True
#: Results of big files read ahead and not yet committed, at most: enough to keep the helper
#: busy while a long file commits, few enough to bound memory.
FILES_AHEAD = 2
#: A file smaller than this is not counted in :data:`FILES_AHEAD`: its result takes little
#: memory, and counting it kept the helper from starting on the big file after it.
SMALL_FILE_BYTES = 8 * 1024 * 1024


def read_in_order(
    reads: Sequence[ExportRead], started: Helper | None = None
) -> Generator[ReadResult, None, None]:
    """Each file's result, in the order given; big imports read ahead in a second process.

    Close the generator (or let it be collected) to stop the helper early.

    Args:
        reads: The files, in the order their results are wanted.
        started: A helper from :func:`helper_started_for` (which stops it), used instead of
            starting one here. It is handed no file before this generator is first advanced.
    """
    if not _wants_helper(reads):
        for read in reads:
            yield read.run()
        return
    if started is not None:
        yield from _with_helper(reads, started)
        return
    with helper_started_for(reads) as helper:
        assert helper is not None  # reads want one
        yield from _with_helper(reads, helper)


@contextlib.contextmanager
def helper_started_for(reads: Sequence[ExportRead]) -> Iterator[Helper | None]:
    """A helper started now if ``reads`` alone call for one; stopped when the block ends.

    For a caller that knows some of the files it will read before it knows them all (a
    file never read before is read whatever it holds; telling whether a known one changed
    takes hashing it): the helper's second of starting overlaps that work. Hand it to
    :func:`read_in_order` with all the files; until then it is given none to read.
    """
    helper = Helper() if _wants_helper(reads) else None
    finished = False
    try:
        yield helper
        finished = True
    finally:
        if helper is not None:
            helper.stop(finished)


def _wants_helper(reads: Sequence[ExportRead]) -> bool:
    """Whether reading ``reads`` is worth a second process."""
    return len(reads) >= 2 and sum(_size(read.path) for read in reads) >= READ_AHEAD_MIN_BYTES


def _with_helper(reads: Sequence[ExportRead], helper: Helper) -> Generator[ReadResult, None, None]:
    """The files read here until the helper has started, then by the helper, in order.

    The helper is handed the files after the current one as soon as it has started (from
    the thread that sees it start), not only when the next file's turn comes.
    """
    # The engine in the context is this process's; the reading needs none.
    portable = [replace(read, context=replace(read.context, engine=None)) for read in reads]
    sizes = [_size(read.path) for read in reads]
    lock = threading.Lock()
    owed: set[int] = set()  # positions sent to the helper; its results come in that order
    sent = 1  # reads[:sent] are read here or sent to the helper; the first is read here
    current = 0  # the position being read or committed

    def hand_over() -> None:
        nonlocal sent
        with lock:
            upto = ahead_limit(sizes, current)
            while sent < upto and helper.send(portable[sent]):
                owed.add(sent)
                sent += 1

    helper.when_started(hand_over)
    if not READ_HERE_WHILE_STARTING:
        helper.started.wait()
    for position, read in enumerate(reads):
        with lock:
            current = position
            here = position not in owed
            if here:
                sent = max(sent, position + 1)
        if helper.started.is_set():
            hand_over()  # the helper reads on while this one is read or committed
        if here:
            yield read.run()
            continue
        packed = helper.result()
        yield read.run() if packed is None else unpacked(packed)


def ahead_limit(sizes: Sequence[int], current: int) -> int:
    """One past the last file to hand the helper while file ``current`` is committed.

    That is :data:`FILES_AHEAD` big files after the current one, with the small files
    (under :data:`SMALL_FILE_BYTES`) before, between and after them.

    Args:
        sizes: Each file's size in bytes, in import order.
        current: The position of the file being read or committed.
    """
    upto, big = current + 1, 0
    while upto < len(sizes):
        if sizes[upto] >= SMALL_FILE_BYTES:
            if big == FILES_AHEAD:
                break
            big += 1
        upto += 1
    return upto


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # read_export reports the file as unreadable
        return 0
