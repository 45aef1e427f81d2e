"""The connector registry, keyed by the ``type`` users write in YAML."""

from __future__ import annotations

from busywork.errors import ConfigError
from connectors.base import Connector

_REGISTRY: dict[str, type[Connector]] = {}


def register(cls: type[Connector]) -> type[Connector]:
    """Class decorator adding a connector type.

    Raises:
        ValueError: the type is already registered by another class.
    """
    if cls.type in _REGISTRY and _REGISTRY[cls.type] is not cls:
        raise ValueError(f"connector type {cls.type!r} is registered twice")
    _REGISTRY[cls.type] = cls
    return cls


def connector_classes() -> dict[str, type[Connector]]:
    """All registered connector classes by type, sorted."""
    return dict(sorted(_REGISTRY.items()))


def get_connector(type_name: str) -> type[Connector]:
    """The connector class for ``type_name``.

    Raises:
        ConfigError: unknown type; the message lists the valid ones.
    """
    try:
        return _REGISTRY[type_name]
    except KeyError:
        valid = ", ".join(sorted(_REGISTRY))
        raise ConfigError(f"unknown connector type {type_name!r}; valid types: {valid}") from None
