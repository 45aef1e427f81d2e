"""``busywork scan``: one cycle (poll, detect, rank, deliver) and exit."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console

from busywork.commands.common import (
    Subcommands,
    add_command,
    config_args,
    config_paths,
    date_arg,
    load,
    print_tables,
    write,
)


def register(commands: Subcommands) -> None:
    """Add ``scan`` to the subcommands."""
    scan = add_command(
        commands,
        "scan",
        "run one cycle (poll, detect, rank, deliver) and exit",
        [
            "busywork scan -c busywork.yaml --out reports/",
            "busywork scan --json --as-of 2026-10-31 | head",
        ],
    )
    config_args(scan)
    scan.add_argument("--json", action="store_true", help="print the JSON document on stdout")
    scan.add_argument(
        "--out", type=Path, help="also write recommendations.json and report.html here"
    )
    scan.add_argument("--as-of", type=date_arg, help="detect as of this date (YYYY-MM-DD), not now")
    scan.add_argument(
        "--redetect",
        action="store_true",
        help="run every detector, not only those whose inputs changed",
    )
    scan.set_defaults(handler=run_scan)


def run_scan(args: argparse.Namespace) -> int:
    """Scan every business named once and print or write the result.

    Exit 1 when a connector, a file or a detector failed, or when a business has no
    records at all; the lines printed say what to change.
    """
    from busywork.commands.outcomes import (
        incompleteness,
        nothing_imported_message,
        report_outcomes,
        stored_records,
    )
    from busywork.progress import BackfillProgress
    from config.default_goals import DEFAULT_GOALS_NOTE, uses_default_goals
    from worker import Worker

    configs = load(config_paths(args))
    with BackfillProgress() as progress, _reported_here(args):
        worker = Worker(configs, as_of=args.as_of, on_page=progress.update)
        results = worker.run_once(force=True, redetect=args.redetect or args.as_of is not None)
    err = Console(stderr=True, highlight=False)
    failures = report_outcomes(results, err)
    for config in configs:
        if stored_records(worker.engine, config.business.id) == 0:
            failures.append(nothing_imported_message(config))
            err.print(f"[red]error:[/red] {failures[-1]}", soft_wrap=True)
    if any(uses_default_goals(config) for config in configs):
        err.print(DEFAULT_GOALS_NOTE, soft_wrap=True)
    documents = [result.document for result in results if result.document is not None]
    if args.json:
        payload: Any = documents[0] if len(documents) == 1 else documents
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    elif failures and not any(doc.get("recommendations") for doc in documents):
        print(
            f"No recommendations yet: {len(failures)} input(s) could not be read (see above);"
            " fix them and scan again."
        )
    elif incompleteness(results) and not any(doc.get("recommendations") for doc in documents):
        print(f"No recommendations in what could be read ({incompleteness(results)}; see above).")
    else:
        quiet = {c.business.id for c in configs if not c.delivery.stdout}
        print_tables([doc for doc in documents if doc.get("business") not in quiet])
    if args.out:
        write(documents, args.out)
    return 1 if failures else 0


#: Loggers whose failures a scan prints itself (one line per connector, file, detector).
REPORTED_LOGGERS = ("connectors.sync", "busywork.pipeline")


@contextlib.contextmanager
def _reported_here(args: argparse.Namespace) -> Iterator[None]:
    """At the default log level, leave failures to the scan's own lines: each shows once."""
    if args.debug or str(args.log_level).upper() != "WARNING":
        yield
        return
    loggers = [logging.getLogger(name) for name in REPORTED_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
