"""Connectors: pull records from a business's tools into the store, incrementally.

The built-in connectors' modules are imported when the registry is first asked for a
connector (:mod:`connectors.registry`), so importing one module of this package (say, the
CSV reading) does not import every vendor's client.
"""

from connectors.base import Connector, ConnectorConfig, ConnectorContext, SyncPage
from connectors.registry import connector_classes, get_connector, register

__all__ = [
    "Connector",
    "ConnectorConfig",
    "ConnectorContext",
    "SyncPage",
    "connector_classes",
    "get_connector",
    "register",
]
