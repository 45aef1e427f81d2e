"""What every configuration model shares: unknown keys rejected, frozen once loaded."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

#: What a name users type as an id looks like (business, connector, goal, webhook).
SLUG = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class Frozen(BaseModel):
    """Base for config models: unknown keys rejected, immutable after loading."""

    model_config = ConfigDict(extra="forbid", frozen=True)
