"""``busywork webhooks``: open, renew and show vendor push subscriptions."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from busywork.commands.common import DEFAULT_CONFIG, Subcommands, config_args, load
from busywork.inbound.commands import add_webhook_commands


def _load(paths: Sequence[Path] | None) -> list[Any]:
    return load(list(paths) if paths else [DEFAULT_CONFIG])


def register(commands: Subcommands) -> None:
    """Add ``webhooks sync|secret|status`` to the subcommands."""
    add_webhook_commands(commands, config_args, _load)
