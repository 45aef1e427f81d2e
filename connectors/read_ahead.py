"""Reading the next export files in a second process while the current one commits.

An import is read, validated and hashed (pure work on the file's bytes), then committed
(the database's work), file after file. On a machine with a second core the two overlap:
while the sync loop commits one file, a helper process reads the next ones. Only big
imports start one (:data:`READ_AHEAD_MIN_BYTES`). The helper takes half a second to start
(it imports pandas and the reading modules, never SQLAlchemy: each file to read comes with
its kind's column specs, not read off the record tables there); meanwhile the files are
read here as before. A caller that hashes its files first starts it before
(:func:`helper_started_for`).

The helper is a fresh interpreter (``python -c``, never a fork: the caller may run
threads) that imports only this module, so no main module is run again and none needs a
``__main__`` guard. Files to read go to its stdin, and each result comes back on its
stdout as one pickled blob of frames and tuples, never persisted; a thread here drains the
results so the helper never waits on a full pipe. It reads at most :data:`FILES_AHEAD`
big files ahead of the commits; a small file (:data:`SMALL_FILE_BYTES`) rides along
uncounted, so a bills export between two large ones never keeps the helper idle. A
file's result is the same as read here, its problems with their ``file:line`` included.
When reading a file fails in the helper, or the helper dies, that file (and every later
one) is read here again, so an error surfaces exactly as it always has.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from busywork.store.column_types import ColumnSpec
from busywork.store.record_batch import RecordBatch
from busywork.store.record_kinds import RecordKind
from connectors.base import ConnectorContext
from connectors.csv_import import read_export
from connectors.csv_mapping import FileMapping
from connectors.doc_types import DocTypeRules
from connectors.outcomes import FileOutcome
from connectors.shipped_batch import ShippedBatch

#: Files to read adding up to less than this stay in this process (about 50,000 rows).
READ_AHEAD_MIN_BYTES = 8 * 1024 * 1024
#: Whether files are read here while the helper starts (else the first file only, and the
#: helper is waited for: tests turn it off so that the helper surely reads the others).
READ_HERE_WHILE_STARTING = True
#: Seconds a helper that has read everything is given to exit before it is killed.
EXIT_SECONDS = 10.0
#: What the helper runs: this module's loop, and nothing else of the caller's program.
HELPER_CODE = "from connectors.read_ahead import serve; serve()"
#: Results of big files read ahead and not yet committed, at most: enough to keep the helper
#: busy while a long file commits, few enough to bound memory.
FILES_AHEAD = 2
#: A file smaller than this is not counted in :data:`FILES_AHEAD`: its result takes little
#: memory, and counting it kept the helper from starting on the big file after it.
SMALL_FILE_BYTES = 8 * 1024 * 1024

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
    #: The columns of ``kind`` (:func:`~busywork.store.frames.column_specs`), derived by the
    #: caller from the record tables, which the helper never imports.
    specs: tuple[ColumnSpec, ...] = field(kw_only=True)

    def run(self) -> ReadResult:
        """Read the file here."""
        return read_export(
            self.path,
            self.kind,
            self.stem,
            self.mapping,
            self.context,
            self.doc_types,
            specs=self.specs,
        )


def read_in_order(
    reads: Sequence[ExportRead], started: _Helper | None = None
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
def helper_started_for(reads: Sequence[ExportRead]) -> Iterator[_Helper | None]:
    """A helper started now if ``reads`` alone call for one; stopped when the block ends.

    For a caller that knows some of the files it will read before it knows them all (a
    file never read before is read whatever it holds; telling whether a known one changed
    takes hashing it): the helper's second of starting overlaps that work. Hand it to
    :func:`read_in_order` with all the files; until then it is given none to read.
    """
    helper = _Helper() if _wants_helper(reads) else None
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


def _with_helper(reads: Sequence[ExportRead], helper: _Helper) -> Generator[ReadResult, None, None]:
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
        yield read.run() if packed is None else _unpacked(packed)


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


class _Helper:
    """The helper process, and a thread taking its results off the pipe as they come."""

    def __init__(self) -> None:
        # The same interpreter importing from the same places as this process.
        paths = [path or os.getcwd() for path in sys.path]
        self._process = subprocess.Popen(
            [sys.executable, "-c", HELPER_CODE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(paths)},
        )
        #: Set once the helper has imported what it needs (or has gone).
        self.started = threading.Event()
        self._on_start: Callable[[], None] | None = None
        self._start_lock = threading.Lock()
        self._results: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._gone = False
        self._taker = threading.Thread(target=self._take_results, name="read-ahead", daemon=True)
        self._taker.start()

    def when_started(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the helper has started (now, if it has)."""
        with self._start_lock:
            if not self.started.is_set():
                self._on_start = callback
                return
        callback()

    def send(self, read: ExportRead) -> bool:
        """Hand ``read`` to the helper; False when it has gone (the file is read here)."""
        stdin = self._process.stdin
        if self._gone or stdin is None:
            return False
        try:
            pickle.dump(read, stdin, protocol=pickle.HIGHEST_PROTOCOL)
            stdin.flush()
        except Exception:  # a broken pipe (it died): it gets nothing more, files are read here
            self._gone = True
            return False
        return True

    def result(self) -> bytes | None:
        """The next file's result; None when it must be read here (failed, or helper gone)."""
        packed = self._results.get()
        if packed is None and self._gone:
            self._results.put(None)  # and for every later file
        return packed

    def stop(self, finished: bool) -> None:
        """Let a helper that read everything exit; kill one stopped early. Reap it."""
        process = self._process
        if finished and process.stdin is not None:
            try:
                process.stdin.close()  # end of input: its loop returns
                process.wait(EXIT_SECONDS)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if process.poll() is None:
            process.kill()
        process.wait()
        self._taker.join(EXIT_SECONDS)  # it has read to the end of the pipe
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):  # unsent input of a killed helper
                    pipe.close()

    def _take_results(self) -> None:
        """Thread: the ready mark, then each result in order; None for all once it has gone."""
        stdout = self._process.stdout
        assert stdout is not None
        try:
            pickle.load(stdout)  # the ready mark
            self._start()
            while True:
                self._results.put(pickle.load(stdout))
        except (EOFError, OSError, ValueError, pickle.UnpicklingError):
            self._gone = True
            self._start()
            self._results.put(None)

    def _start(self) -> None:
        with self._start_lock:
            if self.started.is_set():
                return
            self.started.set()
            callback = self._on_start
        if callback is not None:
            try:
                callback()
            except Exception:  # never let this thread die: results would stop coming
                self._gone = True


