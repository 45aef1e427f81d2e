"""The JSON document and the reports carry, per detector, what it could not check and why."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from rich.console import Console

from busywork.contract import document
from busywork.report import EMPTY_MESSAGE, NOT_CHECKED_HEADING, render_html, render_table

REASON = "no payment dates in `shop`: payment speed not checked"
COVERAGE = {
    "slow_collection": {
        "checks": "payment speed",
        "checked": False,
        "reason": REASON,
        "confidence_scale": 0.0,
        "facts": [{"fact": "payment_dates", "share": 0.0, "threshold": 0.5}],
    },
    "recurring_invoice": {
        "checks": "repeat invoicing",
        "checked": True,
        "reason": None,
        "confidence_scale": 1.0,
        "facts": [],
    },
}


def doc(coverage: dict[str, dict[str, object]] | None = COVERAGE) -> dict[str, object]:
    return document(
        business="acme",
        business_name="Acme",
        currency="GBP",
        generated_at=datetime(2025, 1, 1, tzinfo=UTC),
        ranked=[],
        coverage=coverage,
    )


def test_each_detector_carries_its_coverage_and_the_unchecked_are_listed() -> None:
    out = doc()
    assert out["detectors"] == {kind: {"coverage": data} for kind, data in COVERAGE.items()}
    assert out["not_checked"] == [{"kind": "slow_collection", "reason": REASON}]
    assert doc(None)["detectors"] == {}
    assert doc(None)["not_checked"] == []


def test_nothing_found_still_says_what_was_not_checked() -> None:
    text = io.StringIO()
    render_table(doc(), Console(file=text, width=120))
    lines = text.getvalue().splitlines()
    assert lines[0] == EMPTY_MESSAGE
    assert lines[-2:] == [NOT_CHECKED_HEADING, f"- {REASON}"]
    assert REASON in render_html(doc())
    assert NOT_CHECKED_HEADING not in render_html(doc(None))
