"""``busywork check-config``: validate config files and list every problem."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from busywork.commands.common import Subcommands, add_command, config_args, config_paths, load


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
    """Load every file; print how its goals were read."""
    from alignment.goals import resolve_goals

    if args.files:
        Console(stderr=True, highlight=False).print(
            "note: `busywork check-config FILE` is deprecated; use `busywork check-config -c FILE`",
            soft_wrap=True,
        )
    paths = [*(args.config or []), *args.files] or config_paths(args)
    configs = load(paths)
    for path, config in zip(paths, configs, strict=True):
        print(
            f"{path}: ok ({config.business.id}: {len(config.connectors)} connector(s),"
            f" {len(config.goals)} goal(s))"
        )
        goals, consistency = resolve_goals(config.goals, config.alignment)
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
    return 0
