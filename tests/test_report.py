"""Behaviour tests for the terminal, plain-text and HTML recommendation reports."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from busywork import report
from busywork.report import (
    EMPTY_MESSAGE,
    NO_ALIGNED_MESSAGE,
    UNALIGNED_HEADING,
    render_html,
    render_table,
    write_outputs,
)

ANSI_ESCAPE = "\x1b"
BOX_DRAWING = re.compile(r"[\u2500-\u257f]")
EXTERNAL_REF = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def make_rec(
    rank: int | None,
    title: str,
    *,
    subject: str = "Acme Ltd",
    record_ids: list[str] | None = None,
    hours: float = 2.0,
    cash: float = 50.0,
    currency: str | None = "GBP",
    goals: list[dict[str, Any]] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    aligned = overrides.pop("aligned", rank is not None)
    ids = record_ids if record_ids is not None else [f"inv_{rank}_{i}" for i in range(3)]
    impact: dict[str, Any] = {"hours_saved_per_month": hours, "cash_impact": cash}
    if currency is not None:
        impact["currency"] = currency
    rec: dict[str, Any] = {
        "id": f"rec_{title.lower().replace(' ', '_')[:12]}",
        "kind": "recurring_invoice",
        "category": "repetitive_task",
        "title": title,
        "summary": f"Summary of {title}",
        "suggested_automation": "Set up a repeating invoice",
        "subject": {"type": "customer", "id": "cus_1", "name": subject},
        "sources": ["invoices"],
        "evidence": {
            "record_ids": ids,
            "count": len(ids),
            "period": {"start": "2024-01-01", "end": "2024-06-30"},
        },
        "impact": impact,
        "goals": goals
        if goals is not None
        else ([{"goal": "save_time", "weight": 0.6, "contribution": 0.5}] if aligned else []),
        "aligned": aligned,
        "score": 1.0 / (rank or 10),
        "rank": rank,
        "confidence": 0.8,
        "explanation": "Issued the same invoice every month.",
    }
    rec.update(overrides)
    return rec


def make_doc(*recs: dict[str, Any], **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "business": "biz_acme",
        "generated_at": "2024-07-01T09:00:00+00:00",
        "recommendations": list(recs),
    }
    doc.update(extra)
    return doc


def piped(doc: dict[str, Any]) -> str:
    console = Console(file=io.StringIO(), width=80)
    assert not console.is_terminal
    render_table(doc, console)
    output = console.file.getvalue()
    assert isinstance(output, str)
    return output


def terminal(doc: dict[str, Any]) -> str:
    console = Console(file=io.StringIO(), force_terminal=True, width=160, record=True)
    render_table(doc, console)
    return console.export_text()


def line_with(output: str, needle: str) -> str:
    matches = [line for line in output.splitlines() if needle in line]
    assert len(matches) == 1, f"{needle!r} on {len(matches)} lines"
    return matches[0]


# -- terminal / plain text ------------------------------------------------------------


def test_piped_output_is_plain_and_in_rank_order() -> None:
    titles = ["Chase late payers", "Automate the weekly payroll export", "Send reminders"]
    doc = make_doc(*(make_rec(i + 1, title) for i, title in enumerate(titles)))

    output = piped(doc)

    assert ANSI_ESCAPE not in output
    assert not BOX_DRAWING.search(output)
    positions = [output.index(title) for title in titles]
    assert positions == sorted(positions)
    row = line_with(output, "Automate the weekly payroll export")
    assert "Acme Ltd" in row
    assert "0.50" in row  # score of rank 2
    assert "£50" in row
    assert "save_time" in row  # no goal names in the document: the id stands in


def test_piped_output_keeps_long_rows_on_one_line_and_columns_aligned() -> None:
    long_title = "Reconcile every supplier statement against the ledger automatically " * 2
    doc = make_doc(make_rec(1, "Short"), make_rec(2, long_title.strip(), subject="Zed & Co"))

    output = piped(doc)

    short_row = line_with(output, "Short")
    long_row = line_with(output, "Zed & Co")
    assert short_row.index("Acme Ltd") == long_row.index("Zed & Co")


def test_piped_output_neutralises_control_characters_from_data() -> None:
    doc = make_doc(make_rec(1, "\x1b[31mRed alert\x1b[0m"), make_rec(2, "two\nlines"))

    output = piped(doc)

    assert ANSI_ESCAPE not in output
    assert "Red alert" in output
    assert "Acme Ltd" in line_with(output, "two lines")


def test_goals_served_lists_only_goals_that_contribute() -> None:
    goals = [
        {"goal": "grow_revenue", "weight": 0.5, "contribution": 0.3},
        {"goal": "cut_costs", "weight": 0.5, "contribution": 0.0},
    ]
    output = piped(make_doc(make_rec(1, "Invoice faster", goals=goals)))

    row = line_with(output, "Invoice faster")
    assert "grow_revenue" in row
    assert "cut_costs" not in row


def test_document_currency_is_used_when_impact_has_none() -> None:
    doc = make_doc(make_rec(1, "Pay suppliers", cash=1234.5, currency=None), currency="EUR")

    assert "€1,235" in line_with(piped(doc), "Pay suppliers")


def test_terminal_output_is_a_table_with_literal_titles() -> None:
    titles = ["Chase late payers", "Pay [bold]suppliers[/bold] on time", "Close [/] the books"]
    doc = make_doc(
        *(make_rec(i + 1, title) for i, title in enumerate(titles)),
        business_name="Acme [dim]Plumbing[/dim]",
    )

    output = terminal(doc)

    assert BOX_DRAWING.search(output)
    assert "Acme [dim]Plumbing[/dim]" in output
    for title in titles:
        assert title in output
    positions = [output.index(title) for title in titles]
    assert positions == sorted(positions)


@pytest.mark.parametrize("render", [piped, terminal])
def test_unaligned_section_lists_unaligned_after_ranked(render: Any) -> None:
    doc = make_doc(make_rec(1, "Ranked one"), make_rec(None, "Busy for its own sake"))

    output = render(doc)

    heading = output.index(UNALIGNED_HEADING)
    assert output.index("Ranked one") < heading < output.index("Busy for its own sake")


@pytest.mark.parametrize("render", [piped, terminal])
def test_unaligned_section_absent_when_everything_is_aligned(render: Any) -> None:
    output = render(make_doc(make_rec(1, "Ranked one"), make_rec(2, "Ranked two")))

    assert UNALIGNED_HEADING not in output


@pytest.mark.parametrize("render", [piped, terminal])
def test_only_unaligned_recommendations_say_none_serve_a_goal(render: Any) -> None:
    output = render(make_doc(make_rec(None, "Lonely automation")))

    assert NO_ALIGNED_MESSAGE in output
    assert output.index(UNALIGNED_HEADING) < output.index("Lonely automation")


@pytest.mark.parametrize("render", [piped, terminal])
@pytest.mark.parametrize("doc", [make_doc(), {"business": "biz", "generated_at": "2024-01-01"}])
def test_empty_recommendations_print_a_friendly_line(render: Any, doc: dict[str, Any]) -> None:
    output = render(doc)

    assert EMPTY_MESSAGE in output
    assert UNALIGNED_HEADING not in output
    assert not BOX_DRAWING.search(output)


# -- HTML --------------------------------------------------------------------------------


def test_html_is_self_contained() -> None:
    doc = make_doc(make_rec(1, "Chase late payers"), make_rec(None, "Sync calendars"))

    page = render_html(doc)

    assert not EXTERNAL_REF.search(page)
    assert "http://" not in page
    assert "https://" not in page
    assert "@import" not in page
    assert "url(" not in page
    assert "<script" not in page.lower()
    assert "<link" not in page.lower()
    assert page.count('<ul class="chart">') == 1


def test_html_escapes_every_text_field() -> None:
    rec = make_rec(
        1,
        f"Automate {XSS} invoices",
        subject=XSS,
        record_ids=[XSS],
        goals=[{"goal": XSS, "weight": 1.0, "contribution": 0.4}],
        explanation=XSS,
        id='rec_1" onmouseover="alert(1)',
    )
    page = render_html(make_doc(rec, business_name=XSS))

    assert XSS not in page
    assert XSS_ESCAPED in page
    assert 'onmouseover="alert(1)"' not in page


def test_html_first_screen_lists_the_top_ranked_with_ranges_and_what_to_do() -> None:
    goals = [
        {
            "goal": "time",
            "weight": 0.75,
            "contribution": 0.42,
            "metric": "admin_hours_per_month",
            "kpi_change": -2.0,
        },
        {
            "goal": "cash",
            "weight": 0.25,
            "contribution": 0.11,
            "metric": "dso_days",
            "kpi_change": -6.0,
        },
    ]
    doc = make_doc(
        *(
            make_rec(rank, f"Thing {rank}", goals=goals, hours=4.0, cash=200.0)
            for rank in range(1, 8)
        ),
        goals=[{"id": "time", "name": "Less admin"}, {"id": "cash", "name": "Get paid faster"}],
        currency="GBP",
    )

    page = render_html(doc)

    first = page[page.index('id="first"') : page.index('id="compare"')]
    shortlist = first[: first.index('<ol class="top">')]
    assert [f"Thing {rank}" in shortlist for rank in range(1, 8)] == [True] * 5 + [False] * 2
    assert shortlist.index("Thing 1") < shortlist.index("Thing 2") < shortlist.index("Thing 5")
    assert "3–5 h a month, £150–£250 a month" in shortlist  # 4 h and £200, ±25 %
    assert "Set up a repeating invoice" in first  # what to do, on the first screen
    assert "Less admin:</strong> 2.0 fewer admin hours a month" in first
    assert "Get paid faster:</strong> cash collected 6.0 days sooner" in first
    assert "1 January 2024 to 30 June 2024" in first
    rest = page[page.index('id="compare"') :]
    assert "Thing 6" in rest
    assert "<details" in rest
    assert "save_time" not in page
    assert "cash_flow" not in page
    assert "Score" not in page


def test_html_first_screen_stops_at_three_when_the_rest_are_worth_little() -> None:
    doc = make_doc(
        make_rec(1, "Big", score=10.0),
        make_rec(2, "Middle", score=5.0),
        make_rec(3, "Small", score=2.0),
        make_rec(4, "Tiny", score=0.5),
    )

    page = render_html(doc)

    shortlist = page[page.index('class="shortlist"') : page.index('<ol class="top">')]
    assert "Small" in shortlist
    assert "Tiny" not in shortlist


def test_html_collapses_long_evidence_lists_only() -> None:
    many = [f"inv_{i:03d}" for i in range(11)]
    few = [f"bill_{i}" for i in range(10)]

    long_page = render_html(make_doc(make_rec(1, "Many", record_ids=many)))
    short_page = render_html(make_doc(make_rec(1, "Few", record_ids=few)))

    boxes = re.findall(r'<details class="ids-box">.*?</details>', long_page, re.DOTALL)
    assert len(boxes) == 1
    assert all(record_id in boxes[0] for record_id in many)
    assert 'class="ids-box"' not in short_page
    assert all(record_id in short_page for record_id in few)


def test_html_unaligned_group_only_when_needed() -> None:
    with_unaligned = render_html(make_doc(make_rec(1, "Ranked"), make_rec(None, "Unranked")))
    without = render_html(make_doc(make_rec(1, "Ranked")))

    heading = with_unaligned.index("<h2>Serves none of your goals</h2>")
    assert heading < with_unaligned.index("Unranked", heading)
    assert "Serves none of your goals" not in without


def test_html_header_and_headline_add_only_what_can_be_added() -> None:
    shared = ["inv_1", "inv_2"]
    doc = make_doc(
        make_rec(1, "Business collects slowly", hours=8.0, cash=100.0, record_ids=shared),
        make_rec(2, "One customer pays late", hours=2.0, cash=40.0, record_ids=["inv_2"]),
        make_rec(3, "Bills keyed by hand", hours=4.0, cash=0.0, record_ids=["bill_1"]),
        business_name="Acme Plumbing",
        currency="GBP",
    )

    page = render_html(doc)

    assert "<h1>Acme Plumbing</h1>" in page
    assert "Prepared 1 July 2024 at 09:00 UTC" in page
    assert "2024-07-01T09:00" not in page
    # The late customer's invoice is already in the business-wide finding: 8 + 4 h, £100.
    assert "Together about 9–15 h a month and £75–£120 a month" in page


def test_html_headline_never_exceeds_the_admin_time_measured() -> None:
    doc = make_doc(
        make_rec(1, "A", hours=30.0),
        make_rec(2, "B", hours=30.0),
        goals=[
            {
                "id": "time",
                "name": "Less admin",
                "kpi": {
                    "metric": "admin_hours_per_month",
                    "baseline": 40.0,
                    "baseline_from": "data",
                },
            }
        ],
    )

    page = render_html(doc)

    assert "Together about 30–50 h a month" in page
    assert "capped at the 40 admin hours a month measured in your data" in page


def test_html_falls_back_to_business_id_without_business_name() -> None:
    page = render_html(make_doc(make_rec(1, "A")))

    assert "<h1>biz_acme</h1>" in page


def test_html_for_empty_recommendations() -> None:
    page = render_html(make_doc())

    assert EMPTY_MESSAGE in page
    assert 'class="chart"' not in page
    assert "Serves none of your goals" not in page


# -- write_outputs -------------------------------------------------------------------------


def test_write_outputs_round_trips_and_leaves_no_temp_files(tmp_path: Path) -> None:
    doc = make_doc(make_rec(1, "Café invoices"), make_rec(None, "Sync"), currency="GBP")
    out_dir = tmp_path / "nested" / "out"

    json_path, html_path = write_outputs(doc, out_dir)

    assert (json_path.name, html_path.name) == ("recommendations.json", "report.html")
    text = json_path.read_text(encoding="utf-8")
    assert json.loads(text) == doc
    assert text.endswith("}\n")
    assert "Café invoices" in text
    assert html_path.read_text(encoding="utf-8") == render_html(doc)
    assert sorted(p.name for p in out_dir.iterdir()) == ["recommendations.json", "report.html"]


def test_write_outputs_replaces_existing_files(tmp_path: Path) -> None:
    write_outputs(make_doc(make_rec(1, "Old")), tmp_path)

    json_path, _ = write_outputs(make_doc(make_rec(1, "New")), tmp_path)

    assert json.loads(json_path.read_text(encoding="utf-8"))["recommendations"][0]["title"] == "New"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["recommendations.json", "report.html"]


def test_write_outputs_keeps_old_file_when_replace_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    existing = tmp_path / "recommendations.json"
    existing.write_text("old\n", encoding="utf-8")

    def refuse(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(report.os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_outputs(make_doc(make_rec(1, "New")), tmp_path)

    assert existing.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["recommendations.json"]


def test_write_outputs_writes_nothing_when_rendering_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_doc: object) -> str:
        raise RuntimeError("template error")

    monkeypatch.setattr(report, "render_html", broken)
    with pytest.raises(RuntimeError):
        write_outputs(make_doc(make_rec(1, "A")), tmp_path / "out")

    assert not (tmp_path / "out").exists()


def test_write_outputs_with_empty_recommendations(tmp_path: Path) -> None:
    doc = make_doc()

    json_path, html_path = write_outputs(doc, tmp_path)

    assert json.loads(json_path.read_text(encoding="utf-8")) == doc
    assert EMPTY_MESSAGE in html_path.read_text(encoding="utf-8")


def test_html_shows_goals_as_read_stability_and_adopted_items() -> None:
    from busywork.report import render_html

    doc = {
        "business": "b",
        "generated_at": "2026-11-23T00:00:00+00:00",
        "goals": [
            {
                "name": "Stop doing paperwork on Sundays",
                "objective": "owner_time",
                "objective_from": "text",
                "matched_words": ["paperwork", "sunday"],
                "weight": 1.0,
                "kpi": {
                    "label": "admin hours a month",
                    "baseline": 12.5,
                    "baseline_from": "data",
                    "target": 5.0,
                },
            }
        ],
        "recommendations": [
            {
                "id": "rec_a",
                "title": "First",
                "rank": 1,
                "aligned": True,
                "score": 10.0,
                "score_interval": {"low": 10.0, "point": 12.0, "high": 14.0},
                "goals": [
                    {
                        "goal": "time",
                        "weight": 1.0,
                        "contribution": 10.0,
                        "metric": "admin_hours_per_month",
                        "kpi_change": -3.2,
                        "unit": "h/month",
                        "share_of_goal": 0.4,
                    }
                ],
                "stability": {"next": "rec_b", "goal": "time", "weight_factor": 0.4},
            },
            {"id": "rec_b", "title": "Second", "rank": 2, "aligned": True, "score": 5.0},
        ],
        "adopted": [
            {
                "id": "rec_c",
                "title": "Acme invoiced by template now",
                "adopted_on": "2026-09-15",
                "estimated_hours_per_month": 0.2,
                "realised_hours_per_month": 0.3,
            }
        ],
    }
    html = render_html(doc)
    assert "read from the words: paperwork, sunday" in html
    assert "admin hours a month (now 12.5 in your data, target 5.0)" in html
    assert "3.2 fewer admin hours a month" in html
    assert "It would fall below “Second” if “time” counted 2.5× less." in html
    assert "Acme invoiced by template now" in html
    assert "adopted 15 September 2026" in html
    assert "10.00" not in html
    assert "14.00" not in html
