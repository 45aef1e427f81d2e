"""Connectors: pull records from a business's tools into the store, incrementally."""

from connectors import csv_export
from connectors.base import Connector, ConnectorConfig, ConnectorContext, SyncPage
from connectors.registry import connector_classes, get_connector, register

__all__ = [
    "Connector",
    "ConnectorConfig",
    "ConnectorContext",
    "SyncPage",
    "connector_classes",
    "csv_export",
    "get_connector",
    "register",
]
