"""The configuration schema: one YAML file per business, validated with pydantic.

Every model forbids unknown keys and is immutable once loaded. Secrets are ``SecretStr``
and are given as ``${ENV_VAR}`` references in the YAML (see :mod:`config.loader`). The
``delivery`` section's models are :mod:`config.delivery`; the base they share is
:mod:`config.base`.
"""

from __future__ import annotations

import enum
from datetime import date, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

import connectors
from config.base import SLUG, Frozen, repeated
from config.delivery import DeliveryConfig
from connectors.base import ConnectorConfig
from detectors.base import DEFAULT_MINUTES_PER_TASK

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


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

    id: str = Field(pattern=SLUG, description="Tenant key stored on every row.")
    name: str = Field(min_length=1, max_length=256)
    timezone: str = "UTC"
    currency: str = Field(
        pattern=r"^[A-Z]{3}$",
        description="ISO 4217 code of the books (GBP, EUR, USD …); no default: money is never"
        " guessed (``busywork init`` infers it from the exports and says so).",
    )
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
    """A strategic goal the business declared.

    ``objective`` may be left out: it is then read from ``name`` and ``description``
    (see ``alignment.goals.map_objective``) and the mapping is shown to the user. ``weight``
    may be left out on every goal in favour of ``alignment.priority`` or
    ``alignment.pairwise``; with neither, goals weigh the same.
    """

    id: str = Field(pattern=SLUG)
    name: str = Field(min_length=1)
    description: str | None = None
    objective: Objective | None = None
    weight: float | None = Field(default=None, gt=0)
    kpi: KpiConfig | None = None


class Comparison(Frozen):
    """One pairwise judgement: goal ``more`` matters ``by`` times as much as goal ``less``."""

    more: str
    less: str
    by: float = Field(default=2.0, ge=1, le=9)


class AssumptionsConfig(Frozen):
    """How much of a problem an automation removes where the data cannot say (shares 0-1)."""

    reminder_effect: float = Field(default=0.35, ge=0, le=1)
    no_show_effect: float = Field(default=0.30, ge=0, le=1)
    invoicing_lag_effect: float = Field(default=0.9, ge=0, le=1)


class AlignmentConfig(Frozen):
    """How candidates are ranked against the goals."""

    method: Literal["weighted_sum", "topsis"] = "weighted_sum"
    rank_on: Literal["conservative", "point"] = Field(
        default="conservative",
        description="Rank on the low end of the score's interval, or its middle.",
    )
    effort_weight: float = Field(
        default=0.3, ge=0, le=1, description="How much set-up effort lowers a score."
    )
    risk_weight: float = Field(
        default=0.2, ge=0, le=1, description="How much the risk of a change lowers a score."
    )
    priority: tuple[str, ...] = Field(default=(), description="Goal ids, most important first.")
    pairwise: tuple[Comparison, ...] = ()
    assumptions: AssumptionsConfig = AssumptionsConfig()

    @model_validator(mode="after")
    def _one_weighting(self) -> AlignmentConfig:
        if self.priority and self.pairwise:
            raise ValueError("give either priority or pairwise, not both")
        return self


class DetectorSettings(BaseModel):
    """``enabled`` plus the detector's own parameters (checked against the detector)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    enabled: bool = True

    @property
    def params(self) -> dict[str, Any]:
        """The detector parameters given (everything but ``enabled``)."""
        return dict(self.model_extra or {})


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
    alignment: AlignmentConfig = AlignmentConfig()
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
        duplicate = repeated([entry.name for entry in value])
        if duplicate:
            raise ValueError(f"connector name {duplicate!r} is used twice")
        return value

    @field_validator("goals")
    @classmethod
    def _unique_goals(cls, value: tuple[GoalConfig, ...]) -> tuple[GoalConfig, ...]:
        duplicate = repeated([goal.id for goal in value])
        if duplicate:
            raise ValueError(f"goal id {duplicate!r} is used twice")
        weighted = sum(goal.weight is not None for goal in value)
        if 0 < weighted < len(value):
            raise ValueError(
                "give a weight to every goal or to none (then priority, pairwise or equal)"
            )
        return value

    @model_validator(mode="after")
    def _alignment_names_known_goals(self) -> AppConfig:
        ids = {goal.id for goal in self.goals}
        named = list(self.alignment.priority) + [
            goal for item in self.alignment.pairwise for goal in (item.more, item.less)
        ]
        unknown = sorted(set(named) - ids)
        if unknown:
            raise ValueError(
                f"alignment names unknown goal {unknown[0]!r}; goals: {', '.join(sorted(ids))}"
            )
        if (self.alignment.priority or self.alignment.pairwise) and any(
            g.weight is not None for g in self.goals
        ):
            raise ValueError("goals have weights and alignment gives priority/pairwise: use one")
        return self
