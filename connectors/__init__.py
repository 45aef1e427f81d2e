"""Connectors: pull records from a business's tools into the store, incrementally."""

from connectors import caldav_calendar as caldav_calendar
from connectors import calendly as calendly
from connectors import csv_export
from connectors import google_calendar as google_calendar
from connectors import msgraph_calendar as msgraph_calendar
from connectors import quickbooks as quickbooks
from connectors import stripe as stripe
from connectors import xero as xero
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
