"""Reading one exported CSV file: its encoding, its delimiter, and rows with their line numbers.

Exports from small-business tools are rarely tidy: Windows tools write Latin-1 or cp1252,
European ones separate with ``;``, and one row with an extra field is common. Each file is
decoded on its own (an explicit ``encoding`` wins, else UTF-8, else what
``charset-normalizer`` detects), and a row whose field count is wrong is rejected with its
line number while the rest of the file is kept.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path

import numpy as np
import pandas as pd
from charset_normalizer import from_bytes

#: File endings looked at when listing what a folder holds.
TABULAR_SUFFIXES = (".csv", ".tsv", ".txt")
#: Delimiters tried when none is configured, most common first.
DELIMITERS = ",;\t|"
#: How much of a file the encoding and delimiter guesses look at (bytes).
SAMPLE_BYTES = 256 * 1024


class UnreadableFileError(ValueError):
    """The file cannot be decoded or parsed at all; ``hint`` says what to set."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True)
class RawTable:
    """A file's cells as text, the physical line of each row, and rows rejected on reading."""

    frame: pd.DataFrame
    #: 1-based line in the file where each row of ``frame`` starts.
    lines: tuple[int, ...]
    encoding: str
    delimiter: str
    #: Whether ``encoding`` was detected rather than configured.
    detected: bool
    #: ``(line, message)`` per row that could not be split into the header's columns.
    rejected: tuple[tuple[int, str], ...] = field(default_factory=tuple)


def detect_encoding(data: bytes) -> tuple[str, bool]:
    """The encoding of ``data`` and whether it had to be guessed (anything but UTF-8)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return _guessed_encoding(data), True
    return "utf-8-sig", False


def _guessed_encoding(data: bytes) -> str:
    """The encoding of ``data``, which is not UTF-8, as charset detection tells it."""
    matches = from_bytes(data[:SAMPLE_BYTES])
    if not matches:
        raise UnreadableFileError("cannot tell which text encoding the file uses")
    plausible = {name for match in list(matches)[:2] for name in match.could_be_from_charset}
    # Western single-byte exports are cp1252 in practice (Latin-1 is its subset but for
    # 0x80-0x9F: curly quotes, the euro sign). On a short file several code pages fit
    # equally well; when cp1252 is among them, it is the likely one.
    if plausible & {"cp1252", "latin_1", "iso8859_15"}:
        return "cp1252"
    best = matches.best()
    assert best is not None  # matches is not empty
    return best.encoding


def sniff_delimiter(text: str) -> str:
    """The delimiter of the header line: the candidate it contains most often."""
    header = text.split("\n", 1)[0]
    counts = {candidate: header.count(candidate) for candidate in DELIMITERS}
    best = max(counts, key=lambda candidate: counts[candidate])
    return best if counts[best] else ","


def decode(data: bytes, encoding: str | None) -> tuple[str, str, bool]:
    """``data`` as text, the encoding used and whether it was detected.

    Raises:
        UnreadableFileError: the configured encoding does not fit; the hint names one that does.
    """
    if encoding is None:
        try:  # UTF-8 (detect_encoding's first answer), decoded once, not tested then decoded
            return data.decode("utf-8-sig"), "utf-8-sig", False
        except UnicodeDecodeError:
            encoding, detected = _guessed_encoding(data), True
    else:
        detected = False
    try:
        return data.decode(encoding), encoding, detected
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        try:
            better, _ = detect_encoding(data)
        except UnreadableFileError:
            better = "latin-1"
        hint = f"set `encoding: {_friendly(better)}` for this file"
        raise UnreadableFileError(f"line {line} is not valid {encoding} text", hint) from None
    except LookupError:
        raise UnreadableFileError(
            f"unknown encoding {encoding!r}", "use e.g. utf-8, cp1252 or latin-1"
        ) from None


def read_table(
    path: Path, *, encoding: str | None, delimiter: str | None, skip_rows: int = 0
) -> RawTable:
    """Every row of ``path`` as text cells under the header's names.

    Short rows are padded with blanks (a trailing empty cell is often left out); a row with
    more fields than the header is rejected unless the extra cells are blank.

    Raises:
        UnreadableFileError: the file is empty, cannot be decoded, or is not CSV at all.
    """
    text, used, detected = decode(path.read_bytes(), encoding)
    text = text.removeprefix("\ufeff")
    skipped = 0
    while skipped < skip_rows and "\n" in text:
        text = text.split("\n", 1)[1]
        skipped += 1
    if not text.strip():
        raise UnreadableFileError("the file is empty", "export it again with a header row")
    delimiter = delimiter or sniff_delimiter(text)
    grid = _plain_grid(text, delimiter)
    if grid is not None:
        first = 2 + skipped
        frame = pd.DataFrame(grid[1:], dtype=object, copy=False)  # the grid is ours alone
        frame.columns = _unique([str(name).strip() for name in grid[0]])
        lines = tuple(range(first, first + len(frame)))
        return RawTable(frame, lines, used, delimiter, detected)
    rows, starts = _parse(text, delimiter, skipped)
    header = [name.strip() for name in rows[0]]
    frame, lines, rejected = _fit_to_header(rows[1:], starts[1:], len(header))
    frame.columns = _unique(header)
    return RawTable(frame, lines, used, delimiter, detected, rejected)


def _plain_grid(text: str, delimiter: str) -> np.ndarray | None:
    r"""The cells of a plain file, header first, as one array of rows; None for any other file.

    Plain: no quotes (so a delimiter or line break is never part of a cell), no NUL, lines
    ending in ``\n`` or ``\r\n``, and every line as wide as the header (so no blank, short
    or long rows). Then CSV cells are simply the text cut at line ends and delimiters, and
    cutting it whole costs a fraction of parsing it row by row.
    """
    if '"' in text or "\x00" in text:
        return None
    body = text.replace("\r\n", "\n") if "\r" in text else text
    if "\r" in body:
        return None
    lines = body.split("\n")
    ended = lines[-1] == ""  # the last line ends in a line break (no copy of the text cut off)
    if ended:
        lines.pop()
    width = lines[0].count(delimiter) + 1
    counts = np.fromiter(map(str.count, lines, repeat(delimiter)), np.int64, len(lines))
    if width < 2 or (counts != width - 1).any():
        return None
    if max(map(len, lines)) >= csv.field_size_limit():  # csv would refuse such a cell
        return None
    cells = body.replace("\n", delimiter).split(delimiter)
    if ended:
        cells.pop()  # the empty cell after the last line break
    return np.array(cells, dtype=object).reshape(len(lines), width)


def _parse(text: str, delimiter: str, skipped: int) -> tuple[list[list[str]], np.ndarray]:
    """Every row (blank ones too) and the 1-based line of the file where each starts.

    The usual file has one row per line, which the parse itself shows (as many lines read as
    rows); only a file with cells spanning lines is read again, row by row, for the lines.

    Raises:
        UnreadableFileError: the text is not CSV.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = list(reader)
        if reader.line_num == len(rows):
            return rows, np.arange(1 + skipped, len(rows) + 1 + skipped, dtype=np.int64)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        starts = []
        start = 1
        for _ in reader:
            starts.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise UnreadableFileError(
            f"line {reader.line_num + skipped}: not CSV: {exc}", "check the delimiter and quoting"
        ) from None
    return rows, np.asarray(starts, dtype=np.int64) + skipped


