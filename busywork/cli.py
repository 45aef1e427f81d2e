"""The ``busywork`` command line: demo, scan, run, status, check-config, generate, and more.

Machine-readable output goes to stdout, logs and errors to stderr. Expected failures
(bad config, unreachable database) print one clear line per problem and exit non-zero;
a traceback appears only with ``--debug``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from datetime import time as clock_time
from importlib import resources
from pathlib import Path
from typing import Any

from rich.console import Console

from busywork import __version__
from busywork.errors import BusyworkError, ConfigError, StoreError
from busywork.inbound.commands import add_webhook_commands, sync_after_connect
from busywork.logs import configure_logging

EXIT_CONFIG = 2
EXIT_STORE = 3
EXIT_INTERNAL = 1


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
    except Exception as exc:
        if args.debug:
            raise
        from busywork.logs import redact

        err.print(
            f"[red]internal error:[/red] {redact(f'{type(exc).__name__}: {exc}')}"
            " (run with --debug for details)"
        )
        return EXIT_INTERNAL


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="busywork", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"busywork {__version__}")
    parser.add_argument(
        "--log-level", default="WARNING", help="DEBUG, INFO, WARNING (default) or ERROR"
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo", help="run the whole pipeline on a bundled synthetic business"
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
    demo.set_defaults(handler=_demo)

    scan = commands.add_parser("scan", help="run one cycle (poll, detect, rank, deliver) and exit")
    _config_args(scan)
    scan.add_argument("--json", action="store_true", help="print the JSON document on stdout")
    scan.add_argument(
        "--out", type=Path, help="also write recommendations.json and report.html here"
    )
    scan.add_argument(
        "--as-of", type=_date_arg, help="detect as of this date (YYYY-MM-DD), not now"
    )
    scan.add_argument(
        "--redetect",
        action="store_true",
        help="run every detector, not only those whose inputs changed",
    )
    scan.set_defaults(handler=_scan)

    from busywork.commands import add_commands

    add_commands(commands)  # run, tenants, status

    check = commands.add_parser("check-config", help="validate config files and list every problem")
    check.add_argument("files", nargs="+", type=Path, metavar="FILE")
    check.set_defaults(handler=_check_config)

    generate = commands.add_parser(
        "generate", help="write a synthetic business as CSV files + truth.json"
    )
    generate.add_argument("--seed", type=int, default=1)
    generate.add_argument("--months", type=int, default=18)
    generate.add_argument(
        "--scale", type=float, default=1.0, help="multiply the volume of one-off work"
    )
    generate.add_argument("--out", type=Path, required=True)
    generate.set_defaults(handler=_generate)

    evaluate = commands.add_parser(
        "eval", help="measure precision and recall of every detector on generated businesses"
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
    evaluate.set_defaults(handler=_eval)

    migrate = commands.add_parser("migrate", help="create or upgrade the database schema")
    _config_args(migrate)
    migrate.set_defaults(handler=_migrate)

    connect = commands.add_parser(
        "connect", help="authorise an OAuth connector: prints the consent URL, stores the tokens"
    )
    connect.add_argument("name", metavar="NAME", help="the connector's name in the config")
    _config_args(connect)
    connect.set_defaults(handler=_connect)

    rotate = commands.add_parser(
        "rotate-key",
        help="re-encrypt stored OAuth tokens under the first key in BUSYWORK_SECRET_KEYS",
    )
    _config_args(rotate)
    rotate.set_defaults(handler=_rotate_key)

    _delivery_commands(commands)
    add_webhook_commands(commands, _config_args, _load)
    return parser


def _delivery_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``feedback``, ``deliveries`` and ``serve``."""
    feedback = commands.add_parser(
        "feedback",
        help="accept, dismiss or snooze a recommendation (by its id), or withdraw that answer",
    )
    feedback.add_argument("finding", metavar="ID", help="recommendation id, e.g. rec_e1e9278c…")
    feedback.add_argument("action", choices=("accept", "dismiss", "snooze", "withdraw"))
    feedback.add_argument(
        "--until", type=_day_arg, help="snooze until this date (YYYY-MM-DD), then send again"
    )
    feedback.add_argument(
        "--as-of",
        type=_date_arg,
        help="decide as of this date (YYYY-MM-DD), the clock of `scan --as-of`, not now",
    )
    _config_args(feedback)
    feedback.set_defaults(handler=_feedback)

    deliveries = commands.add_parser(
        "deliveries", help="list the delivery outbox (dead letters too) or replay one"
    )
    deliveries.add_argument("action", choices=("list", "replay"))
    deliveries.add_argument("delivery", nargs="?", metavar="ID", help="the delivery to replay")
    deliveries.add_argument("--status", choices=("pending", "sent", "failed"))
    deliveries.add_argument("--limit", type=int, default=50)
    _config_args(deliveries)
    deliveries.set_defaults(handler=_deliveries)

    serve = commands.add_parser(
        "serve", help="answer email links and vendor webhooks (and /healthz)"
    )
    _config_args(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    serve.set_defaults(handler=_serve)


def _config_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        "-c",
        type=Path,
        action="append",
        required=True,
        help="config file (repeat for several businesses sharing one store)",
    )


