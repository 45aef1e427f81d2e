"""``busywork init DIR``: recognise a folder of exports and write a commented config for it."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from busywork.commands.common import Subcommands, add_command
from busywork.errors import ConfigError

PREVIEW_ROWS = 5
#: Calendar exports: not read from a folder, and said so rather than passed over in silence.
CALENDAR_SUFFIXES = (".ics", ".ical", ".ifb")
CALENDAR_FILE = (
    "a calendar file; appointments are read from the calendar itself (caldav, google_calendar,"
    " msgraph_calendar or calendly connector, docs/connectors/calendars.md), not from a folder"
)


def register(commands: Subcommands) -> None:
    """Add ``init`` to the subcommands."""
    init = add_command(
        commands,
        "init",
        "recognise a folder of exports (or name your tools) and write a config for them",
        [
            "busywork init exports/",
            "busywork init ~/Downloads/xero-export --yes --currency GBP --name 'Harbour Physio'",
            "busywork init --from quickbooks,stripe,google --currency GBP --yes",
        ],
    )
    init.add_argument(
        "folder",
        type=Path,
        nargs="?",
        metavar="DIR",
        help="the folder holding the exports (optional with --from)",
    )
    init.add_argument(
        "--from",
        dest="vendors",
        metavar="NAMES",
        help="tools to read live, comma-separated: quickbooks, xero, stripe, google,"
        " microsoft, calendly, caldav",
    )
    init.add_argument(
        "--config",
        "-c",
        type=Path,
        default=Path("busywork.yaml"),
        metavar="FILE",
        help="where to write the config (default ./busywork.yaml)",
    )
    init.add_argument(
        "--yes", "-y", action="store_true", help="ask nothing: take the likelier answer, say so"
    )
    init.add_argument("--force", action="store_true", help="replace an existing config file")
    init.add_argument("--name", help="the business's name (default: the folder's name)")
    init.add_argument(
        "--currency", help="ISO code of the books, e.g. GBP (default: inferred from the files)"
    )
    init.add_argument(
        "--timezone", default="UTC", help="IANA timezone, e.g. Europe/London (default UTC)"
    )
    init.set_defaults(handler=run_init)


def run_init(args: argparse.Namespace, ask: Callable[[str], str] | None = None) -> int:
    """Recognise every file, settle the open questions, preview, and write the config."""
    ask = ask or input  # looked up now, so tests can stand in for the user
    from busywork.onboarding.vendors import next_steps, vendors
    from busywork.onboarding.writer import relative_folder, render

    folder: Path | None = args.folder
    chosen = vendors(args.vendors) if args.vendors else []
    if folder is None and not chosen:
        raise ConfigError("give a folder of exports (DIR), or the tools you use with --from")
    if folder is not None and not folder.is_dir():
        raise ConfigError(f"{folder} is not a folder; give the folder that holds your exports")
    if args.config.exists() and not args.force:
        raise ConfigError(f"{args.config} exists already; add --force to replace it")
    files: list[tuple[str, str, dict[str, Any]]] = []
    skipped: list[tuple[str, str]] = []
    guesses: list[Any] = []
    if folder is not None:
        guesses = _recognise(folder, required=not chosen)
    currency, currency_note = _currency(args.currency, guesses)
    if folder is not None and guesses:
        files, skipped = _map_files(folder, guesses, currency, args, ask)
        print(f"Currency: {currency} ({currency_note})")
        _preview(files, folder, currency, args.timezone)
    elif folder is not None:
        print(f"No exports in {folder}: only the tools named with --from are configured.")
    for vendor in chosen:
        print(f"  {vendor.name}: {vendor.title} ({vendor.type}); {vendor.where}")
    default_name = (folder or args.config.resolve().parent).resolve().name
    text = render(
        name=args.name or default_name.replace("-", " ").replace("_", " ").title(),
        currency=currency,
        currency_note=currency_note,
        timezone=args.timezone,
        folder=relative_folder(folder, args.config) if files and folder else None,
        config_name=str(args.config),
        files=files,
        skipped=skipped,
        vendors=chosen,
    )
    if not args.yes and ask(f"Write {args.config}? [Y/n] ").strip().lower() in ("n", "no"):
        print("nothing written")
        return 1
    args.config.write_text(text, encoding="utf-8")
    steps = [
        *next_steps(chosen, str(args.config)),
        *([f"busywork check-config -c {args.config}"] if chosen else []),
        f"busywork scan -c {args.config} --out report/",
    ]
    if len(steps) == 1:
        print(f"Wrote {args.config}. Next: {steps[0]}")
    else:
        print(f"Wrote {args.config}. Next:")
        for number, step in enumerate(steps, 1):
            print(f"  {number}. {step}")
    return 0


def _recognise(folder: Path, *, required: bool) -> list[Any]:
    """What each tabular file in ``folder`` holds; none is an error unless other sources exist."""
    from busywork.onboarding.recognise import recognise
    from connectors.csv_reading import TABULAR_SUFFIXES

    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in TABULAR_SUFFIXES)
    calendars = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in CALENDAR_SUFFIXES)
    if not paths and required:
        raise ConfigError(
            f"no .csv, .tsv or .txt files in {folder}"
            + (f"; {', '.join(calendars)}: {CALENDAR_FILE}" if calendars else "")
        )
    if paths:
        print(f"Looking at {len(paths)} file(s) in {folder}:")
    for name in calendars:
        print(f"  {name}: not used: {CALENDAR_FILE}")
    return [recognise(path) for path in paths]


def _map_files(
    folder: Path,
    guesses: list[Any],
    currency: str,
    args: argparse.Namespace,
    ask: Callable[[str], str],
) -> tuple[list[tuple[str, str, dict[str, Any]]], list[tuple[str, str]]]:
    """The (kind, comment, mapping) per mapped file and the (file, why) of those left out."""
    from busywork.onboarding.recognise import FileGuess

    chosen: dict[str, FileGuess] = {}
    for best in sorted(guesses, key=lambda g: -g.score):
        if best.kind and not best.problem and best.kind not in chosen:
            chosen[best.kind] = best
    files: list[tuple[str, str, dict[str, Any]]] = []
    skipped: list[tuple[str, str]] = []
    settled = _settled_format(guesses)
    for guess in guesses:
        name = guess.path.name
        if guess.problem or guess.kind is None:
            skipped.append((name, guess.problem))
            print(f"  {name}: not used: {guess.problem}")
            continue
        if chosen[guess.kind] is not guess:
            other = chosen[guess.kind].path.name
            skipped.append((name, f"{guess.kind} are read from {other} already"))
            print(f"  {name}: not used: {guess.kind} are read from {other} already")
            continue
        date_format, date_note = _date_format(guess, currency, args.yes, ask, settled)
        for kind, mapping in guess.mappings.items():
            if date_format:
                mapping["date_format"] = date_format
            comment = _describe(guess, kind, mapping, date_note)
            print(f"  {name}: {comment}")
            files.append((kind, f"{name}: {comment}", mapping))
    if not files:
        raise ConfigError(
            f"none of the files in {folder} could be recognised; see docs/csv-mapping.md to map"
            " them by hand"
        )
    return files, skipped


def _currency(given: str | None, guesses: list[Any]) -> tuple[str, str]:
    if given:
        return given.upper(), "given with --currency"
    seen: Counter[str] = Counter()
    sources: list[str] = []
    for guess in guesses:
        if guess.currencies:
            seen.update(guess.currencies)
            sources.append(guess.path.name)
    if not seen:
        raise ConfigError(
            "no currency column in any file, and money is never guessed:"
            " give the currency of your books with --currency (e.g. --currency GBP)"
        )
    code, count = seen.most_common(1)[0]
    note = f"inferred: {count:,} of {sum(seen.values()):,} rows in {', '.join(sources)}"
    if len(seen) > 1:
        note += f"; also seen: {', '.join(c for c, _ in seen.most_common()[1:4])}"
    return code, note


def _settled_format(guesses: list[Any]) -> str | None:
    """The one date format every file whose dates are not ambiguous agrees on, if any."""
    formats = {
        guess.dates.format
        for guess in guesses
        if guess.dates.sampled and not guess.dates.unknown and guess.dates.ambiguous is None
    }
    return formats.pop() if len(formats) == 1 else None


def _date_format(
    guess: Any, currency: str, yes: bool, ask: Callable[[str], str], settled: str | None
) -> tuple[str | None, str]:
    """A file's date format and what to say of it; ``settled``: the folder's other files'."""
    from busywork.onboarding.dates import likelier

    dates = guess.dates
    if not dates.sampled:
        return None, ""
    if dates.unknown:
        return None, "dates: no usual format fits; set date_format by hand"
    if dates.ambiguous is None:
        return dates.format, f"dates {dates.format or 'ISO 8601'}"
    day_first, month_first, example = dates.ambiguous
    if settled in (day_first, month_first):
        # One tool wrote the folder: its files that say which it is say it for this one.
        return settled, f"dates {settled}: ambiguous ({example}); as the other files'"
    if yes:
        chosen, why = likelier(dates, currency)
        return chosen, f"dates {chosen}: ambiguous ({example}); chose {why}"
    answer = (
        ask(f"{guess.path.name}: is {example} day/month (d) or month/day (m)? [d/m] ")
        .strip()
        .lower()
    )
    chosen = month_first if answer.startswith("m") else day_first
    return chosen, f"dates {chosen} (you said)"


