"""Render ranked recommendations as a terminal table, plain text, or a self-contained HTML page."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import jinja2
from markupsafe import Markup
from rich.cells import cell_len
from rich.console import Console, JustifyMethod
from rich.table import Table
from rich.text import Text

from busywork.charts import Bar, Segment, hbar_chart, palette_color, stacked_bar

UNALIGNED_HEADING = "Automation for its own sake (serves no declared goal)"
EMPTY_MESSAGE = "No recommendations: nothing to automate was found."
NOT_CHECKED_HEADING = "Not checked (the data lacks what these checks need)"
NO_ALIGNED_MESSAGE = "No recommendation serves a declared goal."
EVIDENCE_INLINE_LIMIT = 10

_COLUMNS = (
    "Rank",
    "Title",
    "Subject",
    "Hours/month",
    "Cash/month",
    "Score",
    "Confidence",
    "Goals served",
)
_NUMERIC_COLUMNS = frozenset({0, 3, 4, 5, 6})
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_CONTROL_CHARS_BUT_NEWLINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]+")

Row = list[str]
Rec = Mapping[str, Any]


class _GoalRow(NamedTuple):
    goal: str
    weight: float
    contribution: float
    color: str
    change: str = ""
    share: float = 0.0


def _cell(value: Any) -> str:
    # Text comes from third-party systems; a stray ESC or newline would smuggle terminal
    # codes into piped output or break the one-line-per-recommendation layout.
    return _CONTROL_CHARS.sub(" ", "" if value is None else str(value)).strip()


def _text(value: Any) -> str:
    return _CONTROL_CHARS_BUT_NEWLINES.sub(" ", "" if value is None else str(value)).strip()


def _num(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    return float(value)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _recommendations(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [rec for rec in _items(doc.get("recommendations")) if isinstance(rec, Mapping)]


def _is_aligned(rec: Mapping[str, Any]) -> bool:
    return bool(rec.get("aligned", rec.get("rank") is not None))


def _split(recs: Sequence[Mapping[str, Any]]) -> tuple[list[Rec], list[Rec]]:
    return [r for r in recs if _is_aligned(r)], [r for r in recs if not _is_aligned(r)]


def _display_name(doc: Mapping[str, Any]) -> str:
    return _cell(doc.get("business_name") or doc.get("business") or "your business")


def _hours(rec: Mapping[str, Any]) -> float:
    return _num(_mapping(rec.get("impact")).get("hours_saved_per_month"))


def _currency(rec: Mapping[str, Any], doc: Mapping[str, Any]) -> str:
    return _cell(_mapping(rec.get("impact")).get("currency") or doc.get("currency") or "")


def _money(amount: float, currency: str) -> str:
    return f"{currency} {amount:,.2f}".strip()


def _goals(rec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [goal for goal in _items(rec.get("goals")) if isinstance(goal, Mapping)]


def _goals_served(rec: Mapping[str, Any]) -> str:
    served = [_cell(g.get("goal")) for g in _goals(rec) if _num(g.get("contribution")) > 0]
    return ", ".join(served) or "-"


def _row(rec: Mapping[str, Any], doc: Mapping[str, Any]) -> Row:
    impact = _mapping(rec.get("impact"))
    rank = rec.get("rank")
    return [
        "-" if rank is None else _cell(rank),
        _cell(rec.get("title")),
        _cell(_mapping(rec.get("subject")).get("name")),
        f"{_hours(rec):.1f}",
        _money(_num(impact.get("cash_impact")), _currency(rec, doc)),
        f"{_num(rec.get('score')):.2f}",
        f"{_num(rec.get('confidence')):.0%}",
        _goals_served(rec),
    ]


def render_table(doc: Mapping[str, Any], console: Console | None = None) -> None:
    """Print the ranked recommendations to a console.

    A terminal gets a rich table; piped output gets plain, aligned text with one
    recommendation per line, so it can be grepped or diffed. Recommendations that serve no
    declared goal are listed separately after the ranked ones.

    Args:
        doc: A recommendations document.
        console: Where to print; defaults to a console on standard output.
    """
    console = console or Console()
    recs = _recommendations(doc)
    if not recs:
        console.out(EMPTY_MESSAGE, highlight=False)
        _print_not_checked(console, doc)
        return
    aligned, unaligned = _split(recs)
    sections: list[tuple[str, list[Row]]] = [
        (f"Recommendations for {_display_name(doc)}", [_row(rec, doc) for rec in aligned])
    ]
    if unaligned:
        sections.append((UNALIGNED_HEADING, [_row(rec, doc) for rec in unaligned]))
    if console.is_terminal:
        _print_rich(console, sections)
    else:
        for line in _plain_lines(sections):
            console.out(line, highlight=False)
    _print_not_checked(console, doc)


def not_checked(doc: Mapping[str, Any]) -> list[str]:
    """Why each detector that could not check did not, in plain words, sorted by detector."""
    return [
        _text(item.get("reason")) or f"{_text(item.get('kind'))} not checked"
        for item in map(_mapping, _items(doc.get("not_checked")))
    ]


def _print_not_checked(console: Console, doc: Mapping[str, Any]) -> None:
    reasons = not_checked(doc)
    if not reasons:
        return
    console.out("", highlight=False)
    console.out(NOT_CHECKED_HEADING, highlight=False)
    for reason in reasons:
        # Plain text, not markup: a source name like "[shop]" must print as it is.
        console.out(f"- {reason}", highlight=False)


def _print_rich(console: Console, sections: Sequence[tuple[str, list[Row]]]) -> None:
    for index, (heading, rows) in enumerate(sections):
        if not rows:
            console.print(Text(heading, style="bold"))
            console.print(Text(NO_ALIGNED_MESSAGE, style="italic"))
            continue
        # Text objects rather than str: titles like "[red]" must print literally, not as markup.
        table = Table(title=Text(heading, style="bold"), title_justify="left")
        for column, name in enumerate(_COLUMNS):
            justify: JustifyMethod = "right" if column in _NUMERIC_COLUMNS else "left"
            table.add_column(name, justify=justify, overflow="fold")
        for row in rows:
            table.add_row(*(Text(cell) for cell in row), style="dim" if index else None)
        console.print(table)


def _plain_lines(sections: Sequence[tuple[str, list[Row]]]) -> list[str]:
    # One set of widths across both sections keeps every column in the same place.
    every_row = [list(_COLUMNS), *(row for _, rows in sections for row in rows)]
    widths = [max(cell_len(row[i]) for row in every_row) for i in range(len(_COLUMNS))]

    def line(cells: Row) -> str:
        padded = []
        for column, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            pad = " " * (width - cell_len(cell))
            padded.append(pad + cell if column in _NUMERIC_COLUMNS else cell + pad)
        return "  ".join(padded).rstrip()

    lines: list[str] = []
    for heading, rows in sections:
        if lines:
            lines.append("")
        lines.append(heading)
        if not rows:
            lines.append(NO_ALIGNED_MESSAGE)
            continue
        lines += [line(list(_COLUMNS)), "  ".join("-" * width for width in widths)]
        lines += [line(row) for row in rows]
    return lines


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("busywork", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _bar_label(rec: Mapping[str, Any]) -> str:
    rank = rec.get("rank")
    prefix = f"#{_cell(rank)} " if rank is not None else "(no goal) "
    return prefix + _cell(rec.get("title"))


def _card(
    rec: Mapping[str, Any], doc: Mapping[str, Any], colors: Mapping[str, str]
) -> dict[str, Any]:
    impact = _mapping(rec.get("impact"))
    evidence = _mapping(rec.get("evidence"))
    period = _mapping(evidence.get("period"))
    subject = _mapping(rec.get("subject"))
    title = _text(rec.get("title"))
    goals = [
        _GoalRow(
            name,
            _num(goal.get("weight")),
            _num(goal.get("contribution")),
            colors[name],
            _change(goal),
            _num(goal.get("share_of_goal")),
        )
        for goal in _goals(rec)
        for name in [_text(goal.get("goal"))]
    ]
    interval = _mapping(rec.get("score_interval"))
    segments = [Segment(row.goal, row.contribution, row.color) for row in goals]
    record_ids = [_text(record_id) for record_id in _items(evidence.get("record_ids"))]
    return {
        **{key: _text(rec.get(key)) for key in ("id", "kind", "category", "summary")},
        **{key: _text(rec.get(key)) for key in ("explanation", "suggested_automation")},
        "rank": rec.get("rank"),
        "aligned": _is_aligned(rec),
        "title": title,
        "subject": {key: _text(subject.get(key)) for key in ("type", "id", "name")},
        "hours": _hours(rec),
        "cash": _money(_num(impact.get("cash_impact")), _currency(rec, doc)),
        "score": _num(rec.get("score")),
        "confidence": _num(rec.get("confidence")),
        "goals": goals,
        "goal_bar": Markup(stacked_bar(segments, title=f"Goal contributions: {title}")),
        "evidence_count": int(_num(evidence.get("count", len(record_ids)))),
        "period": {key: _text(period.get(key)) for key in ("start", "end")},
        "record_ids": record_ids,
        "collapse_ids": len(record_ids) > EVIDENCE_INLINE_LIMIT,
        "sources": [_text(source) for source in _items(rec.get("sources"))],
        "interval": (_num(interval.get("low")), _num(interval.get("high"))) if interval else None,
        "effort": _text(_mapping(rec.get("effort")).get("what")),
        "stability": _stability_text(rec, doc),
    }


def _goal_line(goal: Any) -> dict[str, str]:
    goal = _mapping(goal)
    kpi = _mapping(goal.get("kpi"))
    words = ", ".join(_text(word) for word in _items(goal.get("matched_words")))
    read_as = _text(goal.get("objective"))
    if goal.get("objective_from") == "text":
        read_as += f" (read from the words: {words})"
    baseline = kpi.get("baseline")
    measured = f"{_num(baseline):,.1f}" if baseline is not None else "not measured"
    source = " from your data" if kpi.get("baseline_from") == "data" else ""
    target = kpi.get("target")
    return {
        "name": _text(goal.get("name")),
        "objective": read_as,
        "weight": f"{_num(goal.get('weight')) * 100:.0f}%",
        "kpi": f"{_text(kpi.get('label'))}: {measured}{source}"
        + (f" → target {_num(target):,.1f}" if target is not None else ""),
    }


def _change(goal: Mapping[str, Any]) -> str:
    change = goal.get("kpi_change")
    if change is None:
        return ""
    value = _num(change)
    sign = "+" if value > 0 else "−" if value < 0 else ""
    return f"{sign}{abs(value):,.1f} {_text(goal.get('unit'))}".strip()


def _stability_text(rec: Mapping[str, Any], doc: Mapping[str, Any]) -> str:
    stability = _mapping(rec.get("stability"))
    if not stability:
        return ""
    ranks = {_text(r.get("id")): r.get("rank") for r in _recommendations(doc)}
    below = ranks.get(_text(stability.get("next")))
    goal, factor = stability.get("goal"), stability.get("factor", stability.get("weight_factor"))
    if goal is None or factor is None:
        return f"Stays ahead of #{below} under any change of one goal's weight up to 10×."
    how = f"{_num(factor):.1f}× as much" if _num(factor) >= 1 else f"{1 / _num(factor):.1f}× less"
    return f"Would drop below #{below} if '{_text(goal)}' weighed {how}."


def _totals(recs: Sequence[Mapping[str, Any]], doc: Mapping[str, Any]) -> tuple[float, list[str]]:
    hours = sum(_hours(rec) for rec in recs)
    cash: dict[str, float] = {}
    for rec in recs:
        amount = _num(_mapping(rec.get("impact")).get("cash_impact"))
        currency = _currency(rec, doc)
        cash[currency] = cash.get(currency, 0.0) + amount
    # Amounts in different currencies cannot be added, so each gets its own total.
    amounts = [_money(amount, currency) for currency, amount in cash.items()]
    return hours, amounts or [_money(0.0, _cell(doc.get("currency") or ""))]


def render_html(doc: Mapping[str, Any]) -> str:
    """Render the recommendations as a self-contained HTML page.

    The page needs no network: styles are inline and charts are inline SVG. All text from
    the document is escaped.

    Args:
        doc: A recommendations document.

    Returns:
        The complete HTML page.
    """
    recs = _recommendations(doc)
    aligned, unaligned = _split(recs)
    goal_ids = sorted({_text(goal.get("goal")) for rec in recs for goal in _goals(rec)})
    colors = {goal: palette_color(index) for index, goal in enumerate(goal_ids)}
    score_bars = [
        Bar(_bar_label(r), _num(r.get("score")), f"{_num(r.get('score')):.2f}", not _is_aligned(r))
        for r in recs
    ]
    hours_bars = [
        Bar(_bar_label(r), _hours(r), f"{_hours(r):.1f} h", not _is_aligned(r)) for r in recs
    ]
    total_hours, total_cash = _totals(recs, doc)
    business = _text(doc.get("business"))
    template = _environment().get_template("report.html.j2")
    return template.render(
        name=_display_name(doc),
        business=business,
        generated_at=_text(doc.get("generated_at")),
        total_hours=total_hours,
        total_cash=total_cash,
        empty_message=EMPTY_MESSAGE,
        unaligned_heading=UNALIGNED_HEADING,
        score_chart=Markup(hbar_chart(score_bars, title="Score by recommendation")),
        hours_chart=Markup(hbar_chart(hours_bars, title="Hours saved per month")),
        aligned=[_card(rec, doc, colors) for rec in aligned],
        goals=[_goal_line(goal) for goal in _items(doc.get("goals"))],
        adopted=[
            {
                "title": _text(item.get("title")),
                "adopted_on": _text(item.get("adopted_on")),
                "estimated": _num(item.get("estimated_hours_per_month")),
                "realised": _num(item.get("realised_hours_per_month")),
            }
            for item in map(_mapping, _items(doc.get("adopted")))
        ],
        unaligned=[_card(rec, doc, colors) for rec in unaligned],
        not_checked_heading=NOT_CHECKED_HEADING,
        not_checked=not_checked(doc),
    )


def _write_atomically(path: Path, text: str) -> None:
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes owner-only files; reports are meant to be read like any other output.
        temp.chmod(0o644)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_outputs(doc: Mapping[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """Write the recommendations JSON and the HTML report into a directory.

    Both files are rendered before either is written, and each is replaced atomically, so
    a reader never sees a partially written file.

    Args:
        doc: A recommendations document.
        out_dir: Destination directory; created if missing.

    Returns:
        The paths of ``recommendations.json`` and ``report.html``.
    """
    payload = json.dumps(dict(doc), indent=2, ensure_ascii=False) + "\n"
    page = render_html(doc)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "recommendations.json"
    html_path = out_dir / "report.html"
    _write_atomically(json_path, payload)
    _write_atomically(html_path, page)
    return json_path, html_path
