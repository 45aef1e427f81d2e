"""A progress display for long backfills: pages and records per connector, on a terminal."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from connectors.sync import SyncResult


class BackfillProgress:
    """Shows each connector's committed pages and records while it syncs.

    Use as a context manager and pass :meth:`update` as ``on_page``. Off a terminal (CI,
    pipes, the worker under a service manager) it shows nothing: logs say the same once.
    """

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> BackfillProgress:
        if self.console.is_terminal:
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(self, result: SyncResult) -> None:
        """Record a committed page of ``result.connector``."""
        if self._progress is None:
            return
        stats = result.stats
        records = stats.inserted + stats.updated + stats.unchanged + stats.deleted
        text = f"{result.connector}: {result.pages:,} pages, {records:,} records"
        task = self._tasks.get(result.connector)
        if task is None:
            self._tasks[result.connector] = self._progress.add_task(text, total=None)
        else:
            self._progress.update(task, description=text)

    def describe(self, connector: str) -> str | None:
        """The current line for ``connector`` (None when nothing is shown)."""
        if self._progress is None or connector not in self._tasks:
            return None
        return str(self._progress.tasks[self._tasks[connector]].description)
