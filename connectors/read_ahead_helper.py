"""The read-ahead helper process: what runs in it, and this process's handle on it.

The helper is a fresh interpreter (``python -c``, never a fork: the caller may run
threads) that imports only this module (:data:`HELPER_CODE`), so no main module is run
again and none needs a ``__main__`` guard. It imports pandas and the reading modules,
never SQLAlchemy: each file to read comes with its kind's column specs. Files to read go
to its stdin (:class:`~connectors.export_read.ExportRead`), and each result comes back on
its stdout as one pickled blob of frames and tuples, never persisted; a thread here
drains the results so the helper never waits on a full pipe. Which files it reads, and
when, is :mod:`connectors.read_ahead`'s.
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
from collections.abc import Callable

from connectors.export_read import ExportRead, ReadResult
from connectors.shipped_batch import ShippedBatch

#: Seconds a helper that has read everything is given to exit before it is killed.
EXIT_SECONDS = 10.0
#: What the helper runs: this module's loop, and nothing else of the caller's program.
HELPER_CODE = "from connectors.read_ahead_helper import serve; serve()"


class Helper:
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
    (:func:`unpacked`) when its file's turn comes, not by the thread taking it off the
    pipe, which would hold the GIL meanwhile.
    """
    batch, problems, outcome = read.run()
    result = (None if batch is None else ShippedBatch.of(batch.hashed()), problems, outcome)
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(result)
    return buffer.getvalue()


def unpacked(packed: bytes) -> ReadResult:
    """A result of :func:`_read_packed` as :meth:`ExportRead.run` gives it."""
    shipped, problems, outcome = pickle.loads(packed)
    return (None if shipped is None else shipped.unpacked(), problems, outcome)
