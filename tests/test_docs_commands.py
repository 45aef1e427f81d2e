"""Every ``busywork`` command line shown in the README and the docs is one the CLI accepts.

The lines are read from the fenced code blocks and the command tables of the Markdown
files, placeholders (``FILE``, ``ID`` …) are filled in, optional parts (``[--json]``) are
kept, and alternatives (``accept|dismiss|snooze``) are tried one by one. Each must parse:
a documented form that exits 2 is a broken promise to the reader.
"""

from __future__ import annotations

import itertools
import re
import shlex
from pathlib import Path

import pytest

from busywork.cli import _parser

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
PLACEHOLDERS = {
    "FILE": "busywork.yaml",
    "DIR": "exports",
    "NAME": "books",
    "ID": "rec_0123456789abcdef",
    "DATE": "2026-10-31",
    "N": "7",
    "M": "12",
    "X": "0.5",
    "KIND": "recurring_invoice",
}
COMMAND = re.compile(r"^(?:\$ )?(?:\.venv/bin/)?busywork\s+(.*)$")
TABLE_CELL = re.compile(r"^\|\s*`busywork ([^`]*)`")


def _documented_lines() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for page in PAGES:
        inside = False
        for number, raw in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            if raw.lstrip().startswith("```"):
                inside = not inside
                continue
            line = raw.strip()
            match = COMMAND.match(line) if inside else TABLE_CELL.match(line)
            if match:
                found.append((f"{page.relative_to(ROOT)}:{number}", match.group(1)))
    return found


def _variants(rest: str) -> list[list[str]]:
    """Argument lists for one documented line: comments dropped, placeholders filled."""
    rest = rest.split("  #", maxsplit=1)[0].split(" # ", maxsplit=1)[0].replace("\\|", "|").strip()
    rest = re.sub(r"\[([^\]]*)\]", r"\1", rest)  # optional parts are shown, so try them
    words = shlex.split(rest)
    choices = [word.split("|") if "|" in word and "=" not in word else [word] for word in words]
    return [
        [PLACEHOLDERS.get(word, word) for word in combination]
        for combination in itertools.product(*choices)
    ]


DOCUMENTED = _documented_lines()


def test_the_docs_show_commands() -> None:
    assert len(DOCUMENTED) >= 10


@pytest.mark.parametrize(("where", "rest"), DOCUMENTED, ids=[w for w, _ in DOCUMENTED])
def test_every_documented_command_parses(where: str, rest: str) -> None:
    if any(mark in rest for mark in ("<", ">", "…", "...", "$", "`")):
        pytest.skip(f"{where}: an illustration, not a runnable line")
    for argv in _variants(rest):
        try:
            _parser().parse_args(argv)
        except SystemExit as exc:
            if argv and argv[-1] in ("--help", "-h") and exc.code == 0:
                continue
            pytest.fail(f"{where}: `busywork {' '.join(argv)}` is not accepted (exit {exc.code})")
