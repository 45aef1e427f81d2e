"""Alignment: rank candidate automations against the business's declared goals."""

from alignment.effects import Effect, effects
from alignment.rank import GoalContribution, Ranked, explain, rank

__all__ = ["Effect", "GoalContribution", "Ranked", "effects", "explain", "rank"]
