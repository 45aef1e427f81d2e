"""What every configuration model shares: unknown keys rejected, frozen once loaded."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationInfo

#: What a name users type as an id looks like (business, connector, goal, webhook).
SLUG = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class Frozen(BaseModel):
    """Base for config models: unknown keys rejected, immutable after loading."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def config_relative(path: Path | None, info: ValidationInfo) -> Path | None:
    """``path``, or, when it is relative, under the folder of the file the config came from.

    That folder is the validation context's ``base_dir`` (:func:`config.loader.parse_config`);
    without one (a config built in code) the path is left as given.
    """
    base = (info.context or {}).get("base_dir")
    if path is None or path.is_absolute() or base is None:
        return path
    return Path(base) / path


def repeated(names: Sequence[str]) -> str | None:
    """The first of ``names`` given twice, if any (names that must be unique in a list)."""
    return next((name for name in names if names.count(name) > 1), None)
