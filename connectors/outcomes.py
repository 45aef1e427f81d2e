"""What became of each input file in a sync: read, kept, rejected and why, or not used at all.

The command line prints one :meth:`FileOutcome.summary` per file after a scan, so an owner
sees at a glance that ``Invoices.csv`` was ignored or that a Latin-1 file needs its
encoding set, instead of a clean-looking "nothing found".
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field

#: How many distinct rejection reasons a summary line names.
TOP_REASONS = 3


class FileStatus(enum.StrEnum):
    """How a file fared."""

    READ = "read"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    NOT_USED = "not used"


@dataclass(frozen=True)
class Rejection:
    """One rejected row: its line in the file, the column at fault, and why."""

    line: int
    column: str
    message: str


@dataclass(frozen=True)
class FileOutcome:
    """The outcome of one file for one record kind."""

    file: str
    kind: str
    status: FileStatus
    read: int = 0
    kept: int = 0
    rejections: tuple[Rejection, ...] = ()
    #: Why the whole file failed (with ``hint``: what to change).
    error: str = ""
    hint: str = ""
    #: What was assumed on the user's behalf (a detected encoding, a filled currency).
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def failed(self) -> bool:
        """True when nothing of a non-empty file could be used."""
        return self.status is FileStatus.FAILED or (
            self.status is FileStatus.READ and self.read > 0 and self.kept == 0
        )

    def summary(self) -> str:
        """One line: ``invoices.csv (invoices): 120 read, 118 kept, 2 rejected: …``."""
        name = self.file if not self.kind else f"{self.file} ({self.kind})"
        if self.status is FileStatus.NOT_USED:
            return f"{self.file}: not used: {self.error or 'file name not recognised'}" + (
                "" if self.error else " (map it under files:, or run `busywork init`)"
            )
        if self.status is FileStatus.UNCHANGED:
            return f"{name}: unchanged since the last scan"
        if self.status is FileStatus.FAILED:
            hint = f"; {self.hint}" if self.hint else ""
            return f"{name}: failed: {self.error}{hint}"
        text = f"{name}: {self.read:,} read, {self.kept:,} kept"
        rejected = self.read - self.kept
        if rejected:
            text += f", {rejected:,} rejected: {top_reasons(self.rejections)}"
        if self.notes:
            text += f" ({'; '.join(self.notes)})"
        return text


def top_reasons(rejections: tuple[Rejection, ...], limit: int = TOP_REASONS) -> str:
    """The commonest reasons, each with its count and the first row and column it hit."""
    counts = Counter((r.column, _reason(r.message)) for r in rejections)
    first: dict[tuple[str, str], Rejection] = {}
    for rejection in rejections:
        first.setdefault((rejection.column, _reason(rejection.message)), rejection)
    parts = []
    for key, count in counts.most_common(limit):
        example = first[key]
        where = f"line {example.line}" + (f" {example.column}" if example.column else "")
        times = f"{count:,}x " if count > 1 else ""
        parts.append(f"{times}{where}: {example.message}")
    more = len(counts) - limit
    return "; ".join(parts) + (f"; and {more} other reason(s)" if more > 0 else "")


def _reason(message: str) -> str:
    """The message without the offending value, so the same fault groups together."""
    return message.split(": ", 1)[0].split(" '", 1)[0]
