"""The connector registry, keyed by the ``type`` users write in YAML.

Each built-in connector's module registers its class when imported; the modules are
imported the first time the registry is asked (:data:`BUILT_IN_MODULES`), not when the
``connectors`` package is. A process that only reads files (the import's read-ahead
helper) thus never pays for the HTTP clients and calendar libraries of the others.
"""

from __future__ import annotations

import functools
import importlib

from busywork.errors import ConfigError
from connectors.base import Connector

#: The modules defining the built-in connectors, imported on the registry's first lookup.
BUILT_IN_MODULES = (
    "connectors.caldav_calendar",
    "connectors.calendly",
    "connectors.csv_export",
    "connectors.google_calendar",
    "connectors.msgraph_calendar",
    "connectors.quickbooks",
    "connectors.stripe",
    "connectors.xero",
)

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
    _import_built_ins()
    return dict(sorted(_REGISTRY.items()))


def get_connector(type_name: str) -> type[Connector]:
    """The connector class for ``type_name``.

    Raises:
        ConfigError: unknown type; the message lists the valid ones.
    """
    _import_built_ins()
    try:
        return _REGISTRY[type_name]
    except KeyError:
        valid = ", ".join(sorted(_REGISTRY))
        raise ConfigError(f"unknown connector type {type_name!r}; valid types: {valid}") from None


@functools.cache
def _import_built_ins() -> None:
    """Import every built-in connector's module once, registering its class."""
    for module in BUILT_IN_MODULES:
        importlib.import_module(module)
