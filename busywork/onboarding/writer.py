"""The commented ``busywork.yaml`` that ``init`` writes from what it recognised."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from busywork.onboarding.vendors import Vendor, connector_lines
from config.default_goals import DEFAULT_GOALS

HEADER = """\
# Busywork configuration, written by `busywork init` from {origin}.
# Every guess is commented; check them, then:
#   busywork check-config -c {config}      # reads each file as a scan would
#   busywork scan -c {config} --out report/
# The mapping reference: docs/csv-mapping.md
"""


def slug(name: str) -> str:
    """A tenant key from a business name: ``Harbour Physio Ltd`` -> ``harbour-physio-ltd``."""
    text = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return (text or "my-business")[:64]


def render(
    *,
    name: str,
    currency: str,
    currency_note: str,
    timezone: str,
    folder: str | None,
    config_name: str,
    files: Sequence[tuple[str, str, dict[str, Any]]],
    skipped: Sequence[tuple[str, str]],
    vendors: Sequence[Vendor] = (),
) -> str:
    """The YAML text; ``files`` holds (kind, comment, mapping) per mapped kind.

    ``folder`` None writes no CSV connector; ``vendors`` add one connector each, with
    their secrets as ``${ENV}`` references.
    """
    origin = " and ".join(
        part
        for part in (
            f"the exports in {folder}" if folder is not None else "",
            f"the tools named ({', '.join(v.title for v in vendors)})" if vendors else "",
        )
        if part
    )
    out = [HEADER.format(origin=origin, config=config_name)]
    out.append("business:")
    out.append(f"  id: {slug(name)}")
    out.append(f"  name: {_scalar(name)}")
    out.append(f"  timezone: {timezone:<24} # IANA name; naive times in the files are read here")
    out.append(f"  currency: {currency:<24} # {currency_note}")
    out.append("  admin_hourly_cost: 30               # what an hour of admin costs you")
    out.append("")
    out.append("storage:")
    # One store per config file: two configs written in one folder never mix their records.
    out.append(f"  url: sqlite:///{Path(config_name).stem}.db")
    out.append("")
    out.append("connectors:")
    if folder is not None:
        out += _csv_connector(folder, files, skipped)
    out += connector_lines(vendors)
    out.append("")
    out.append("# Goals decide the order of recommendations. These are the balanced defaults;")
    out.append("# reorder with weights, or describe your own (docs/getting-started.md).")
    out.append("goals:")
    for goal in DEFAULT_GOALS:
        out.append(f"  - id: {goal.id.removeprefix('default-')}")
        out.append(f"    name: {_scalar(goal.name)}")
        out.append(f"    objective: {goal.objective.value if goal.objective else ''}")
        out.append("    weight: 1")
    return "\n".join(out) + "\n"


def _csv_connector(
    folder: str,
    files: Sequence[tuple[str, str, dict[str, Any]]],
    skipped: Sequence[tuple[str, str]],
) -> list[str]:
    out = [
        "  - name: exports",
        "    type: csv",
        f"    path: {_scalar(folder):<22} # relative to this file",
        "    interval: 1h                # how often to look for new exports",
        "    files:",
    ]
    for kind, comment, mapping in files:
        out.append(f"      # {comment}")
        body = yaml.safe_dump({kind: mapping}, sort_keys=False, allow_unicode=True, width=100)
        out += ["      " + line for line in body.rstrip().splitlines()]
    if skipped:
        out.append("    ignore:                     # files init looked at and left out")
        for file_name, why in skipped:
            out.append(f"      - {_scalar(file_name):<28} # {why}")
    return out


def _scalar(value: str) -> str:
    return yaml.safe_dump(value, default_style=None, width=1000).removesuffix("\n...\n").strip()


def relative_folder(folder: Path, config: Path) -> str:
    """``folder`` as written in the config: relative to the config's folder when inside it."""
    try:
        return str(folder.resolve().relative_to(config.resolve().parent)) or "."
    except ValueError:
        return str(folder.resolve())
