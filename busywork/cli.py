"""The ``busywork`` command line: demo, scan, run, check-config, generate, migrate, and more.

Machine-readable output goes to stdout, logs and errors to stderr. Expected failures
(bad config, unreachable database) print one clear line per problem and exit non-zero;
a traceback appears only with ``--debug``. Each subcommand lives in its own module under
:mod:`busywork.commands`; this module only assembles the parser and maps errors to exits.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from rich.console import Console

from busywork import __version__
from busywork.commands import (
    check_config,
    delivery_admin,
    demo,
    generate,
    init,
    scale_out,
    scan,
    store_admin,
    webhooks,
)
from busywork.commands.common import EXIT_CONFIG, EXIT_INTERNAL, EXIT_STORE
from busywork.errors import BusyworkError, ConfigError, StoreError
from busywork.logs import configure_logging

__all__ = ["EXIT_CONFIG", "EXIT_INTERNAL", "EXIT_STORE", "main"]

#: Subcommand modules, in the order ``busywork --help`` lists them.
COMMAND_MODULES = (
    demo,
    init,
    scan,
    scale_out,  # run, tenants, status
    check_config,
    generate,
    store_admin,
    delivery_admin,
    webhooks,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``busywork`` command."""
    parser = _parser()
    args = parser.parse_args(argv)
    configure_logging("DEBUG" if args.debug else args.log_level)
    err = Console(stderr=True, highlight=False)
    try:
        return int(args.handler(args))
    except ConfigError as exc:
        for problem in exc.problems:
            err.print(f"[red]error:[/red] {problem}", markup=True, soft_wrap=True)
        return EXIT_CONFIG
    except StoreError as exc:
        err.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        return EXIT_STORE
    except BusyworkError as exc:
        err.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except Exception as exc:
        if args.debug:
            raise
        from busywork.logs import redact

        err.print(
            f"[red]internal error:[/red] {redact(f'{type(exc).__name__}: {exc}')}"
            " (run with --debug for details)"
        )
        return EXIT_INTERNAL


def _silence_stdout() -> None:
    """The reader went away (``busywork … | head``): drop the rest of stdout quietly.

    Python would otherwise complain again when it flushes stdout at exit.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout without a file descriptor (captured in tests)
        pass


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="busywork", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"busywork {__version__}")
    parser.add_argument(
        "--log-level", default="WARNING", help="DEBUG, INFO, WARNING (default) or ERROR"
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


if __name__ == "__main__":
    sys.exit(main())
