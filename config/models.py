"""The configuration schema: one YAML file per business, validated with pydantic.

Every model forbids unknown keys and is immutable once loaded. Secrets are ``SecretStr``
and are given as ``${ENV_VAR}`` references in the YAML (see :mod:`config.loader`).
"""

from __future__ import annotations

import enum
from datetime import date, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

import connectors
from connectors.base import ConnectorConfig
from detectors.base import DEFAULT_MINUTES_PER_TASK

_SLUG = r"^[a-z0-9][a-z0-9_-]{0,63}$"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Frozen(BaseModel):
    """Base for config models: unknown keys rejected, immutable after loading."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class WorkingHours(Frozen):
    """When the business works, for business-day and business-hour durations."""

    days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    start: time = time(9, 0)
    end: time = time(17, 30)
    holidays: tuple[date, ...] = ()

    @field_validator("days")
    @classmethod
    def _weekdays(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        wrong = [day for day in value if day.lower() not in WEEKDAYS]
        if wrong:
            raise ValueError(f"{wrong[0]!r} is not a weekday; use {', '.join(WEEKDAYS)}")
        if not value:
            raise ValueError("at least one working day is needed")
        return tuple(day.lower() for day in value)

    @model_validator(mode="after")
    def _ordered(self) -> WorkingHours:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class BusinessConfig(Frozen):
    """The business itself: identity, money and time."""

    id: str = Field(pattern=_SLUG, description="Tenant key stored on every row.")
    name: str = Field(min_length=1, max_length=256)
    timezone: str = "UTC"
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    admin_hourly_cost: float = Field(
        default=30.0, ge=0, description="Cost of one hour of admin time."
    )
    cost_of_capital: float = Field(
        default=0.10, ge=0, le=1, description="Yearly rate pricing cash delays."
    )
    working_hours: WorkingHours = WorkingHours()
    minutes_per_task: dict[str, float] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA timezone such as Europe/London") from None
        return value

    @field_validator("minutes_per_task")
    @classmethod
    def _tasks(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(DEFAULT_MINUTES_PER_TASK))
        if unknown:
            raise ValueError(
                f"unknown task {unknown[0]!r}; valid: {', '.join(DEFAULT_MINUTES_PER_TASK)}"
            )
        if any(minutes < 0 for minutes in value.values()):
            raise ValueError("minutes must not be negative")
        return value


class StorageConfig(Frozen):
    """Where records, events and findings are kept."""

    url: str = Field(
        default="sqlite:///busywork.db",
        validate_default=True,
        description="SQLAlchemy URL; sqlite paths are relative to the config file.",
    )

    @field_validator("url")
    @classmethod
    def _resolve_sqlite(cls, value: str, info: ValidationInfo) -> str:
        base = (info.context or {}).get("base_dir")
        prefix = "sqlite:///"
        if value.startswith(prefix) and not value.startswith(prefix + "/") and base is not None:
            path = value[len(prefix) :]
            if path and path != ":memory:":
                return prefix + str(Path(base) / path)
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("use a sqlite:/// or postgresql+psycopg:// URL")
        return value


class Objective(enum.StrEnum):
    """What a goal is about; decides which measured effects count towards it."""

    CASH_FLOW = "cash_flow"
    OWNER_TIME = "owner_time"
    ADMIN_TIME = "admin_time"
    REVENUE = "revenue"
    CUSTOMER_EXPERIENCE = "customer_experience"
    COST = "cost"
    ERROR_REDUCTION = "error_reduction"
    SCALABILITY = "scalability"


class KpiConfig(Frozen):
    """How progress on a goal is measured."""

    metric: str = Field(min_length=1)
    baseline: float | None = None
    target: float | None = None
    horizon_months: int = Field(default=6, ge=1, le=60)


class GoalConfig(Frozen):
    """A strategic goal the business declared."""

    id: str = Field(pattern=_SLUG)
    name: str = Field(min_length=1)
    objective: Objective
    weight: float = Field(default=1.0, gt=0)
    kpi: KpiConfig | None = None


class DetectorSettings(BaseModel):
    """``enabled`` plus the detector's own parameters (checked against the detector)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    enabled: bool = True

    @property
    def params(self) -> dict[str, Any]:
        """The detector parameters given (everything but ``enabled``)."""
        return dict(self.model_extra or {})


class DeliveryConfig(Frozen):
    """Where recommendations go (email and webhooks arrive with the delivery issue)."""

    stdout: bool = Field(default=True, description="Print the ranked table after a scan.")
    json_file: Path | None = Field(
        default=None, description="Write the JSON document here after each scan."
    )
    min_score: float = Field(
        default=0.0, ge=0, description="Leave out recommendations scoring below this."
    )

    @field_validator("json_file")
    @classmethod
    def _relative(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        base = (info.context or {}).get("base_dir")
        if value is None or value.is_absolute() or base is None:
            return value
        return Path(base) / value


def _connector_union() -> Any:
    models = tuple(cls.config_model for cls in connectors.connector_classes().values())
    if len(models) == 1:
        return models[0]
    return Annotated[Union[models], Field(discriminator="type")]  # noqa: UP007  (built at runtime)


if TYPE_CHECKING:
    ConnectorEntry = ConnectorConfig
else:
    ConnectorEntry = _connector_union()


class AppConfig(Frozen):
    """The whole configuration file."""

    business: BusinessConfig
    storage: StorageConfig = StorageConfig()
    connectors: tuple[ConnectorEntry, ...] = ()
    detectors: dict[str, DetectorSettings] = Field(default_factory=dict)
    goals: tuple[GoalConfig, ...] = ()
    delivery: DeliveryConfig = DeliveryConfig()

    @model_validator(mode="before")
    @classmethod
    def _sections_with_defaults(cls, data: Any) -> Any:
        # Validate omitted sections too, so their defaults get relative paths resolved.
        if isinstance(data, dict):
            return {"storage": {}, "delivery": {}, **data}
        return data

    @field_validator("connectors")
    @classmethod
    def _unique_connectors(cls, value: tuple[ConnectorConfig, ...]) -> tuple[ConnectorConfig, ...]:
        names = [entry.name for entry in value]
        duplicate = next((name for name in names if names.count(name) > 1), None)
        if duplicate:
            raise ValueError(f"connector name {duplicate!r} is used twice")
        return value

    @field_validator("goals")
    @classmethod
    def _unique_goals(cls, value: tuple[GoalConfig, ...]) -> tuple[GoalConfig, ...]:
        ids = [goal.id for goal in value]
        duplicate = next((goal_id for goal_id in ids if ids.count(goal_id) > 1), None)
        if duplicate:
            raise ValueError(f"goal id {duplicate!r} is used twice")
        return value
