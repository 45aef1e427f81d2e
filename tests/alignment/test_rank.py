from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alignment.feedback import FeedbackSummary, feedback_factor
from alignment.rank import RankingSettings, rank
from detectors.base import Candidate
from tests.alignment.factories import CASH, REVENUE, TIME, candidate, goals

KINDS = [
    "recurring_invoice",
    "slow_collection",
    "appointment_to_invoice",
    "payment_reminders",
    "recurring_bill",
]
METHODS = ["weighted_sum", "topsis"]


@st.composite
def candidates(draw: st.DrawFn) -> list[Candidate]:
    n = draw(st.integers(min_value=1, max_value=8))
    return [
        candidate(
            draw(st.sampled_from(KINDS)),
            f"C{i}",
            hours_saved_per_month=draw(st.floats(0, 40)),
            cash_impact_per_month=draw(st.floats(0, 2000)),
            confidence=draw(st.floats(0.3, 1.0)),
            metrics={
                "median_days_late": draw(st.floats(0, 60)),
                "overdue_receivables": draw(st.floats(0, 1e5)),
                "leakage_per_month": draw(st.floats(0, 500)),
            },
        )
        for i in range(n)
    ]


GOALS = goals({**CASH, "weight": 2}, {**TIME, "weight": 1}, {**REVENUE, "weight": 1})


def _scores(
    items: list[Candidate], method: str = "weighted_sum", goal_set: list | None = None
) -> dict[str, float]:
    ranked = rank(items, goal_set or GOALS, business="b", settings=RankingSettings(method=method))
    return {item.candidate.subject.id or "": item.score for item in ranked}


@settings(max_examples=60, deadline=None)
@given(candidates(), st.sampled_from(METHODS), st.randoms(use_true_random=False))
def test_reordering_candidates_changes_nothing(
    items: list[Candidate], method: str, rnd: random.Random
) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)
    first = rank(items, GOALS, business="b", settings=RankingSettings(method=method))
    second = rank(shuffled, GOALS, business="b", settings=RankingSettings(method=method))
    assert first == second


@settings(max_examples=60, deadline=None)
@given(candidates(), st.floats(0.1, 30))
def test_more_hours_saved_never_lowers_a_score(items: list[Candidate], extra: float) -> None:
    before = _scores(items)
    target = items[0]
    more = [
        candidate(
            target.kind,
            target.subject.id or "",
            **{**_fields(target), "hours_saved_per_month": target.hours_saved_per_month + extra},
        ),
        *items[1:],
    ]
    assert _scores(more)[target.subject.id or ""] >= before[target.subject.id or ""]


@settings(max_examples=60, deadline=None)
@given(st.floats(0.1, 40), st.floats(1.0, 10.0))
def test_raising_a_goals_weight_never_lowers_an_item_serving_only_it(
    hours: float, factor: float
) -> None:
    only_time = candidate("recurring_invoice", "T", hours_saved_per_month=hours)
    other = candidate(
        "slow_collection", "S", hours_saved_per_month=0.0, metrics={"median_days_late": 30.0}
    )
    base = goals({**CASH, "weight": 1}, {**TIME, "weight": 1})
    heavier = goals({**CASH, "weight": 1}, {**TIME, "weight": factor})
    assert (
        _scores([only_time, other], goal_set=heavier)["T"]
        >= _scores([only_time, other], goal_set=base)["T"]
    )


@settings(max_examples=30, deadline=None)
@given(candidates(), st.sampled_from(METHODS))
def test_ranking_is_deterministic_and_ranks_are_dense(items: list[Candidate], method: str) -> None:
    first = rank(items, GOALS, business="b", settings=RankingSettings(method=method))
    assert first == rank(items, GOALS, business="b", settings=RankingSettings(method=method))
    ranks = [item.rank for item in first if item.aligned]
    assert ranks == list(range(1, len(ranks) + 1))
    keys = [item.score for item in first if item.aligned]
    assert keys == sorted(keys, reverse=True)


def _fields(item: Candidate) -> dict[str, object]:
    return {
        name: getattr(item, name) for name in ("confidence", "cash_impact_per_month", "metrics")
    }


def test_candidate_serving_no_goal_is_unaligned_and_unranked() -> None:
    ranked = rank(
        [candidate("recurring_invoice", "X", hours_saved_per_month=5.0)], goals(CASH), business="b"
    )
    assert not ranked[0].aligned
    assert ranked[0].rank is None
    assert "Serves none of your declared goals" in ranked[0].explanation


