"""A cash goal counts every cash effect, and an item serving no goal says which goal would.

The numbers are chosen so a bookkeeper can redo them by hand. The business bills £6,000 a
month; its cash goal has the default 6-month horizon. Collecting 10 days sooner brings
10 × 6,000 / 30.44 = £1,971 in once; a monthly loss of £1,971 / 6 = £328.52 adds up to
the same cash over the horizon, so £328.52 a month is the reference for cash lost.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from alignment.effects import kpi_deltas
from alignment.rank import Ranked, RankingSettings, rank
from alignment.scoring import cash_reference
from detectors.base import Candidate
from tests.alignment.factories import CASH, TIME, candidate, goals

BILLED = {"billed_revenue_per_month": 6_000.0}
HAND = RankingSettings(rank_on="point", effort_weight=0.0, risk_weight=0.0, currency="GBP")
# 73 bills (£7,300) approved after their due date, 2 % late fee a month: £146 a month.
LATE_FEES = candidate(
    "approval_backlog",
    "AP",
    category="bottleneck",
    hours_saved_per_month=1.5,
    cash_impact_per_month=146.0,
)


def _time_only(subject: str, hours: float) -> Candidate:
    return candidate(
        "calendar_overload", subject, category="bottleneck", hours_saved_per_month=hours
    )


def _rank(items: list[Candidate], goal_set: Any, **settings: Any) -> list[Ranked]:
    chosen = RankingSettings(**{**HAND.__dict__, **settings})
    return rank(items, goal_set, business="b", settings=chosen, baselines=BILLED)


def test_the_cash_reference_is_ten_days_of_billing_over_the_horizon() -> None:
    assert cash_reference(6_000.0, 6) == pytest.approx(10 * 6_000 / 30.44 / 6)
    assert round(cash_reference(6_000.0, 6) or 0.0, 2) == 328.52
    assert cash_reference(None, 6) is None


def test_late_fees_outrank_items_worth_nothing_in_cash_at_80_percent_cash() -> None:
    cash_heavy = goals({**CASH, "weight": 4}, {**TIME, "weight": 1})
    items = [LATE_FEES, _time_only("T6", 6.0), _time_only("T24", 24.0)]
    ranked = {item.candidate.subject.id: item for item in _rank(items, cash_heavy)}
    # Late fees: cash 1 − e^(−146/328.52) = 0.3588, time 1 − e^(−1.5/4) = 0.3127.
    assert ranked["AP"].score == pytest.approx(100 * (0.8 * 0.3588 + 0.2 * 0.3127), abs=0.01)
    assert ranked["AP"].score == pytest.approx(34.96, abs=0.01)
    # 24 admin hours a month fill the time goal: 100 × 0.2 × (1 − e^(−6)) = 19.95.
    assert ranked["T24"].score == pytest.approx(19.95, abs=0.01)
    assert ranked["T6"].score == pytest.approx(100 * 0.2 * (1 - math.exp(-1.5)), abs=0.01)
    assert [ranked[key].rank for key in ("AP", "T24", "T6")] == [1, 2, 3]
    # The same order with the default conservative bound and set-up costs.
    default = _rank(items, cash_heavy, rank_on="conservative", effort_weight=0.3, risk_weight=0.2)
    assert default[0].candidate.subject.id == "AP"


def test_without_known_billing_money_is_weighed_in_admin_hours() -> None:
    [item] = rank([LATE_FEES], goals(CASH), business="b", settings=HAND)
    # 4 admin hours at £30 = £120 a month earns 1 − 1/e of a goal without a target.
    assert item.goals[0].share == pytest.approx(1 - math.exp(-146 / 120), abs=1e-4)


@pytest.mark.parametrize(
    ("kind", "overrides", "source", "change"),
    [
        ("approval_backlog", {"cash_impact_per_month": 146.0}, "late fees", -146.0),
        ("duplicate_entry", {"cash_impact_per_month": 90.0}, "bills paid twice", -90.0),
        (
            "appointment_to_invoice",
            {"metrics": {"leakage_per_month": 120.0}},
            "sessions never billed",
            -120.0,
        ),
        (
            "no_show_reminders",
            {"cash_impact_per_month": 400.0},
            "sessions lost to no-shows",
            -0.3 * 400.0,
        ),
    ],
)
def test_every_cash_effect_counts_toward_the_cash_goal_and_is_explained(
    kind: str, overrides: dict[str, Any], source: str, change: float
) -> None:
    item = candidate(kind, "X", hours_saved_per_month=0.0, **overrides)
    [ranked] = _rank([item], goals(CASH))
    [goal] = ranked.goals
    assert goal.delta is None  # DSO does not move …
    [part] = goal.kpis  # … but cash lost a month does, and earns the whole contribution
    assert part.metric == "cash_at_stake_per_month"
    assert part.delta == pytest.approx(change)
    assert part.share == pytest.approx(1 - math.exp(change / 328.52), abs=1e-4)
    assert part.contribution == pytest.approx(goal.contribution)
    assert goal.contribution > 0
    amount = f"{abs(change):,.1f}" if abs(change) < 100 else f"{abs(change):,.0f}"
    assert f"'Get paid faster' (−{amount} GBP/month of cash lost to {source})" in ranked.explanation


def test_late_money_counts_once_through_dso_and_the_parts_add_up() -> None:
    collection = candidate(
        "slow_collection",
        "S",
        hours_saved_per_month=0.0,
        cash_impact_per_month=60.0,  # the cost of carrying late money: DSO's, not lost cash
        metrics={"median_days_late": 20.0, "late_share": 1.0},
    )
    assert "cash_at_stake_per_month" not in kpi_deltas(collection)
    both = candidate(
        "invoice_lag",
        "L",
        hours_saved_per_month=0.0,
        cash_impact_per_month=0.0,
        metrics={"median_lag_days": 5.0},
    )
    late_fees = candidate("approval_backlog", "AP", cash_impact_per_month=146.0)
    for item in _rank([collection, both, late_fees], goals(CASH)):
        [goal] = item.goals
        assert sum(part.contribution for part in goal.kpis) == pytest.approx(
            goal.contribution, abs=0.02
        )
        combined = 1 - math.prod(1 - part.share for part in goal.kpis)
        assert goal.share == pytest.approx(combined, abs=1e-4)


def test_money_from_a_kind_without_a_cash_rule_still_counts() -> None:
    item = candidate("credit_note_rework", "Z", cash_impact_per_month=55.0)
    assert kpi_deltas(item)["cash_at_stake_per_month"] == -55.0


def test_not_aligned_says_what_would_change_and_which_goal_would_rank_it() -> None:
    admin = _time_only("T", 12.0)
    [item] = _rank([admin], goals(CASH))
    assert not item.aligned
    assert item.rank is None
    assert (
        "Serves none of your declared goals, so it is listed but not ranked: it would cut"
        " 12.0 h/month of admin; add a goal on owner time to rank it." in item.explanation
    )
    revenue_only = goals({"id": "rev", "name": "Grow sales", "objective": "revenue"})
    [fees] = _rank([LATE_FEES], revenue_only)
    # Late fees are the cash lost here: said once, with every goal that would count them.
    assert fees.explanation.startswith(
        "Serves none of your declared goals, so it is listed but not ranked: it would avoid"
        " 146 GBP/month of late fees and avoidable cost and cut 1.5 h/month of admin; add a"
        " goal on cash flow, cost or owner time to rank it."
    )


def test_not_aligned_names_the_kpi_a_declared_goal_should_measure() -> None:
    clients = goals({"id": "cx", "name": "Happier clients", "objective": "customer_experience"})
    no_shows = candidate(
        "no_show_reminders",
        "N",
        category="bottleneck",
        hours_saved_per_month=0.0,
        metrics={"appointments": 100.0, "no_shows": 20.0},
    )
    [item] = _rank([no_shows], clients)
    assert "it would cut no-shows by 6.0 points" in item.explanation
    assert "measure 'Happier clients' by no-show rate (no_show_rate) to rank it." in (
        item.explanation
    )


def test_a_met_target_is_named_rather_than_a_new_goal() -> None:
    collection = candidate(
        "slow_collection",
        "S",
        hours_saved_per_month=0.0,
        metrics={"median_days_late": 20.0, "late_share": 1.0},
    )
    met = goals({**CASH, "kpi": {"metric": "dso_days", "baseline": 25, "target": 30}})
    [item] = _rank([collection], met)
    assert "('Get paid faster' is already on target)" in item.explanation
    assert "it would get paid 7.0 days sooner, but the goals that count it are already on" in (
        item.explanation
    )
