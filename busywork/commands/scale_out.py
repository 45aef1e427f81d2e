"""The scale-out commands: ``run`` (embedded or Procrastinate), ``tenants sync`` and ``status``.

``busywork run -c FILE`` keeps the in-process worker on whatever store the file names.
``busywork run -c DIR`` loads the folder's configs into the tenant table first; on
PostgreSQL it then starts a Procrastinate worker (start as many as you like), which
re-reads the folder every :data:`RESYNC_SECONDS` (one worker at a time, under an advisory
lock) so an edited file is picked up without a restart. ``--store URL`` (or
``BUSYWORK_DATABASE_URL``) runs a worker on the tenants already in the database.
"""

from __future__ import annotations

import argparse
import logging
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from busywork import DATABASE_URL_ENV as URL_ENV
from busywork.commands.common import DEFAULT_CONFIG, Subcommands, add_command
from busywork.commands.run import run_worker as run_in_process
from busywork.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from busywork.tenants import SyncReport

log = logging.getLogger("busywork.worker")
RESYNC_SECONDS = 30.0
#: Any 64-bit number unique to us: one worker re-reads the config folder at a time.
RESYNC_LOCK_ID = 0x6275737974656E


def register(commands: Subcommands) -> None:
    """Register ``run``, ``tenants`` and ``status``."""
    run = add_command(
        commands,
        "run",
        "run a worker until stopped (SIGTERM/SIGINT): in-process or on Procrastinate",
        [
            "busywork run -c busywork.yaml",
            "busywork run -c clients/ --store postgresql+psycopg://busywork@db/busywork",
        ],
    )
    _store_args(run)
    run.add_argument(
        "--concurrency", type=int, default=4, help="jobs run at once by this worker (default 4)"
    )
    run.add_argument("--queues", help="only these queues, e.g. poll,detect (default: all)")
    run.add_argument("--metrics-port", type=int, help="serve this worker's /metrics on a port")
    run.set_defaults(handler=run_command)

    tenants = add_command(
        commands,
        "tenants",
        "load business configs into the database",
        ["busywork tenants sync clients/ --store postgresql+psycopg://busywork@db/busywork"],
    )
    actions = tenants.add_subparsers(
        dest="tenants_action", required=True, metavar="ACTION", help="what to do"
    )
    sync = actions.add_parser("sync", help="load every new or changed YAML file of a folder")
    sync.add_argument("directory", type=Path, metavar="DIR")
    sync.add_argument("--store", help=f"store URL (default: ${URL_ENV}, else the files' own)")
    sync.set_defaults(handler=tenants_sync_command)

    status = add_command(
        commands,
        "status",
        "the queue per business and connector, and each connector's last error",
        ["busywork status -c busywork.yaml", "busywork status --store postgresql+psycopg://db/bw"],
    )
    _store_args(status)
    status.add_argument("--business", help="only this business")
    status.set_defaults(handler=status_command)


def _store_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        "-c",
        type=Path,
        action="append",
        metavar="FILE|DIR",
        help="a config file (repeatable) or a folder of them, one business per file"
        f" (default ./{DEFAULT_CONFIG} when there is one)",
    )
    parser.add_argument("--store", help=f"store URL (default: ${URL_ENV})")


def _store_url(args: argparse.Namespace) -> str:
    """The store: ``--store``, the environment, else the first config's ``storage.url``.

    The configs are those given with ``-c``, else ``./busywork.yaml`` when there is one.
    """
    from busywork.tenants import config_files
    from config.loader import load_config

    url = args.store or os.environ.get(URL_ENV)
    if url:
        return str(url)
    # Like every command that reads a config: without -c, ./busywork.yaml when there is one.
    given = args.config or ([DEFAULT_CONFIG] if DEFAULT_CONFIG.is_file() else [])
    for path in given:
        files = config_files(path) if path.is_dir() else [path]
        for file in files:
            try:
                return load_config(file).storage.url
            except ConfigError:
                continue
    raise ConfigError(f"give --config FILE/DIR, --store URL or set {URL_ENV}")


def _print_report(report: SyncReport, directory: Path) -> None:
    from rich.console import Console

    err = Console(stderr=True, highlight=False)
    for problems in report.failed.values():
        for problem in problems:
            err.print(f"[red]skipped:[/red] {problem}", soft_wrap=True)
    err.print(
        f"{directory}: {len(report.loaded)} loaded, {report.unchanged} unchanged,"
        f" {len(report.removed)} removed, {len(report.failed)} invalid",
        soft_wrap=True,
    )


