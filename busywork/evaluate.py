"""Measured detection quality: generate businesses, run the whole pipeline, score against truth."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from busywork.synth import GeneratorSettings, generate
from config.loader import parse_config
from worker import Worker

Key = tuple[str, str | None]

CONFIG = """\
business: {{id: eval{seed}, name: "{name}", timezone: Europe/London, currency: GBP}}
storage: {{url: "sqlite:///store.db"}}
connectors:
  - {{name: exports, type: csv, path: data}}
goals:
  - {{id: time, name: Less admin, objective: owner_time, weight: 1}}
"""


def parse_seeds(text: str) -> list[int]:
    """Seeds from ``"1-50"``, ``"3"`` or ``"1-5,8,10-12"``, in order, without repeats.

    Raises:
        ValueError: a part is not a number or a range of non-negative numbers.
    """
    seeds: list[int] = []
    for part in text.split(","):
        first, dash, last = part.strip().partition("-")
        try:
            low, high = int(first), int(last) if dash else int(first)
        except ValueError:
            raise ValueError(
                f"seeds: {part.strip()!r} is not a number or a range like 1-50"
            ) from None
        if low < 0 or high < low:
            raise ValueError(f"seeds: {part.strip()!r} is not a range of seeds >= 0")
        seeds += [seed for seed in range(low, high + 1) if seed not in seeds]
    return seeds


def settings_for(seed: int, *, scale: float | None = None) -> GeneratorSettings:
    """Vary size and length by seed: 12-18 months, 20-40 customers, scale 0.1-0.35."""
    return GeneratorSettings(
        seed=seed,
        months=12 + seed % 7,
        customers=20 + (seed * 13) % 21,
        scale=scale if scale is not None else 0.1 + 0.05 * (seed % 6),
    )


@dataclass(frozen=True)
class SeedResult:
    """What one generated business planted and what the pipeline reported."""

    seed: int
    planted: frozenset[Key]
    decoys: frozenset[Key]
    found: frozenset[Key]
    records: int


def run_seed(seed: int, scale: float | None = None) -> SeedResult:
    """Generate one business, import its CSV files, detect, and collect the findings."""
    business = generate(settings_for(seed, scale=scale))
    with tempfile.TemporaryDirectory(prefix="busywork-eval-") as tmp:
        folder = Path(tmp)
        business.write(folder / "data")
        config = parse_config(
            CONFIG.format(seed=seed, name=business.truth["business"]["name"]), base_dir=folder
        )
        end = datetime.fromisoformat(business.truth["end"]).date()
        worker = Worker([config], as_of=datetime.combine(end, time(23, 59), tzinfo=UTC))
        try:
            [result] = worker.run_once()
        finally:
            worker.engine.dispose()
    document = result.document or {"recommendations": []}
    planted, decoys = _keys(business.truth["planted"]), _keys(business.truth["decoys"])
    return SeedResult(
        seed=seed,
        planted=planted,
        decoys=decoys,
        found=found_keys(document["recommendations"], planted | decoys),
        records=sum(business.truth["counts"].values()),
    )


def _keys(items: Iterable[dict[str, Any]]) -> frozenset[Key]:
    return frozenset((item["kind"], item["subject"]["id"]) for item in items)


def found_keys(items: Iterable[dict[str, Any]], truth: frozenset[Key]) -> frozenset[Key]:
    """Keys of reported items; one the truth knows by an alternative id is keyed by that.

    A journal finding is filed under its debit account when the source names it, while the
    truth names the journal by its accounts (``accounts:depreciation|fixed assets``); a
    customer resolved across sources may be known to the truth by its other source's id.
    """
    keys = set()
    for item in items:
        subject = item["subject"]
        key = (item["kind"], subject["id"])
        if key not in truth:
            values = (str(alt).split(":", 1)[-1] for alt in subject.get("alt_ids") or ())
            key = next((k for k in ((item["kind"], v) for v in values) if k in truth), key)
        keys.add(key)
    return frozenset(keys)


@dataclass
class KindScore:
    """Counts for one kind over every seed."""

    kind: str
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    decoys_reported: int = 0
    misses: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        """Reported findings that were planted (1 when nothing was reported)."""
        reported = self.true_positives + self.false_positives
        return self.true_positives / reported if reported else 1.0

    @property
    def recall(self) -> float:
        """Planted opportunities that were reported (1 when nothing was planted)."""
        planted = self.true_positives + self.false_negatives
        return self.true_positives / planted if planted else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def score(results: Sequence[SeedResult]) -> list[KindScore]:
    """Per-kind scores, sorted by kind, and an ``overall`` row last.

    A finding that was not planted counts against precision whether or not it is listed as
    a decoy; decoys reported are also counted on their own.
    """
    kinds: dict[str, KindScore] = {}
    overall = KindScore("overall")
    for result in results:
        for kind, subject in result.planted | result.found | result.decoys:
            row = kinds.setdefault(kind, KindScore(kind))
            key = (kind, subject)
            where = f"seed {result.seed}: {subject}"
            for target in (row, overall):
                if key in result.planted and key in result.found:
                    target.true_positives += 1
                elif key in result.found:
                    target.false_positives += 1
                    target.extras.append(where)
                elif key in result.planted:
                    target.false_negatives += 1
                    target.misses.append(where)
                if key in result.found and key in result.decoys:
                    target.decoys_reported += 1
    return [kinds[kind] for kind in sorted(kinds)] + [overall]


def evaluate(
    seeds: Sequence[int], *, jobs: int | None = None, scale: float | None = None
) -> list[SeedResult]:
    """Run every seed, in ``jobs`` processes (default: one per CPU)."""
    workers = max(1, jobs or os.cpu_count() or 1)
    if workers == 1 or len(seeds) == 1:
        return [run_seed(seed, scale) for seed in seeds]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run_seed, seeds, [scale] * len(seeds)))


def format_table(scores: Sequence[KindScore], results: Sequence[SeedResult]) -> str:
    """The per-kind table as aligned plain text (also valid Markdown)."""
    lines = [
        f"Seeds: {len(results)}, records: {sum(r.records for r in results):,}",
        "",
        "| kind | planted | found | not planted | missed | decoys | precision | recall | F1 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in scores:
        planted = row.true_positives + row.false_negatives
        lines.append(
            f"| {row.kind} | {planted} | {row.true_positives} | {row.false_positives} | "
            f"{row.false_negatives} | {row.decoys_reported} | {row.precision:.3f} | "
            f"{row.recall:.3f} | {row.f1:.3f} |"
        )
    overall = scores[-1]
    if overall.misses or overall.extras:
        lines.append("")
    for row in scores[:-1]:
        for where in row.misses:
            lines.append(f"missed {row.kind} ({where})")
        for where in row.extras:
            lines.append(f"not planted {row.kind} ({where})")
    return "\n".join(lines)