def _describe(guess: Any, kind: str, mapping: dict[str, Any], date_note: str) -> str:
    parts = [kind.replace("_", " ")]
    if kind == "credit_notes":
        parts.append("read as invoices of type credit_note, amounts negative")
    group = mapping.get("group_by")
    if group:
        parts.append(f"one row per line, grouped by {_their(mapping, group['key'])}")
    if kind == "invoice_lines":
        parts.append(f"from the same file, by {_their(mapping, 'invoice_id')}")
    if guess.encoding_detected:
        parts.append(f"encoding {guess.encoding} detected")
    if date_note:
        parts.append(date_note)
    parts += guess.notes
    return "; ".join(parts)


def _their(mapping: dict[str, Any], ours: str) -> str:
    return next((t for t, o in mapping.get("columns", {}).items() if o == ours), ours)


def _preview(
    files: list[tuple[str, str, dict[str, Any]]], folder: Path, currency: str, timezone: str
) -> None:
    """Read each mapped file as a scan would and show its first parsed rows."""
    import pandas as pd

    # Imported when the preview runs, as a command's heavy modules are (so is the rest here).
    from busywork.store.frames import column_specs
    from connectors.base import ConnectorContext
    from connectors.csv_export import FILE_STEMS, implied_rules
    from connectors.csv_import import read_export
    from connectors.csv_mapping import FileMapping

    context = ConnectorContext(business="preview", timezone=timezone, currency=currency)
    for kind, _, mapping in files:
        model = FileMapping.model_validate(mapping)
        model = model.model_copy(update=implied_rules(kind, model))
        path = folder / str(mapping["file"])
        specs = column_specs(FILE_STEMS[kind])
        batch, _, outcome = read_export(path, FILE_STEMS[kind], kind, model, context, specs=specs)
        print(f"\n{outcome.summary()}")
        if batch is None or batch.frame.empty:
            continue
        frame = batch.frame.head(PREVIEW_ROWS).copy()
        for column in frame.columns:
            if str(frame[column].dtype) == "datetime64[ns]":  # dates: no midnight clutter
                frame[column] = frame[column].dt.strftime("%Y-%m-%d")
        frame = frame.astype(object)
        frame = frame.where(frame.notna(), "")
        shown = [c for c in frame.columns if (frame[c] != "").any() and c != "origin"][:7]
        with pd.option_context("display.width", 120, "display.max_colwidth", 22):
            sys.stdout.write(frame[shown].to_string(index=False) + "\n")
