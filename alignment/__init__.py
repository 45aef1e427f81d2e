"""Alignment: rank candidate automations against the business's declared goals."""
