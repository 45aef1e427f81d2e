"""The balanced goals used when a config declares none, so findings are still ranked.

Three goals most small service businesses share, weighted equally: getting paid faster
(cash flow), less admin for the owner (owner time) and billing all the work done
(revenue). Every place that ranks or describes goals goes through :func:`effective_goals`,
and the command line says when these defaults are in use.
"""

from __future__ import annotations

from config.models import AppConfig, GoalConfig, Objective

DEFAULT_GOALS: tuple[GoalConfig, ...] = (
    GoalConfig(
        id="default-cash",
        name="Get paid faster",
        objective=Objective.CASH_FLOW,
        weight=1,
    ),
    GoalConfig(
        id="default-time",
        name="Less admin for the owner",
        objective=Objective.OWNER_TIME,
        weight=1,
    ),
    GoalConfig(
        id="default-revenue",
        name="Bill all the work done",
        objective=Objective.REVENUE,
        weight=1,
    ),
)

#: What the command line prints when the defaults are in use.
DEFAULT_GOALS_NOTE = (
    "note: no goals: in the config, so recommendations are ranked against the balanced"
    " default (get paid faster, less admin for the owner, bill all the work done; equal"
    " weights). Declare your own under goals: to change the order."
)


def effective_goals(config: AppConfig) -> tuple[GoalConfig, ...]:
    """The config's goals, or :data:`DEFAULT_GOALS` when it declares none."""
    return config.goals or DEFAULT_GOALS


def uses_default_goals(config: AppConfig) -> bool:
    """Whether ranking falls back to :data:`DEFAULT_GOALS`."""
    return not config.goals
