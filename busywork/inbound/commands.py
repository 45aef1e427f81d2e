"""``busywork webhooks sync|secret|status``: the command line side of push subscriptions.

Kept apart from :mod:`busywork.cli` so the main parser only gains one call; the heavy
imports happen when a command runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

Loader = Callable[[Sequence[Any]], list[Any]]


def add_webhook_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    config_args: Callable[[argparse.ArgumentParser], None],
    load: Loader,
) -> None:
    """Add ``webhooks`` and its sub-commands to the CLI."""
    summary = "vendor push notifications: open, renew, show (see docs/webhooks.md)"
    webhooks = commands.add_parser(
        "webhooks",
        help=summary,
        description=summary[:1].upper() + summary[1:] + ".",
        epilog="examples:\n  busywork webhooks sync -c busywork.yaml\n"
        "  busywork webhooks status -c busywork.yaml\n"
        "  busywork webhooks secret books -c busywork.yaml < secret.txt",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = webhooks.add_subparsers(
        dest="webhooks_command", required=True, metavar="ACTION", help="what to do"
    )
    sync = actions.add_parser(
        "sync", help="open or renew each connector's subscription, or print what to paste"
    )
    config_args(sync)
    sync.add_argument(
        "--public-url",
        help="where busywork serve is reachable from the internet"
        " (default: delivery.links.base_url)",
    )
    sync.add_argument("--connector", help="only this connector")
    sync.set_defaults(handler=lambda args: _sync(args, load))
    secret = actions.add_parser(
        "secret", help="store a signing secret read from standard input (rotation keeps the old)"
    )
    config_args(secret)
    secret.add_argument("connector", help="connector name")
    secret.add_argument(
        "--replace", action="store_true", help="drop the previous secrets instead of keeping them"
    )
    secret.set_defaults(handler=lambda args: _secret(args, load))
    status = actions.add_parser("status", help="each subscription's state, expiry and polling")
    config_args(status)
    status.set_defaults(handler=lambda args: _status(args, load))


def _store(configs: Sequence[Any]) -> Any:
    from busywork.errors import ConfigError
    from busywork.store.db import open_store

    if len({config.storage.url for config in configs}) > 1:
        raise ConfigError("all config files given together must share one storage.url")
    return open_store(configs[0].storage.url)


def _sync(args: argparse.Namespace, load: Loader) -> int:
    from busywork.errors import ConfigError
    from busywork.inbound.manage import sync
    from busywork.inbound.vendors import VERIFIERS
    from connectors.oauth import load_cipher

    configs = load(args.config)
    engine, cipher = _store(configs), load_cipher()
    for config in configs:
        pushing = [
            entry.name
            for entry in config.connectors
            if entry.type in VERIFIERS and (args.connector in (None, entry.name))
        ]
        if not pushing:
            # Nothing to subscribe: say so instead of asking for an address nobody needs.
            print(f"{config.business.id}: no connector here takes vendor webhooks; nothing to do")
            continue
        links = config.delivery.links
        public_url = args.public_url or (links.base_url if links is not None else None)
        if not public_url:
            raise ConfigError(
                f"{config.business.id}: give --public-url (or set delivery.links.base_url):"
                " the address vendors post to"
            )
        for outcome in sync(
            engine, cipher, config, public_url, datetime.now(UTC), only=args.connector
        ):
            print(f"{config.business.id}/{outcome.connector} ({outcome.vendor}): {outcome.action}")
            for line in outcome.detail.splitlines():
                print(f"  {line}")
    return 0


def _secret(args: argparse.Namespace, load: Loader) -> int:
    from busywork.inbound.secrets_input import store_secret
    from connectors.oauth import load_cipher

    [config] = load(args.config[:1])
    text = sys.stdin.readline().strip()
    store_secret(
        _store([config]),
        load_cipher(),
        config,
        args.connector,
        text,
        replace_all=args.replace,
        now=datetime.now(UTC),
    )
    print(f"{config.business.id}/{args.connector}: secret stored encrypted", file=sys.stderr)
    return 0


def _status(args: argparse.Namespace, load: Loader) -> int:
    from busywork.errors import ConfigError
    from busywork.inbound.status import status
    from connectors.oauth import load_cipher

    configs = load(args.config)
    engine = _store(configs)
    try:
        cipher = load_cipher()
    except ConfigError:
        cipher = None
    for config in configs:
        for line in status(engine, cipher, config, datetime.now(UTC)):
            expiry = f", expires {line.expires_at:%Y-%m-%d %H:%M}" if line.expires_at else ""
            heard = (
                f", last notification {line.last_notified_at:%Y-%m-%d %H:%M}"
                if line.last_notified_at
                else ""
            )
            print(
                f"{config.business.id}/{line.connector} ({line.vendor}): {line.state}"
                f"{expiry}{heard}; polling {line.polling}"
            )
            if line.problem:
                print(f"  {line.problem}")
    return 0


def sync_after_connect(config: Any, connector: str) -> None:
    """After ``busywork connect``: open the connector's push subscription when possible."""
    from busywork.errors import BusyworkError
    from busywork.inbound.manage import sync
    from busywork.inbound.vendors import VERIFIERS
    from connectors.oauth import load_cipher

    entry = next((c for c in config.connectors if c.name == connector), None)
    if entry is None or entry.type not in VERIFIERS:
        return
    links = config.delivery.links
    if links is None:
        print(
            f"{connector}: for push notifications run: busywork webhooks sync -c <config.yaml>"
            " --public-url https://<where busywork serve is reachable>",
            file=sys.stderr,
        )
        return
    try:
        for outcome in sync(
            _store([config]),
            load_cipher(),
            config,
            links.base_url,
            datetime.now(UTC),
            only=connector,
        ):
            print(f"{connector} ({outcome.vendor}) webhooks: {outcome.action}", file=sys.stderr)
            for line in outcome.detail.splitlines():
                print(f"  {line}", file=sys.stderr)
    except BusyworkError as exc:
        print(f"{connector}: webhooks not set up ({exc}); polling carries on", file=sys.stderr)