def _fit_to_header(
    rows: list[list[str]], starts: np.ndarray, width: int
) -> tuple[pd.DataFrame, tuple[int, ...], tuple[tuple[int, str], ...]]:
    """The rows as a frame of ``width`` text columns, with their lines and those rejected.

    Blank rows are dropped; short rows are padded with blanks; a longer row is cut to the
    header when its extra cells are blank and rejected otherwise. Only the rows of another
    width are looked at one by one.
    """
    widths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    # Under a header of one column (or none) a blank row has the header's width.
    odd = np.flatnonzero(widths != width) if width > 1 else np.arange(len(rows))
    if not len(odd):
        frame = pd.DataFrame(rows, dtype=object) if rows else _empty(width)
        return frame, tuple(starts.tolist()), ()
    kept = np.ones(len(rows), dtype=bool)
    rejected: list[tuple[int, str]] = []
    fitted = list(rows)
    for i in odd.tolist():
        row = rows[i]
        if not row or (len(row) == 1 and not row[0].strip()):
            kept[i] = False
        elif len(row) > width and any(cell.strip() for cell in row[width:]):
            kept[i] = False
            rejected.append(
                (int(starts[i]), f"{len(row)} fields but the header has {width}; row skipped")
            )
        else:
            fitted[i] = row[:width] + [""] * (width - len(row))
    chosen = [row for row, keep in zip(fitted, kept.tolist(), strict=True) if keep]
    frame = pd.DataFrame(chosen, dtype=object) if chosen else _empty(width)
    return frame, tuple(starts[kept].tolist()), tuple(rejected)


def _empty(width: int) -> pd.DataFrame:
    return pd.DataFrame({i: pd.Series([], dtype=object) for i in range(width)})


def find_header(text: str) -> tuple[int, str]:
    """How many title lines sit above the header, and the delimiter (report-style exports).

    The header is the first line with as many fields as most of the lines below it.
    """
    lines = text.removeprefix("\ufeff").splitlines()[:40]
    delimiter = max(DELIMITERS, key=lambda d: sum(line.count(d) for line in lines))
    widths = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
    wide = [width for width in widths if width > 1]
    if not wide:
        return 0, delimiter
    usual = max(set(wide), key=wide.count)
    return next((i for i, width in enumerate(widths) if width == usual), 0), delimiter


def _unique(header: list[str]) -> list[str]:
    """Header names made unique (``Amount``, ``Amount.1``) as pandas would."""
    seen: dict[str, int] = {}
    names = []
    for name in header:
        count = seen.get(name, 0)
        names.append(name if count == 0 else f"{name}.{count}")
        seen[name] = count + 1
    return names


def _friendly(encoding: str) -> str:
    return {"cp1252": "latin-1", "utf-8-sig": "utf-8"}.get(encoding, encoding)
