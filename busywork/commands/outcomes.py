"""After a scan: one line per input file, failures with what to do, and the exit code they earn.

A failure is never reported as "nothing found": a scan exits 1 when a connector or a file
failed, or when the business has no records at all, and the usual "No recommendations"
line is only printed when everything was read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from sqlalchemy.engine import Engine

from busywork.store.records import RECORD_MODELS
from connectors.outcomes import FileStatus

_STYLE = {
    FileStatus.READ: "green",
    FileStatus.UNCHANGED: "dim",
    FileStatus.FAILED: "red",
    FileStatus.NOT_USED: "yellow",
}


def report_outcomes(results: Sequence[Any], console: Console | None = None) -> list[str]:
    """Print what became of every input; returns one line per failure (empty: all read)."""
    err = console or Console(stderr=True, highlight=False)
    failures: list[str] = []
    for result in results:
        for sync in result.syncs:
            if sync.error:
                failures.append(f"connector {sync.connector} failed")
                err.print(
                    f"[red]connector {sync.connector} failed:[/red] {sync.error}", soft_wrap=True
                )
            for outcome in sync.files:
                style = "red" if outcome.failed else _STYLE[outcome.status]
                err.print(
                    f"[{style}]{sync.connector}:[/{style}] {outcome.summary()}",
                    soft_wrap=True,
                    markup=True,
                )
                if outcome.failed:
                    failures.append(f"{outcome.file} failed")
            if not sync.files and sync.problems:
                # API connectors: the first few rejected inputs, then a count.
                for problem in sync.problems[:3]:
                    err.print(f"[yellow]skipped:[/yellow] {sync.connector}: {problem}")
                if len(sync.problems) > 3:
                    err.print(f"[yellow]… and {len(sync.problems) - 3} more skipped[/yellow]")
        for kind, error in result.detection.failed.items():
            failures.append(f"detector {kind} failed")
            err.print(f"[red]detector {kind} failed:[/red] {error}", soft_wrap=True)
    return failures


def incompleteness(results: Sequence[Any]) -> str:
    """What was left unread though nothing failed ("3 rows rejected, 1 file not used"), or ""."""
    rejected = sum(len(sync.problems) for result in results for sync in result.syncs)
    unused = sum(
        outcome.status is FileStatus.NOT_USED
        for result in results
        for sync in result.syncs
        for outcome in sync.files
    )
    parts = [f"{rejected:,} row(s) rejected"] if rejected else []
    parts += [f"{unused} file(s) not used"] if unused else []
    return ", ".join(parts)


def stored_records(engine: Engine, business: str) -> int:
    """How many live records the business has in the store, over every kind."""
    total = 0
    with engine.connect() as connection:
        for model in RECORD_MODELS.values():
            table = model.__table__  # type: ignore[attr-defined]
            total += connection.execute(
                sa.select(sa.func.count())
                .select_from(table)
                .where(table.c.business == business, sa.not_(table.c.deleted))
            ).scalar_one()
    return total


def nothing_imported_message(config: Any) -> str:
    """What to do when a business ends a scan with no records at all."""
    folders = [str(c.path) for c in config.connectors if getattr(c, "type", "") == "csv"]
    where = f" from {', '.join(folders)}" if folders else ""
    advice = (
        f"name the files invoices.csv, payments.csv … or run `busywork init {folders[0]}`"
        " to map them"
        if folders
        else "check that the connectors are enabled and authorised"
    )
    return f"nothing could be imported for {config.business.id}{where}: {advice}"
