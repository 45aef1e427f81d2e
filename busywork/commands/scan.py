"""``busywork scan``: one cycle (poll, detect, rank, deliver) and exit."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from busywork.commands.common import (
    Subcommands,
    add_command,
    config_args,
    config_paths,
    date_arg,
    load,
    print_tables,
    report_problems,
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
    """Scan every business named once and print or write the result."""
    from busywork.progress import BackfillProgress
    from worker import Worker

    with BackfillProgress() as progress:
        worker = Worker(load(config_paths(args)), as_of=args.as_of, on_page=progress.update)
        results = worker.run_once(force=True, redetect=args.redetect or args.as_of is not None)
    report_problems(results)
    documents = [result.document for result in results if result.document is not None]
    if args.json:
        payload: Any = documents[0] if len(documents) == 1 else documents
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    else:
        print_tables(documents)
    if args.out:
        write(documents, args.out)
    return 0 if all(sync.ok for result in results for sync in result.syncs) else 1
