"""``busywork run``: the long-running worker."""

from __future__ import annotations

import argparse

from busywork.commands.common import Subcommands, add_command, config_args, config_paths, load


def register(commands: Subcommands) -> None:
    """Add ``run`` to the subcommands."""
    run = add_command(
        commands,
        "run",
        "run the worker until stopped (SIGTERM/SIGINT)",
        ["busywork run -c busywork.yaml", "busywork run -c shop.yaml -c clinic.yaml"],
    )
    config_args(run)
    run.set_defaults(handler=run_worker)


def run_worker(args: argparse.Namespace) -> int:
    """Poll, detect and deliver on schedule until a signal stops the worker."""
    from worker import Worker

    Worker(load(config_paths(args))).run()
    return 0
