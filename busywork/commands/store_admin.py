"""``busywork migrate``, ``connect`` and ``rotate-key``: the store and its credentials."""

from __future__ import annotations

import argparse
import os
import sys

from busywork.commands.common import Subcommands, config_args, load
from busywork.errors import ConfigError


def register(commands: Subcommands) -> None:
    """Add ``migrate``, ``connect`` and ``rotate-key`` to the subcommands."""
    migrate = commands.add_parser("migrate", help="create or upgrade the database schema")
    config_args(migrate)
    migrate.set_defaults(handler=run_migrate)

    connect = commands.add_parser(
        "connect", help="authorise an OAuth connector: prints the consent URL, stores the tokens"
    )
    connect.add_argument("name", metavar="NAME", help="the connector's name in the config")
    config_args(connect)
    connect.set_defaults(handler=run_connect)

    rotate = commands.add_parser(
        "rotate-key",
        help="re-encrypt stored OAuth tokens under the first key in BUSYWORK_SECRET_KEYS",
    )
    config_args(rotate)
    rotate.set_defaults(handler=run_rotate_key)


def run_migrate(args: argparse.Namespace) -> int:
    """Open (and so create or upgrade) every store named."""
    from busywork.store.db import open_store, redact_url

    for url in sorted({config.storage.url for config in load(args.config)}):
        open_store(url).dispose()
        print(f"schema up to date: {redact_url(url)}")
    return 0


def run_connect(args: argparse.Namespace) -> int:
    """The browser consent flow for one OAuth connector."""
    from connectors.oauth_flow import connect

    [config] = load(args.config[:1])
    print(f"Open this URL in a browser and grant access ({args.name}):", file=sys.stderr)
    connect(config, args.name, show=print)
    print(f"{args.name}: connected; tokens stored encrypted", file=sys.stderr)
    return 0


def run_rotate_key(args: argparse.Namespace) -> int:
    """Re-encrypt every stored credential under the new key: ``BUSYWORK_SECRET_KEYS=NEW,OLD``."""
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
    configs = load(args.config)
    for url in sorted({config.storage.url for config in configs}):
        engine = open_store(url)
        try:
            count = CredentialStore(engine, cipher).rotate()
        finally:
            engine.dispose()
        print(f"{redact_url(url)}: {count} stored credential(s) re-encrypted under the new key")
    print(f"done; {KEYS_ENV} can now hold the new key alone", file=sys.stderr)
    return 0
