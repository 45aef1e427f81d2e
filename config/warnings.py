"""Things ``check-config`` warns about in a valid config: clear-text secrets, refused targets.

Neither stops the config from loading (a secret in the file works; a webhook target may be
fixed by DNS later), but both are mistakes worth a line each, with the place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, SecretStr

from busywork.delivery.ssrf import UnsafeURLError, vet
from config.loader import format_location
from config.models import AppConfig

Location = tuple[str | int, ...]


def secret_locations(model: Any, location: Location = ()) -> Iterator[Location]:
    """Where ``model`` holds a ``SecretStr`` (``('connectors', 0, 'api_key')``, …)."""
    if isinstance(model, SecretStr):
        yield location
    elif isinstance(model, BaseModel):
        for name, field in type(model).model_fields.items():
            key = field.alias or name
            yield from secret_locations(getattr(model, name), (*location, key))
    elif isinstance(model, list | tuple):
        for index, value in enumerate(model):
            yield from secret_locations(value, (*location, index))


def _raw(node: yaml.Node | None, location: Location) -> yaml.Node | None:
    """The YAML node at ``location``, or None when it is not written (a default)."""
    for part in location:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            node = next((value for key, value in node.value if key.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if part < len(node.value) else None
        else:
            return None
    return node


def config_warnings(
    path: Path,
    config: AppConfig,
    *,
    vet_url: Callable[..., object] = vet,
) -> list[str]:
    """Warnings for ``config`` loaded from ``path``, each starting ``path:line: place:``."""
    root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    found: list[str] = []
    for location in secret_locations(config):
        node = _raw(root, location)
        if isinstance(node, yaml.ScalarNode) and "${" not in node.value and node.value:
            found.append(
                f"{path}:{node.start_mark.line + 1}: {format_location(location)}: a secret is"
                " written in clear text; put it in an environment variable and write ${NAME}"
            )
    for index, hook in enumerate(config.delivery.webhooks):
        where: Location = ("delivery", "webhooks", index, "url")
        try:
            vet_url(hook.url, allow_private=config.delivery.allow_private_addresses)
        except UnsafeURLError as exc:
            node = _raw(root, where)
            line = f":{node.start_mark.line + 1}" if node is not None else ""
            found.append(
                f"{path}{line}: {format_location(where)}: {exc}; deliveries to it are refused"
            )
    return found
