"""Instruments of ``busywork eval``: calibration, the API route, and the fake vendor APIs."""
