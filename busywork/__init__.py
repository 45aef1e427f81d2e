"""Busywork: find the busywork in a small business's tools and rank the automations worth doing."""

__version__ = "0.1.0"