def _date_arg(text: str) -> datetime:
    try:
        return datetime.combine(
            datetime.strptime(text, "%Y-%m-%d").date(), clock_time(23, 59, 59), tzinfo=UTC
        )
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-10-31") from None


def _day_arg(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-12-01") from None


def _one_business(paths: Sequence[Path]) -> tuple[Any, Any]:
    """The single config named and its opened store."""
    from busywork.store.db import open_store

    configs = _load(paths)
    if len(configs) != 1:
        raise ConfigError("give exactly one --config: feedback and deliveries are per business")
    return configs[0], open_store(configs[0].storage.url)


def _feedback(args: argparse.Namespace) -> int:
    from busywork.delivery.feedback import WITHDRAW, record_feedback

    config, engine = _one_business(args.config)
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


def _deliveries(args: argparse.Namespace) -> int:
    from busywork.delivery.admin import list_deliveries, replay

    config, engine = _one_business(args.config)
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


def _serve(args: argparse.Namespace) -> int:
    from busywork.web.server import serve

    serve(_load(args.config), args.host, args.port)
    return 0


def _load(paths: Sequence[Path]) -> list[Any]:
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


def _check_config(args: argparse.Namespace) -> int:
    from alignment.goals import resolve_goals
    from config.warnings import config_warnings

    configs = _load(args.files)
    for path, config in zip(args.files, configs, strict=True):
        print(
            f"{path}: ok ({config.business.id}: {len(config.connectors)} connector(s),"
            f" {len(config.goals)} goal(s))"
        )
        for warning in config_warnings(Path(path), config):
            print(f"  warning: {warning}")
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


def _eval(args: argparse.Namespace) -> int:
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
    return 0


def _scan(args: argparse.Namespace) -> int:
    from busywork.progress import BackfillProgress
    from worker import Worker

    with BackfillProgress() as progress:
        worker = Worker(_load(args.config), as_of=args.as_of, on_page=progress.update)
        results = worker.run_once(force=True, redetect=args.redetect or args.as_of is not None)
    _report_problems(results)
    documents = [result.document for result in results if result.document is not None]
    if args.json:
        payload: Any = documents[0] if len(documents) == 1 else documents
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    else:
        _print_tables(documents)
    if args.out:
        _write(documents, args.out)
    return 0 if all(sync.ok for result in results for sync in result.syncs) else 1


def _generate(args: argparse.Namespace) -> int:
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


def _migrate(args: argparse.Namespace) -> int:
    from busywork.store.db import open_store, redact_url

    for url in sorted({config.storage.url for config in _load(args.config)}):
        open_store(url).dispose()
        print(f"schema up to date: {redact_url(url)}")
    return 0


def _connect(args: argparse.Namespace) -> int:
    from connectors.oauth_flow import connect

    [config] = _load(args.config[:1])
    print(f"Open this URL in a browser and grant access ({args.name}):", file=sys.stderr)
    connect(config, args.name, show=print)
    print(f"{args.name}: connected; tokens stored encrypted", file=sys.stderr)
    sync_after_connect(config, args.name)
    return 0


def _rotate_key(args: argparse.Namespace) -> int:
    """Re-encrypt every stored credential under the new key: ``BUSYWORK_SECRET_KEYS=NEW,OLD``."""
    from busywork.inbound.subscriptions import rotate as rotate_webhook_secrets
    from busywork.store.db import open_store, redact_url
    from connectors.oauth import KEYS_ENV, CredentialStore, load_cipher

    cipher = load_cipher()  # a missing variable or a malformed key is a clear ConfigError
    keys = [key.strip() for key in os.environ.get(KEYS_ENV, "").split(",") if key.strip()]
    if len(keys) < 2:
        raise ConfigError(
            f"{KEYS_ENV} must list the new key first and the current key after it"
            " (NEW,OLD) to rotate"
        )
    if keys[0] in keys[1:]:
        raise ConfigError(f"{KEYS_ENV}: the new key (the first) is also listed as an old one")
    configs = _load(args.config)
    for url in sorted({config.storage.url for config in configs}):
        engine = open_store(url)
        try:
            count = CredentialStore(engine, cipher).rotate()
            hooks = rotate_webhook_secrets(engine, cipher)
        finally:
            engine.dispose()
        print(f"{redact_url(url)}: {count} stored credential(s) re-encrypted under the new key")
        print(f"{redact_url(url)}: {hooks} webhook subscription(s) re-encrypted under the new key")
    print(f"done; {KEYS_ENV} can now hold the new key alone", file=sys.stderr)
    return 0


def _demo(args: argparse.Namespace) -> int:
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
    _report_problems([result])
    assert result.document is not None
    if args.json:
        sys.stdout.write(json.dumps(result.document, indent=2, ensure_ascii=False) + "\n")
    else:
        _print_tables([result.document])
    json_path, html_path = _write([result.document], out)[0]
    records = sum(len(frame) for frame in business.frames.values())
    Console(stderr=True, highlight=False).print(
        f"Scanned {records:,} records in {time.perf_counter() - started:.1f}s. "
        f"Wrote {json_path} and {html_path}.",
        soft_wrap=True,
    )
    return 0


def _print_tables(documents: Sequence[dict[str, Any]]) -> None:
    from busywork.report import render_table

    console = Console(highlight=False)
    for doc in documents:
        render_table(doc, console)


def _write(documents: Sequence[dict[str, Any]], out: Path) -> list[tuple[Path, Path]]:
    from busywork.report import write_outputs

    if len(documents) == 1:
        return [write_outputs(documents[0], out)]
    return [write_outputs(doc, out / doc["business"]) for doc in documents]


def _report_problems(results: Sequence[Any]) -> None:
    err = Console(stderr=True, highlight=False)
    for result in results:
        for sync in result.syncs:
            if sync.error:
                err.print(
                    f"[red]connector {sync.connector} failed:[/red] {sync.error}", soft_wrap=True
                )
            for problem in sync.problems[:20]:
                err.print(f"[yellow]skipped:[/yellow] {sync.connector}: {problem}", soft_wrap=True)
            if len(sync.problems) > 20:
                err.print(f"[yellow]… and {len(sync.problems) - 20} more skipped rows[/yellow]")
        for kind, error in result.detection.failed.items():
            err.print(f"[red]detector {kind} failed:[/red] {error}", soft_wrap=True)


if __name__ == "__main__":
    sys.exit(main())
