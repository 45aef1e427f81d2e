"""``busywork check-config``: validate config files and list every problem."""

from __future__ import annotations

import argparse
from pathlib import Path

from busywork.commands.common import Subcommands, load


def register(commands: Subcommands) -> None:
    """Add ``check-config`` to the subcommands."""
    check = commands.add_parser("check-config", help="validate config files and list every problem")
    check.add_argument("files", nargs="+", type=Path, metavar="FILE")
    check.set_defaults(handler=run_check)


def run_check(args: argparse.Namespace) -> int:
    """Load every file; print how its goals were read."""
    from alignment.goals import resolve_goals

    configs = load(args.files)
    for path, config in zip(args.files, configs, strict=True):
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
