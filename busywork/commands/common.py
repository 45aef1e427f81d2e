"""What several subcommands share: the ``-c`` option, config loading, dates, output helpers."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import UTC, date, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from rich.console import Console

from busywork.errors import ConfigError

EXIT_CONFIG = 2
EXIT_STORE = 3
EXIT_INTERNAL = 1

if TYPE_CHECKING:
    Subcommands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    Subcommands = argparse._SubParsersAction


#: The config file commands read when no ``-c`` is given (``busywork init`` writes it).
DEFAULT_CONFIG = Path("busywork.yaml")


def add_command(
    commands: Subcommands, name: str, summary: str, examples: Sequence[str]
) -> argparse.ArgumentParser:
    """A subcommand with a one-line description and examples at the end of its ``--help``."""
    lines = "\n".join(f"  {example}" for example in examples)
    return commands.add_parser(
        name,
        help=summary,
        description=summary[:1].upper() + summary[1:] + ".",
        epilog=f"example{'s' if len(examples) > 1 else ''}:\n{lines}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def config_args(parser: argparse.ArgumentParser, *, several: bool = True) -> None:
    """The ``--config/-c`` option every command that reads a config takes."""
    parser.add_argument(
        "--config",
        "-c",
        type=Path,
        action="append",
        metavar="FILE",
        help=(
            f"config file (default ./{DEFAULT_CONFIG})"
            + ("; repeat for several businesses sharing one store" if several else "")
        ),
    )


def config_paths(args: argparse.Namespace) -> list[Path]:
    """The files given with ``-c``, or ``./busywork.yaml`` when there is one.

    Raises:
        ConfigError: no ``-c`` and no ``busywork.yaml`` here.
    """
    if args.config:
        return list(args.config)
    if DEFAULT_CONFIG.is_file():
        return [DEFAULT_CONFIG]
    raise ConfigError(
        f"no config file: give one with -c FILE, or create ./{DEFAULT_CONFIG}"
        " (`busywork init EXPORTS_FOLDER` writes one from your exports)"
    )


def date_arg(text: str) -> datetime:
    """``YYYY-MM-DD`` as the end of that day in UTC."""
    try:
        return datetime.combine(
            datetime.strptime(text, "%Y-%m-%d").date(), clock_time(23, 59, 59), tzinfo=UTC
        )
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-10-31") from None


def day_arg(text: str) -> date:
    """``YYYY-MM-DD`` as a date."""
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-12-01") from None


def load(paths: Sequence[Path]) -> list[Any]:
    """Every config named, or one :class:`ConfigError` listing the problems of all of them."""
    from config.loader import load_config

    configs, problems = [], []
    for path in paths:
        try:
            configs.append(load_config(path))
        except ConfigError as exc:
            problems += exc.problems
    if problems:
        raise ConfigError("invalid configuration", problems)
    return configs


def one_business(args: argparse.Namespace) -> tuple[Any, Any]:
    """The single config named and its opened store."""
    from busywork.store.db import open_store

    configs = load(config_paths(args))
    if len(configs) != 1:
        raise ConfigError("give exactly one -c FILE: feedback and deliveries are per business")
    return configs[0], open_store(configs[0].storage.url)


def print_tables(documents: Sequence[dict[str, Any]]) -> None:
    """The ranked table of each document on stdout."""
    from busywork.report import render_table

    console = Console(highlight=False)
    for doc in documents:
        render_table(doc, console)


def write(documents: Sequence[dict[str, Any]], out: Path) -> list[tuple[Path, Path]]:
    """recommendations.json and report.html per document (a sub-folder each when several)."""
    from busywork.report import write_outputs

    if len(documents) == 1:
        return [write_outputs(documents[0], out)]
    return [write_outputs(doc, out / doc["business"]) for doc in documents]
