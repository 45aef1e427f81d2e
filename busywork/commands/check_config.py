"""``busywork check-config``: validate config files and list every problem."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from busywork.commands.common import (
    EXIT_CONFIG,
    Subcommands,
    add_command,
    config_args,
    config_paths,
    load,
)
from config.warnings import config_warnings


def register(commands: Subcommands) -> None:
    """Add ``check-config`` to the subcommands."""
    check = add_command(
        commands,
        "check-config",
        "validate config files and list every problem",
        ["busywork check-config -c busywork.yaml", "busywork check-config -c a.yaml -c b.yaml"],
    )
    config_args(check)
    check.add_argument(
        "files",
        nargs="*",
        type=Path,
        metavar="FILE",
        help="deprecated: the same as -c FILE (still accepted)",
    )
    check.set_defaults(handler=run_check)


def run_check(args: argparse.Namespace) -> int:
    """Load every file; print how its goals were read and what each export folder yields.

    Exit 2 when a config is invalid, a folder is missing, or a file cannot be mapped.
    """
    err = Console(stderr=True, highlight=False)
    if args.files:
        err.print(
            "note: `busywork check-config FILE` is deprecated; use `busywork check-config -c FILE`",
            soft_wrap=True,
        )
    paths = [*(args.config or []), *args.files] or config_paths(args)
    configs = load(paths)
    problems: list[str] = []
    for path, config in zip(paths, configs, strict=True):
        goals_text = (
            f"{len(config.goals)} goal(s)" if config.goals else "no goals: balanced default"
        )
        connectors = f"{len(config.connectors)} connector(s)"
        print(f"{path}: ok ({config.business.id}: {connectors}, {goals_text})")
        for warning in config_warnings(Path(path), config):
            print(f"  warning: {warning}")
        _print_goals(config)
        problems += [f"{path}: {problem}" for problem in _check_inputs(config)]
    for problem in problems:
        err.print(f"[red]error:[/red] {problem}", soft_wrap=True)
    return EXIT_CONFIG if problems else 0


def _print_goals(config: Any) -> None:
    from alignment.goals import resolve_goals
    from config.default_goals import effective_goals, uses_default_goals

    goals, consistency = resolve_goals(effective_goals(config), config.alignment)
    if uses_default_goals(config):
        print("  no goals: declared; ranking against the balanced default:")
    for goal in goals:
        how = (
            "as configured"
            if goal.mapping.explicit
            else f"read from: {', '.join(goal.mapping.cues)}"
        )
        print(
            f"  goal {goal.id}: {goal.objective.value} ({how}), weight {goal.weight:.0%},"
            f" KPI {goal.kpi.metric}"
        )
    if consistency is not None and consistency > 0.1:
        print(
            "  warning: pairwise judgements are inconsistent"
            f" (consistency ratio {consistency:.2f} > 0.10)"
        )


def _check_inputs(config: Any) -> list[str]:
    """Read every CSV folder as a scan would (nothing is stored); one line per file."""
    from connectors.base import ConnectorContext
    from connectors.csv_export import CsvConnector

    problems: list[str] = []
    context = ConnectorContext(
        business=config.business.id,
        timezone=config.business.timezone,
        currency=config.business.currency,
    )
    for entry in config.connectors:
        if entry.type != "csv" or not entry.enabled:
            continue
        connector = CsvConnector(entry, context)
        if not entry.path.is_dir():
            problems.append(f"connectors {entry.name}: folder {entry.path} does not exist")
            continue
        outcomes = [outcome for page in connector.pages(None) for outcome in page.files]
        for outcome in outcomes:
            print(f"  {entry.name}: {outcome.summary()}")
            if outcome.failed:
                problems.append(f"connectors {entry.name}: {outcome.summary()}")
        named = {kind: mapping.file for kind, mapping in entry.files.items() if mapping.file}
        found = {outcome.kind for outcome in outcomes if outcome.kind}
        for kind, file in named.items():
            if kind not in found:
                problems.append(
                    f"connectors {entry.name}: files.{kind}: {file} is not in {entry.path}"
                )
        if not found:
            problems.append(
                f"connectors {entry.name}: no file in {entry.path} is recognised;"
                f" run `busywork init {entry.path}` to map them"
            )
    return problems
