"""``busywork generate`` and ``busywork eval``: synthetic businesses and detector accuracy."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from busywork.commands.common import Subcommands, add_command
from busywork.errors import ConfigError


def register(commands: Subcommands) -> None:
    """Add ``generate`` and ``eval`` to the subcommands."""
    generate = add_command(
        commands,
        "generate",
        "write a synthetic business as CSV files + truth.json",
        ["busywork generate --seed 7 --months 12 --out data/"],
    )
    generate.add_argument("--seed", type=int, default=1, help="which business (default 1)")
    generate.add_argument("--months", type=int, default=18, help="months of history (default 18)")
    generate.add_argument(
        "--scale", type=float, default=1.0, help="multiply the volume of one-off work"
    )
    generate.add_argument("--out", type=Path, required=True, help="folder to write the files to")
    generate.set_defaults(handler=run_generate)

    evaluate = add_command(
        commands,
        "eval",
        "measure precision and recall of every detector on generated businesses",
        ["busywork eval --seeds 1-5 --jobs 2"],
    )
    evaluate.add_argument("--seeds", default="1-50", help="seeds, e.g. 1-50 or 1-5,9")
    evaluate.add_argument("--jobs", type=int, default=None, help="processes (default: CPUs)")
    evaluate.add_argument("--scale", type=float, default=None, help="fixed volume scale")
    evaluate.add_argument(
        "--route",
        choices=("csv", "api"),
        default="csv",
        help="import through CSV files (default) or through local fake vendor APIs",
    )
    evaluate.add_argument(
        "--profiles",
        default="cycle",
        help="real-world mess: cycle (default: one profile per seed, some clean), none, all, "
        "or names like checkout_shop,credit_notes",
    )
    evaluate.set_defaults(handler=run_eval)


def run_generate(args: argparse.Namespace) -> int:
    """Write one synthetic business."""
    from busywork.synth import GeneratorSettings, generate

    started = time.perf_counter()
    business = generate(GeneratorSettings(seed=args.seed, months=args.months, scale=args.scale))
    business.write(args.out)
    rows = sum(len(frame) for frame in business.frames.values())
    print(
        f"wrote {rows:,} records and truth.json to {args.out}"
        f" in {time.perf_counter() - started:.1f}s"
    )
    return 0


def run_eval(args: argparse.Namespace) -> int:
    """Score every detector on the seeds given."""
    from busywork import evaluate
    from busywork.synth.mess import parse_profiles

    try:
        seeds = evaluate.parse_seeds(args.seeds)
    except ValueError as exc:
        raise ConfigError(f"--seeds: {exc}") from None
    try:
        profiles = None if args.profiles == "cycle" else parse_profiles(args.profiles)
    except ValueError as exc:
        raise ConfigError(f"--profiles: {exc}") from None
    results = evaluate.evaluate(
        seeds, jobs=args.jobs, scale=args.scale, profiles=profiles, route=args.route
    )
    print(evaluate.format_table(evaluate.score(results), results))
    differ = evaluate.again_differs(results)
    if differ:  # the same store, detected twice: a difference is a defect, not a score
        print(
            "error: detecting again through the stored snapshots changed the recommendations"
            f" of seeds {', '.join(map(str, differ))}",
            file=sys.stderr,
        )
        return 1
    return 0
