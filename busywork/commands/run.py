"""``busywork run``: the long-running worker, which says at start and after each cycle what it did.

At the default log level the worker itself is quiet; these lines (on stderr) are how an
owner sees it is alive: which connectors it polls, when, where deliveries go, and per
cycle the records in, findings new or changed and deliveries sent. With
``delivery.stdout`` the ranked table is printed on stdout whenever findings changed.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from rich.console import Console

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

    err = Console(stderr=True, highlight=False)
    worker = Worker(load(config_paths(args)), on_cycle=lambda c, r: _cycle_line(err, c, r))
    now = datetime.now(UTC)
    for config in worker.configs:
        err.print(start_line(config, worker, now), soft_wrap=True)
    worker.run()
    return 0


def start_line(config: Any, worker: Any, now: datetime) -> str:
    """``acme: polls exports (csv, every 1h, next now); deliveries: table on stdout, …``."""
    parts = []
    for entry in config.connectors:
        if not entry.enabled:
            parts.append(f"{entry.name} (disabled)")
            continue
        due = worker.next_poll_at(config.business.id, entry.name)
        when = "now" if due is None or due <= now else due.strftime("%Y-%m-%d %H:%M UTC")
        parts.append(
            f"{entry.name} ({entry.type}, every {_every(entry.interval_seconds)}, next {when})"
        )
    polls = ", ".join(parts) or "no connectors"
    return f"{config.business.id}: polls {polls}; deliveries: {', '.join(destinations(config))}"


def destinations(config: Any) -> list[str]:
    """Where recommendations go, in words."""
    delivery = config.delivery
    found = ["table on stdout"] if delivery.stdout else []
    if delivery.json_file is not None:
        found.append(f"JSON file {delivery.json_file}")
    if delivery.email is not None:
        found.append(f"email to {', '.join(delivery.email.recipients)} ({delivery.email.mode})")
    found += [f"webhook {hook.name} ({hook.mode})" for hook in delivery.webhooks]
    return found or ["none (see delivery: in the config)"]


def cycle_line(config: Any, result: Any, now: datetime) -> str:
    """One line per cycle: records in, findings new/changed, deliveries sent, failures."""
    stats = [sync.stats for sync in result.syncs]
    records = sum(s.inserted + s.updated + s.deleted for s in stats)
    rejected = sum(len(sync.problems) for sync in result.syncs)
    changes = result.detection.changes
    text = (
        f"{now:%Y-%m-%d %H:%M} {config.business.id}: {records:,} record(s) in"
        f"{f' ({rejected:,} rejected)' if rejected else ''};"
        f" findings {len(changes.new)} new, {len(changes.changed)} changed;"
        f" {len(result.deliveries.sent)} delivery(ies) sent"
    )
    failed = [sync.connector for sync in result.syncs if not sync.ok]
    failed += [f"detector {kind}" for kind in result.detection.failed]
    failed += [f"{len(result.deliveries.failed)} delivery(ies)"] if result.deliveries.failed else []
    return text + (f"; failed: {', '.join(failed)}" if failed else "")


def _cycle_line(err: Console, config: Any, result: Any) -> None:
    err.print(cycle_line(config, result, datetime.now(UTC)), soft_wrap=True)
    changes = result.detection.changes
    if config.delivery.stdout and result.document is not None and (changes.new or changes.changed):
        from busywork.commands.common import print_tables

        print_tables([result.document])


def _every(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
