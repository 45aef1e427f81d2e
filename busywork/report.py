"""Render ranked recommendations as a terminal table, plain text, or a self-contained HTML page.

What the HTML page shows is decided in :mod:`busywork.report_view`; the words for money,
dates and effects in :mod:`busywork.wording`.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from rich.cells import cell_len
from rich.console import Console, JustifyMethod
from rich.table import Table
from rich.text import Text

from busywork import report_view as view
from busywork import wording

UNALIGNED_HEADING = "Automation for its own sake (serves no declared goal)"
EMPTY_MESSAGE = "No recommendations: nothing to automate was found."
NO_ALIGNED_MESSAGE = "No recommendation serves a declared goal."

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

Row = list[str]


def _cell(value: Any) -> str:
    # Text comes from third-party systems; a stray ESC or newline would smuggle terminal
    # codes into piped output or break the one-line-per-recommendation layout.
    return _CONTROL_CHARS.sub(" ", "" if value is None else str(value)).strip()


def _display_name(doc: Mapping[str, Any]) -> str:
    return _cell(doc.get("business_name") or doc.get("business") or "your business")


def _goals_served(rec: view.Rec, names: Mapping[str, str]) -> str:
    served = [
        _cell(names.get(goal_id, goal_id))
        for goal in map(view.mapping, view.items(rec.get("goals")))
        if view.number(goal.get("contribution")) > 0
        for goal_id in [view.text(goal.get("goal"))]
    ]
    return ", ".join(served) or "-"


def _row(rec: view.Rec, doc: Mapping[str, Any], names: Mapping[str, str]) -> Row:
    rank = rec.get("rank")
    return [
        "-" if rank is None else _cell(rank),
        _cell(rec.get("title")),
        _cell(view.mapping(rec.get("subject")).get("name")),
        f"{view.hours(rec):.1f}",
        wording.money(view.cash(rec), view.currency(rec, doc)),
        f"{view.number(rec.get('score')):.2f}",
        f"{view.number(rec.get('confidence')):.0%}",
        _goals_served(rec, names),
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
    recs = view.recommendations(doc)
    if not recs:
        console.out(EMPTY_MESSAGE, highlight=False)
        return
    names = view.goal_names(doc)
    aligned = [_row(rec, doc, names) for rec in recs if view.is_aligned(rec)]
    unaligned = [_row(rec, doc, names) for rec in recs if not view.is_aligned(rec)]
    sections: list[tuple[str, list[Row]]] = [(f"Recommendations for {_display_name(doc)}", aligned)]
    if unaligned:
        sections.append((UNALIGNED_HEADING, unaligned))
    if console.is_terminal:
        _print_rich(console, sections)
    else:
        for line in _plain_lines(sections):
            console.out(line, highlight=False)


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


def _goal_line(goal: Any) -> dict[str, str]:
    goal = view.mapping(goal)
    kpi = view.mapping(goal.get("kpi"))
    baseline = kpi.get("baseline")
    measured = f"{view.number(baseline):,.1f}" if baseline is not None else "not measured yet"
    source = " in your data" if kpi.get("baseline_from") == "data" else ""
    target = kpi.get("target")
    words = ", ".join(view.text(word) for word in view.items(goal.get("matched_words")))
    return {
        "name": view.text(goal.get("name")),
        "read_as": f"read from the words: {words}" if goal.get("objective_from") == "text" else "",
        "weight": f"{view.number(goal.get('weight')):.0%}",
        "kpi": f"{view.text(kpi.get('label'))} (now {measured}{source}"
        + (f", target {view.number(target):,.1f})" if target is not None else ")"),
    }


def render_html(doc: Mapping[str, Any]) -> str:
    """Render the recommendations as a self-contained HTML page.

    The page needs no network: styles are inline and there is no script. All text from
    the document is escaped. The first screen holds the three to five recommendations worth
    doing first; the rest is folded away, grouped by the goal each serves.

    Args:
        doc: A recommendations document.

    Returns:
        The complete HTML page.
    """
    recs = view.recommendations(doc)
    names = view.goal_names(doc)
    total = sum(1 for rec in recs if view.is_aligned(rec))
    top, rest = view.top_and_rest(recs)
    top_cards = [view.card(rec, doc, names, total) for rec in top]
    every_card = top_cards + [view.card(rec, doc, names, total) for rec in rest]
    currency = view.text(doc.get("currency"))
    template = _environment().get_template("report.html.j2")
    return template.render(
        name=_display_name(doc),
        prepared=wording.long_datetime(view.text(doc.get("generated_at"))),
        goals_note="ranked against a balanced default, as no goals were set"
        if doc.get("default_goals")
        else "",
        empty_message=EMPTY_MESSAGE,
        unaligned_group=view.UNALIGNED_GROUP,
        top=top_cards,
        headline=view.headline(top, doc),
        chart=view.chart_rows(every_card) if len(every_card) > 1 else [],
        groups=view.groups(rest, doc, names, total),
        not_checked=[view.text(line) for line in view.items(doc.get("not_checked"))],
        goals=[_goal_line(goal) for goal in view.items(doc.get("goals"))],
        adopted=[
            {
                "title": view.text(item.get("title")),
                "adopted_on": wording.long_date(view.text(item.get("adopted_on")))
                or view.text(item.get("adopted_on")),
                "estimated": wording.hours_range(
                    view.number(item.get("estimated_hours_per_month"))
                ),
                "realised": f"{view.number(item.get('realised_hours_per_month')):,.1f} h a month",
            }
            for item in map(view.mapping, view.items(doc.get("adopted")))
        ],
        currency=currency,
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