def tenants_sync_command(args: argparse.Namespace) -> int:
    """``busywork tenants sync DIR``: exit 1 when a file was invalid (the rest is loaded)."""
    from busywork.store.db import open_store
    from busywork.tenants import config_files, sync_directory

    directory: Path = args.directory
    files = config_files(directory)
    args.config = [directory] if files else []
    engine = open_store(_store_url(args))
    try:
        report = sync_directory(engine, directory, now=datetime.now(UTC))
    finally:
        engine.dispose()
    _print_report(report, directory)
    return 1 if report.failed else 0


def status_command(args: argparse.Namespace) -> int:
    """``busywork status``."""
    from busywork.status import queue_status, render
    from busywork.store.db import open_store

    engine = open_store(_store_url(args))
    try:
        print(render(queue_status(engine, args.business)))
    finally:
        engine.dispose()
    return 0


def run_command(args: argparse.Namespace) -> int:
    """``busywork run``: the in-process worker for files on SQLite, else a queue worker."""
    from busywork.store.db import open_store
    from busywork.tenants import sync_directory

    paths: list[Path] = args.config or ([DEFAULT_CONFIG] if DEFAULT_CONFIG.exists() else [])
    folders = [path for path in paths if path.is_dir()]
    if not folders and paths and not args.store:
        args.config = paths
        return run_in_process(args)  # says at start and after each cycle what it did
    if len(folders) > 1 or (folders and len(paths) > 1):
        raise ConfigError("give one folder of config files, or config files, not both")
    url = _store_url(args)
    engine = open_store(url)
    directory = folders[0] if folders else None
    if directory is not None:
        _print_report(sync_directory(engine, directory, now=datetime.now(UTC)), directory)
    if args.metrics_port:
        from prometheus_client import start_http_server

        from busywork.metrics import REGISTRY

        start_http_server(args.metrics_port, registry=REGISTRY)
    if engine.dialect.name != "postgresql":
        return _run_embedded_tenants(engine, directory)
    from busywork.queue import run_worker

    stop = threading.Event()
    if directory is not None:
        threading.Thread(
            target=_resync_forever, args=(engine, directory, stop), daemon=True
        ).start()
    queues = [name.strip() for name in args.queues.split(",")] if args.queues else None
    try:
        run_worker(engine, url, concurrency=args.concurrency, queues=queues)
    finally:
        stop.set()
        engine.dispose()
    return 0


def _run_embedded_tenants(engine: Engine, directory: Path | None) -> int:
    """The in-process worker on the tenant table (SQLite): re-reads the folder as it runs."""
    import sqlalchemy as sa

    from busywork.store.db import redact_url
    from busywork.tenants import TENANTS, TenantCache
    from worker import Worker

    tenants = TenantCache(engine)
    with engine.connect() as connection:
        businesses = list(connection.execute(sa.select(TENANTS.c.business)).scalars())
    if not businesses:
        raise ConfigError(
            f"no tenant in {redact_url(str(engine.url))}: run `busywork tenants sync`"
        )
    worker = Worker([tenants.get(business) for business in businesses], engine=engine)
    worker.runtime.tenants = tenants
    if directory is not None:
        threading.Thread(
            target=_resync_forever, args=(engine, directory, worker.stopping), daemon=True
        ).start()
    worker.run()
    return 0


def _resync_forever(engine: Engine, directory: Path, stop: threading.Event) -> None:
    """Re-read ``directory`` every :data:`RESYNC_SECONDS`; on PostgreSQL one worker at a time."""
    import sqlalchemy as sa

    from busywork.tenants import sync_directory

    while not stop.wait(RESYNC_SECONDS):
        try:
            with engine.connect() as connection:
                if connection.dialect.name == "postgresql":
                    got = connection.execute(
                        sa.text("SELECT pg_try_advisory_lock(:id)"), {"id": RESYNC_LOCK_ID}
                    ).scalar()
                    if not got:
                        continue
                try:
                    report = sync_directory(engine, directory, now=datetime.now(UTC))
                finally:
                    if connection.dialect.name == "postgresql":
                        connection.execute(
                            sa.text("SELECT pg_advisory_unlock(:id)"), {"id": RESYNC_LOCK_ID}
                        )
            if report.loaded or report.removed:
                log.info(
                    "tenants synced loaded=%d removed=%d invalid=%d action=tenants_synced",
                    len(report.loaded),
                    len(report.removed),
                    len(report.failed),
                )
        except Exception:  # the folder or database may come back; keep the worker running
            log.exception("tenant sync failed action=tenants_sync_failed")