def serve() -> None:
    """The helper's loop: read each file sent on stdin, write its result on stdout.

    A result is the blob of :func:`_read_packed`, or None when reading failed: the caller
    then reads the file itself, and the error surfaces there as it always has.
    """
    jobs, results = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not land among the results
    pickle.dump(True, results)  # the ready mark: everything is imported
    results.flush()
    while True:
        try:
            read = pickle.load(jobs)
        except EOFError:
            return
        try:
            packed: bytes | None = _read_packed(read)
        except Exception:  # read again by the caller, where it raises as it always has
            packed = None
        pickle.dump(packed, results, protocol=pickle.HIGHEST_PROTOCOL)
        results.flush()


def _read_packed(read: ExportRead) -> bytes:
    """In the helper: read the file, hash its records, and pickle the result in one blob.

    The content hashes are computed here so the commit need not; the text columns go as
    codes into their distinct values (:class:`~connectors.shipped_batch.ShippedBatch`).
    The pickler's fast mode skips the memo: the result holds no cycles, and a million
    hashes pickle three times faster without a memo entry each. The blob is unpickled
    (:func:`_unpacked`) when its file's turn comes, not by the thread taking it off the
    pipe, which would hold the GIL meanwhile.
    """
    batch, problems, outcome = read.run()
    result = (None if batch is None else ShippedBatch.of(batch.hashed()), problems, outcome)
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(result)
    return buffer.getvalue()


def _unpacked(packed: bytes) -> ReadResult:
    """A result of :func:`_read_packed` as :meth:`ExportRead.run` gives it."""
    shipped, problems, outcome = pickle.loads(packed)
    return (None if shipped is None else shipped.unpacked(), problems, outcome)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # read_export reports the file as unreadable
        return 0
