"""``busywork migrate``, ``connect`` and ``rotate-key``: the store and its credentials."""

from __future__ import annotations

import argparse
import os
import sys

from busywork.commands.common import Subcommands, add_command, config_args, config_paths, load
from busywork.errors import ConfigError


def register(commands: Subcommands) -> None:
    """Add ``migrate``, ``connect`` and ``rotate-key`` to the subcommands."""
    migrate = add_command(
        commands,
        "migrate",
        "create or upgrade the database schema",
        ["busywork migrate -c busywork.yaml"],
    )
    config_args(migrate)
    migrate.set_defaults(handler=run_migrate)

    connect = add_command(
        commands,
        "connect",
        "authorise an OAuth connector: prints the consent URL, stores the tokens",
        [
            "busywork connect books-xero -c busywork.yaml",
            "busywork connect books-qbo -c busywork.yaml --refresh-token-stdin < token.txt",
        ],
    )
    connect.add_argument("name", metavar="NAME", help="the connector's name in the config")
    connect.add_argument(
        "--refresh-token-stdin",
        action="store_true",
        help="read an existing refresh token from standard input instead of opening a"
        " browser (headless servers); it is checked once and stored encrypted",
    )
    config_args(connect, several=False)
    connect.set_defaults(handler=run_connect)

    rotate = add_command(
        commands,
        "rotate-key",
        "re-encrypt stored OAuth tokens under the first key in BUSYWORK_SECRET_KEYS",
        ['BUSYWORK_SECRET_KEYS="$NEW,$OLD" busywork rotate-key -c busywork.yaml'],
    )
    config_args(rotate)
    rotate.set_defaults(handler=run_rotate_key)


def run_migrate(args: argparse.Namespace) -> int:
    """Open (and so create or upgrade) every store named."""
    from busywork.store.db import open_store, redact_url

    for url in sorted({config.storage.url for config in load(config_paths(args))}):
        open_store(url).dispose()
        print(f"schema up to date: {redact_url(url)}")
    return 0


def run_connect(args: argparse.Namespace) -> int:
    """The browser consent flow for one OAuth connector."""
    from busywork.inbound.commands import sync_after_connect
    from connectors.oauth_flow import adopt_refresh_token, connect

    [config] = load(config_paths(args)[:1])
    if args.refresh_token_stdin:
        adopt_refresh_token(config, args.name, sys.stdin.read())
        print(f"{args.name}: refresh token accepted; tokens stored encrypted", file=sys.stderr)
        sync_after_connect(config, args.name)
        return 0
    print(f"Open this URL in a browser and grant access ({args.name}):", file=sys.stderr)
    connect(config, args.name, show=print)
    print(f"{args.name}: connected; tokens stored encrypted", file=sys.stderr)
    sync_after_connect(config, args.name)
    return 0


def run_rotate_key(args: argparse.Namespace) -> int:
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
    configs = load(config_paths(args))
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
