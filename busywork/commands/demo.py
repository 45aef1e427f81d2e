"""``busywork demo``: the whole pipeline on a bundled synthetic business."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from datetime import time as clock_time
from importlib import resources
from pathlib import Path

from rich.console import Console

from busywork.commands.common import (
    Subcommands,
    add_command,
    print_tables,
    write,
)


def register(commands: Subcommands) -> None:
    """Add ``demo`` to the subcommands."""
    demo = add_command(
        commands,
        "demo",
        "run the whole pipeline on a bundled synthetic business",
        ["busywork demo --out busywork-demo", "busywork demo --seed 3 --json | head -40"],
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=Path("busywork-demo"),
        help="output folder (default ./busywork-demo)",
    )
    demo.add_argument("--seed", type=int, default=1, help="which synthetic business (default 1)")
    demo.add_argument("--months", type=int, default=18, help="months of history (default 18)")
    demo.add_argument(
        "--json", action="store_true", help="print the JSON document instead of the table"
    )
    demo.set_defaults(handler=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    """Generate, scan and report on the demo business."""
    from busywork.commands.outcomes import report_outcomes
    from busywork.synth import GeneratorSettings, generate
    from config.loader import parse_config
    from worker import Worker

    started = time.perf_counter()
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    business = generate(GeneratorSettings(seed=args.seed, months=args.months))
    business.write(out / "data")
    for stale in out.glob("busywork.db*"):
        stale.unlink()  # the demo always starts from an empty store
    text = resources.files("config").joinpath("demo.yaml").read_text(encoding="utf-8")
    config = parse_config(text, source="demo.yaml", base_dir=out)
    named = config.business.model_copy(update={"name": business.truth["business"]["name"]})
    config = config.model_copy(update={"business": named})
    as_of = datetime.combine(
        datetime.fromisoformat(business.truth["end"]).date(), clock_time(23, 59, 59), tzinfo=UTC
    )
    worker = Worker([config], as_of=as_of)
    [result] = worker.run_once(force=True)
    worker.engine.dispose()
    report_outcomes([result])
    assert result.document is not None
    if args.json:
        sys.stdout.write(json.dumps(result.document, indent=2, ensure_ascii=False) + "\n")
    else:
        print_tables([result.document])
    json_path, html_path = write([result.document], out)[0]
    records = sum(len(frame) for frame in business.frames.values())
    Console(stderr=True, highlight=False).print(
        f"Scanned {records:,} records in {time.perf_counter() - started:.1f}s. "
        f"Wrote {json_path} and {html_path}.",
        soft_wrap=True,
    )
    return 0
