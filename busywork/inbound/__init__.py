"""Inbound notifications: vendors tell us something changed, and we poll that connector now."""
