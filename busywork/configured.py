"""A business's detectors and what they may know about it, built from its config."""

from __future__ import annotations

from datetime import datetime

from config.models import WEEKDAYS, AppConfig
from detectors.base import DEFAULT_MINUTES_PER_TASK, DetectionContext, Detector, WorkingCalendar
from detectors.registry import detector_classes


def detection_context(config: AppConfig, as_of: datetime) -> DetectionContext:
    """What detectors may know about the business, from its config."""
    business = config.business
    hours = business.working_hours
    return DetectionContext(
        business=business.name,
        as_of=as_of,
        timezone=business.timezone,
        currency=business.currency,
        admin_hourly_cost=business.admin_hourly_cost,
        cost_of_capital=business.cost_of_capital,
        calendar=WorkingCalendar(
            weekdays=tuple(sorted(WEEKDAYS.index(day) for day in hours.days)),
            start=hours.start,
            end=hours.end,
            holidays=hours.holidays,
        ),
        minutes_per_task={**DEFAULT_MINUTES_PER_TASK, **business.minutes_per_task},
    )


def enabled_detectors(config: AppConfig) -> dict[str, Detector]:
    """Every registered detector not disabled in config, built with its configured parameters."""
    built: dict[str, Detector] = {}
    for kind, cls in detector_classes().items():
        settings = config.detectors.get(kind)
        if settings is not None and not settings.enabled:
            continue
        built[kind] = cls(**(settings.params if settings else {}))
    return built
