from __future__ import annotations

import pytest

from alignment.goals import map_objective, resolve_goals
from busywork.errors import ConfigError
from config.models import AlignmentConfig, Comparison, GoalConfig, Objective
from tests.alignment.factories import CASH, REVENUE, TIME, goals


@pytest.mark.parametrize(
    ("text", "objective"),
    [
        ("Get paid faster", Objective.CASH_FLOW),
        ("Stop doing paperwork on Sundays", Objective.OWNER_TIME),
        ("Bill every session we deliver", Objective.REVENUE),
        ("Fewer no-shows", Objective.CUSTOMER_EXPERIENCE),
        ("Cut bank fees", Objective.COST),
        ("Fewer mistakes in the books", Objective.ERROR_REDUCTION),
        ("Take on more clients without hiring", Objective.SCALABILITY),
    ],
)
def test_free_text_goals_map_to_objectives(text: str, objective: Objective) -> None:
    assert map_objective(text)[0] is objective


def test_unclear_text_is_an_error_asking_for_an_objective() -> None:
    assert map_objective("be excellent")[0] is None
    with pytest.raises(ConfigError) as caught:
        resolve_goals([GoalConfig(id="x", name="Be excellent")], AlignmentConfig())
    assert caught.value.problems == [
        "goals[0].objective: cannot tell what 'Be excellent' aims at; set objective"
    ]


def test_mapping_is_shown_with_its_cues() -> None:
    [goal] = goals({"id": "g", "name": "Stop doing paperwork on Sundays"})
    assert goal.objective is Objective.OWNER_TIME
    assert not goal.mapping.explicit
    assert set(goal.mapping.cues) == {"paperwork", "sunday"}


def test_explicit_weights_are_normalised() -> None:
    resolved = goals({**CASH, "weight": 3}, {**TIME, "weight": 1})
    assert [round(goal.weight, 3) for goal in resolved] == [0.75, 0.25]


def test_priority_order_gives_rank_order_centroid_weights() -> None:
    resolved = goals(CASH, TIME, REVENUE, priority=("time", "cash", "revenue"))
    weights = {goal.id: round(goal.weight, 4) for goal in resolved}
    assert weights == {"time": 0.6111, "cash": 0.2778, "revenue": 0.1111}


def test_pairwise_judgements_give_ahp_weights_and_consistency() -> None:
    comparisons = (
        Comparison(more="cash", less="time", by=3),
        Comparison(more="cash", less="revenue", by=3),
        Comparison(more="time", less="revenue", by=1),
    )
    resolved, consistency = resolve_goals(
        [GoalConfig(**CASH), GoalConfig(**TIME), GoalConfig(**REVENUE)],
        AlignmentConfig(pairwise=comparisons),
    )
    weights = {goal.id: round(goal.weight, 3) for goal in resolved}
    assert weights == {"cash": 0.6, "time": 0.2, "revenue": 0.2}
    assert consistency is not None
    assert abs(consistency) < 1e-6  # perfectly consistent judgements


def test_no_weights_at_all_means_equal_weights() -> None:
    assert {goal.weight for goal in goals(CASH, TIME)} == {0.5}
