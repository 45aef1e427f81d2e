"""``busywork run``: the long-running worker."""

from __future__ import annotations

import argparse

from busywork.commands.common import Subcommands, config_args, load


def register(commands: Subcommands) -> None:
    """Add ``run`` to the subcommands."""
    run = commands.add_parser("run", help="run the worker until stopped (SIGTERM/SIGINT)")
    config_args(run)
    run.set_defaults(handler=run_worker)


def run_worker(args: argparse.Namespace) -> int:
    """Poll, detect and deliver on schedule until a signal stops the worker."""
    from worker import Worker

    Worker(load(args.config)).run()
    return 0
