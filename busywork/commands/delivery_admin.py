"""``busywork feedback``, ``deliveries`` and ``serve``: acting on what was delivered."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from busywork.commands.common import (
    Subcommands,
    add_command,
    config_args,
    config_paths,
    date_arg,
    day_arg,
    load,
    one_business,
)
from busywork.errors import ConfigError


def register(commands: Subcommands) -> None:
    """Add ``feedback``, ``deliveries`` and ``serve`` to the subcommands."""
    feedback = add_command(
        commands,
        "feedback",
        "accept, dismiss or snooze a recommendation (by its id), or withdraw that answer",
        [
            "busywork feedback rec_5493b7a1d80cc4eb accept",
            "busywork feedback rec_5493b7a1d80cc4eb withdraw",
            "busywork feedback rec_5493b7a1d80cc4eb snooze --until 2026-12-31 -c busywork.yaml",
        ],
    )
    feedback.add_argument("finding", metavar="ID", help="recommendation id, e.g. rec_e1e9278c…")
    feedback.add_argument(
        "action",
        choices=("accept", "dismiss", "snooze", "withdraw"),
        help="accept (you will act on it), dismiss (never show again), snooze, or withdraw"
        " the answer that stands",
    )
    feedback.add_argument(
        "--until", type=day_arg, help="snooze until this date (YYYY-MM-DD), then send again"
    )
    feedback.add_argument(
        "--as-of",
        type=date_arg,
        help="decide as of this date (YYYY-MM-DD), the clock of `scan --as-of`, not now",
    )
    config_args(feedback, several=False)
    feedback.set_defaults(handler=run_feedback)

    deliveries = add_command(
        commands,
        "deliveries",
        "list the delivery outbox (dead letters too) or replay one",
        [
            "busywork deliveries",
            "busywork deliveries list --status failed -c busywork.yaml",
            "busywork deliveries replay msg_2dc5… -c busywork.yaml",
        ],
    )
    deliveries.add_argument(
        "action",
        nargs="?",
        choices=("list", "replay"),
        default="list",
        help="list (the default) or replay one delivery",
    )
    deliveries.add_argument("delivery", nargs="?", metavar="ID", help="the delivery to replay")
    deliveries.add_argument(
        "--status", choices=("pending", "sent", "failed"), help="only deliveries in this state"
    )
    deliveries.add_argument(
        "--limit", type=int, default=50, help="show at most this many (default 50)"
    )
    config_args(deliveries, several=False)
    deliveries.set_defaults(handler=run_deliveries)

    serve = add_command(
        commands,
        "serve",
        "answer e-mail links and vendor webhooks (and /healthz, /metrics)",
        ["busywork serve -c busywork.yaml --host 0.0.0.0 --port 8765"],
    )
    config_args(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    serve.set_defaults(handler=run_serve)


def run_feedback(args: argparse.Namespace) -> int:
    """Record the owner's answer to one recommendation."""
    from busywork.delivery.feedback import WITHDRAW, record_feedback

    config, engine = one_business(args)
    business = config.business
    record_feedback(
        engine,
        business.id,
        args.finding,
        args.action,
        until=args.until,
        now=args.as_of or datetime.now(UTC),
        timezone=business.timezone,
    )
    if args.action == WITHDRAW:
        print(f"{args.finding}: feedback withdrawn for {business.id}; it is listed again")
        return 0
    until = f" until {args.until.isoformat()}" if args.until else ""
    print(f"{args.finding}: {args.action}{until} recorded for {business.id}")
    return 0


def run_deliveries(args: argparse.Namespace) -> int:
    """List the outbox or queue one delivery again."""
    from busywork.delivery.admin import list_deliveries, replay

    config, engine = one_business(args)
    if args.action == "replay":
        if not args.delivery:
            raise ConfigError("deliveries replay needs the ID of a delivery")
        row = replay(engine, config.business.id, args.delivery, now=datetime.now(UTC))
        print(f"{row.id}: queued again on {row.channel}")
        return 0
    rows = list_deliveries(engine, config.business.id, status=args.status, limit=args.limit)
    for row in rows:
        when = (row.sent_at or row.next_attempt_at).isoformat(timespec="seconds")
        error = f"  {row.last_error}" if row.last_error else ""
        print(
            f"{row.id}  {row.status:<7}  {row.channel:<20}  {row.kind:<24}"
            f"  attempts={row.attempts}  {when}{error}"
        )
    if not rows:
        print("no deliveries")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    """Answer e-mail links, vendor webhooks, /healthz and /metrics until interrupted."""
    from busywork.web.server import serve

    serve(load(config_paths(args)), args.host, args.port)
    return 0
