"""The detector registry: detectors register under the kind name users type in YAML."""

from __future__ import annotations

from busywork.errors import ConfigError
from detectors.base import Detector

_REGISTRY: dict[str, type[Detector]] = {}


def register(cls: type[Detector]) -> type[Detector]:
    """Class decorator adding a detector to the registry under ``cls.kind``.

    Raises:
        ValueError: another detector already has that kind.
    """
    if cls.kind in _REGISTRY and _REGISTRY[cls.kind] is not cls:
        raise ValueError(f"detector kind {cls.kind!r} is registered twice")
    _REGISTRY[cls.kind] = cls
    return cls


def detector_classes() -> dict[str, type[Detector]]:
    """All registered detectors by kind, sorted by kind."""
    return dict(sorted(_REGISTRY.items()))


def get_detector(kind: str) -> type[Detector]:
    """The detector registered as ``kind``.

    Raises:
        ConfigError: no such detector; the message lists the valid kinds.
    """
    try:
        return _REGISTRY[kind]
    except KeyError:
        valid = ", ".join(sorted(_REGISTRY))
        raise ConfigError(f"unknown detector {kind!r}; valid detectors: {valid}") from None
