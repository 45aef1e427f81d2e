"""Reading the next export files in a second process while the current one commits.

An import is read, validated and hashed (pure work on the file's bytes), then committed
(the database's work), file after file. On a machine with a second core the two overlap:
while the sync loop commits one file, a helper process reads the next ones. Only big
imports start one (:data:`READ_AHEAD_MIN_BYTES`), and never from a daemonic process. The
helper takes a second or two to start (it imports pandas and our modules); meanwhile the
files are read here as before.

The helper is started with ``spawn`` (never ``fork``: the caller may run threads; like any
spawned process it imports the main module, which must guard its work with
``if __name__ == "__main__"``). It reads at most :data:`FILES_AHEAD` files ahead of the
commits and sends each result back as one pickled blob of frames and tuples, never
persisted. A file's result is the same as read here, its problems with their ``file:line``
included; an exception raised while reading surfaces when its file's turn comes, as if
raised here. If the helper dies, the files it owed are read here instead.
"""

from __future__ import annotations

import io
import multiprocessing
import pickle
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path

from busywork.store.ingest import RecordBatch
from busywork.store.records import RecordKind
from connectors.base import ConnectorContext
from connectors.csv_import import read_export
from connectors.csv_mapping import FileMapping
from connectors.doc_types import DocTypeRules
from connectors.outcomes import FileOutcome

#: Files to read adding up to less than this stay in this process (about 50,000 rows).
READ_AHEAD_MIN_BYTES = 8 * 1024 * 1024
#: Whether files are read here while the helper starts (else the first file only, and the
#: helper is waited for: tests turn it off so that the helper surely reads the others).
READ_HERE_WHILE_STARTING = True
#: Results read ahead and not yet committed, at most: enough to keep the helper busy while
#: a long file commits, few enough to bound memory.
FILES_AHEAD = 2

ReadResult = tuple[RecordBatch | None, tuple[str, ...], FileOutcome]


@dataclass(frozen=True)
class ExportRead:
    """One file to read: the arguments of :func:`~connectors.csv_import.read_export`."""

    path: Path
    kind: RecordKind
    stem: str
    mapping: FileMapping
    context: ConnectorContext
    doc_types: DocTypeRules | None = None

    def run(self) -> ReadResult:
        """Read the file here."""
        return read_export(
            self.path, self.kind, self.stem, self.mapping, self.context, self.doc_types
        )


def read_in_order(reads: Sequence[ExportRead]) -> Generator[ReadResult, None, None]:
    """Each file's result, in the order given; big imports read ahead in a second process.

    Close the generator (or let it be collected) to stop the helper early.
    """
    small = sum(_size(read.path) for read in reads) < READ_AHEAD_MIN_BYTES
    # A daemonic process (a multiprocessing.Pool worker) may not start processes of its own.
    if len(reads) < 2 or small or multiprocessing.current_process().daemon:
        for read in reads:
            yield read.run()
        return
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    try:
        yield from _with_helper(reads, pool)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _with_helper(reads: Sequence[ExportRead], pool: ProcessPoolExecutor) -> Iterator[ReadResult]:
    """The files read here until the helper has started, then by the helper, in order."""
    # The engine in the context is this process's; the reading needs none.
    portable = [replace(read, context=replace(read.context, engine=None)) for read in reads]
    started = pool.submit(_started)
    owed: dict[int, Future[bytes]] = {}
    handed = 0  # reads[:handed] are read here or owed by the helper

    def hand_over(upto: int) -> None:
        nonlocal handed
        if not started.done() and READ_HERE_WHILE_STARTING:
            return
        if started.exception() is not None:  # the helper could not start
            return
        try:
            while handed < min(upto, len(reads)):
                owed[handed] = pool.submit(_read_packed, portable[handed])
                handed += 1
        except BrokenProcessPool:  # the helper died: the rest is read here
            return

    for position, read in enumerate(reads):
        if position not in owed:
            handed = max(handed, position + 1)
            hand_over(position + 1 + FILES_AHEAD)  # the helper reads on while this one is
            yield read.run()
            continue
        hand_over(position + 1 + FILES_AHEAD)
        try:
            packed = owed.pop(position).result()
        except BrokenProcessPool:  # killed, out of memory: read it here instead
            yield read.run()
            continue
        yield pickle.loads(packed)


def _started() -> None:
    """Done in the helper once it has started: from then on it is handed files to read."""


def _read_packed(read: ExportRead) -> bytes:
    """In the helper: read the file, hash its records, and pickle the result in one blob.

    The content hashes are computed here so the commit need not. The pickler's fast mode
    skips the memo: the result holds no cycles, and a million text cells pickle three times
    faster without a memo entry each.
    """
    batch, problems, outcome = read.run()
    result = (None if batch is None else batch.hashed(), problems, outcome)
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(result)
    return buffer.getvalue()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # read_export reports the file as unreadable
        return 0