def test_thin_evidence_ranks_on_its_conservative_bound() -> None:
    solid = candidate("recurring_invoice", "A", hours_saved_per_month=3.0, confidence=0.95)
    thin = candidate(
        "recurring_invoice", "B", hours_saved_per_month=3.3, confidence=0.4, record_ids=("R1", "R2")
    )
    conservative = rank([solid, thin], goals(TIME), business="b")
    point = rank(
        [solid, thin], goals(TIME), business="b", settings=RankingSettings(rank_on="point")
    )
    assert [item.candidate.subject.id for item in conservative] == ["A", "B"]
    assert [item.candidate.subject.id for item in point] == ["B", "A"]
    assert conservative[1].score_low < conservative[1].score_point < conservative[1].score_high


def test_contributions_add_up_and_carry_kpi_changes() -> None:
    item = candidate(
        "slow_collection",
        "S",
        hours_saved_per_month=4.0,
        metrics={"median_days_late": 20.0, "late_share": 0.5},
    )
    [ranked] = rank(
        [item],
        goals({**CASH, "weight": 1}, {**TIME, "weight": 1}),
        business="b",
        settings=RankingSettings(rank_on="point"),
    )
    by_goal = {goal.goal: goal for goal in ranked.goals}
    assert by_goal["cash"].delta == pytest.approx(-0.35 * 20 * 0.5)
    assert by_goal["time"].delta == -4.0
    assert sum(goal.contribution for goal in ranked.goals) == pytest.approx(
        ranked.score_point, abs=0.02
    )
    assert "DSO" not in ranked.explanation  # plain words, not jargon
    assert "−3.5 days" in ranked.explanation


def test_gap_to_target_normalises_the_share() -> None:
    item = candidate(
        "slow_collection", "S", hours_saved_per_month=0.0, metrics={"median_days_late": 20.0}
    )
    near = goals({**CASH, "kpi": {"metric": "dso_days", "baseline": 40, "target": 33}})
    far = goals({**CASH, "kpi": {"metric": "dso_days", "baseline": 90, "target": 30}})
    met = goals({**CASH, "kpi": {"metric": "dso_days", "baseline": 25, "target": 30}})
    share = {
        name: rank([item], g, business="b")[0].goals[0].share
        for name, g in (("near", near), ("far", far), ("met", met))
    }
    assert share["near"] == 1.0  # 7 days closes a 7-day gap
    assert share["far"] == pytest.approx(7 / 60, abs=1e-3)
    assert share["met"] == 0.0


def test_stability_reports_the_weight_change_that_flips_adjacent_items() -> None:
    time_item = candidate("recurring_invoice", "T", hours_saved_per_month=4.0, confidence=1.0)
    cash_item = candidate(
        "slow_collection",
        "S",
        hours_saved_per_month=0.0,
        confidence=1.0,
        metrics={"median_days_late": 10.0, "late_share": 1.0},
    )
    ranked = rank(
        [time_item, cash_item],
        goals({**TIME, "weight": 1}, {**CASH, "weight": 1}),
        business="b",
        settings=RankingSettings(rank_on="point", effort_weight=0.0, risk_weight=0.0),
    )
    first, second = ranked
    assert first.stability is not None
    assert first.stability.next_id == second.id
    # Weighted sum: first loses its place exactly when w × share_first = w_other × share_second.
    a = first.goals[0].share if first.goals[0].share > 0 else first.goals[1].share
    b = second.goals[1].share if second.goals[1].share > 0 else second.goals[0].share
    assert first.stability.factor is not None
    expected = b / a if first.stability.factor < 1 else a / b
    assert first.stability.factor == pytest.approx(expected, rel=0.02)
    assert second.stability is None


def test_feedback_is_bounded_and_reversible() -> None:
    assert feedback_factor(None) == 1.0
    assert feedback_factor(FeedbackSummary("k", accepted=2)) == 1.3
    assert feedback_factor(FeedbackSummary("k", dismissed=99)) == 0.5
    assert feedback_factor(FeedbackSummary("k", accepted=99)) == 1.5
    items = [
        candidate("recurring_invoice", "A", hours_saved_per_month=3.0),
        candidate("recurring_bill", "B", hours_saved_per_month=2.5),
    ]
    plain = rank(items, goals(TIME), business="b")
    disliked = rank(
        items,
        goals(TIME),
        business="b",
        feedback={"recurring_invoice": FeedbackSummary("recurring_invoice", dismissed=3)},
    )
    assert [i.candidate.subject.id for i in plain] == ["A", "B"]
    assert [i.candidate.subject.id for i in disliked] == ["B", "A"]
    assert (
        "because of your feedback on 3 dismissed recurring-invoice recommendations"
        in disliked[1].explanation
    )
    assert rank(items, goals(TIME), business="b", feedback={}) == plain
    assert math.isclose(disliked[1].feedback_factor, 0.55)
