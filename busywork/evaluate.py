"""Measured detection quality: generate businesses, run the whole pipeline, score against truth."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from busywork.evalkit.api_route import known_aliases
from busywork.evalkit.calibration import Calibration, Forecast, calibrate, format_calibration
from busywork.evalkit.scanning import scan_twice
from busywork.synth import GeneratorSettings, SyntheticBusiness, generate
from busywork.synth.mess import PROFILES, apply_profiles
from busywork.synth.mess_rows import ANY

Key = tuple[str, str | None]
#: How ``--profiles cycle`` (the default) picks: seed ``n`` gets ``CYCLE[n % len(CYCLE)]``;
#: every seventh-or-so seed stays clean so the clean baseline is still measured.
CYCLE: tuple[tuple[str, ...], ...] = ((), *((name,) for name in PROFILES))


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


def profiles_for(seed: int, choice: Sequence[str] | None) -> tuple[str, ...]:
    """The mess profiles for ``seed``: ``choice`` for every seed, or the cycle when None."""
    if choice is None:
        return CYCLE[seed % len(CYCLE)]
    return tuple(choice)


def make_business(
    seed: int, scale: float | None = None, profiles: Sequence[str] = ()
) -> SyntheticBusiness:
    """The generated business of ``seed`` with ``profiles`` laid over it."""
    business = generate(settings_for(seed, scale=scale))
    if not profiles:
        return business
    messed = apply_profiles(business.frames, business.truth, tuple(profiles), seed=seed)
    return SyntheticBusiness(frames=messed.frames, truth=messed.truth)


@dataclass(frozen=True)
class SeedResult:
    """What one generated business planted and what the pipeline reported."""

    seed: int
    planted: frozenset[Key]
    decoys: frozenset[Key]
    found: frozenset[Key]
    records: int
    #: Stated confidence of each reported finding.
    confidences: tuple[tuple[Key, float], ...] = ()
    profiles: tuple[str, ...] = ()
    #: Kinds the truth says this data cannot support.
    uncheckable: frozenset[str] = frozenset()
    #: Kinds the report says it could not check (from its ``coverage``, when it has one).
    unchecked: frozenset[str] = frozenset()
    #: Whether every detector run again, through the snapshots the scan stored, recommended
    #: exactly the same (None: not run again).
    same_again: bool | None = None


def run_seed(
    seed: int,
    scale: float | None = None,
    profiles: Sequence[str] = (),
    route: str = "csv",
) -> SeedResult:
    """Generate one business, import it (CSV files or fake vendor APIs), detect, collect."""
    business = make_business(seed, scale, profiles)
    scanned = scan_twice(business, seed=seed, route=route)
    document = scanned.document
    aliases = _aliases([*business.truth["planted"], *business.truth["decoys"]])
    if route == "api":
        # Vendors know a subject by their own id; the route knows which subject that is.
        aliases = {**known_aliases(business), **aliases}
    recommendations = document["recommendations"]
    truth = _keys(business.truth["planted"]) | _keys(business.truth["decoys"])
    found = [
        _truth_key(item, aliases.get(_subject(item), _subject(item)), truth)
        for item in recommendations
    ]
    return SeedResult(
        seed=seed,
        planted=_keys(business.truth["planted"]),
        decoys=_keys(business.truth["decoys"]),
        found=frozenset(found),
        records=sum(business.truth["counts"].values()),
        confidences=tuple(
            (key, float(item.get("confidence") or 0.0))
            for key, item in zip(found, recommendations, strict=True)
        ),
        profiles=tuple(profiles),
        uncheckable=frozenset(item["kind"] for item in business.truth.get("uncheckable", [])),
        unchecked=unchecked_kinds(document),
        same_again=scanned.again is not None
        and scanned.again["recommendations"] == recommendations,
    )


def unchecked_kinds(document: dict[str, Any]) -> frozenset[str]:
    """Kinds whose ``coverage`` entry says they were not checked.

    Accepts ``{"kind": {"checked": false, ...}}``, ``{"kind": false}`` or a list of entries
    naming their ``kind`` (or ``detector``); a report without coverage says nothing.
    """
    # The contract says what was not checked in ``not_checked`` (one entry per kind) and per
    # detector under ``detectors.<kind>.coverage``; older documents had a ``coverage`` key.
    listed = frozenset(
        str(entry.get("kind"))
        for entry in document.get("not_checked") or []
        if isinstance(entry, dict) and entry.get("kind")
    )
    coverage = document.get("coverage")
    if listed:
        return listed
    if isinstance(coverage, dict):
        entries = [{"kind": kind, **_entry(value)} for kind, value in coverage.items()]
    elif isinstance(coverage, list):
        entries = [entry for entry in coverage if isinstance(entry, dict)]
    else:
        return frozenset()
    return frozenset(
        str(entry.get("kind") or entry.get("detector"))
        for entry in entries
        if entry.get("checked") is False
    )


def _entry(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    return {"checked": value} if isinstance(value, bool) else {}


def _subject(item: dict[str, Any]) -> str | None:
    ident = item["subject"]["id"]
    return None if ident in (None, "") else str(ident)


def _aliases(items: Iterable[dict[str, Any]]) -> dict[str | None, str | None]:
    """Alternative subject id -> the id the truth uses."""
    return {
        alias: item["subject"]["id"]
        for item in items
        for alias in item["subject"].get("aliases", [])
    }


def _keys(items: Iterable[dict[str, Any]]) -> frozenset[Key]:
    return frozenset((item["kind"], _subject(item)) for item in items)


def is_decoy(key: Key, decoys: frozenset[Key]) -> bool:
    """A reported ``key`` is a decoy if listed, or if its whole kind is (subject ``*``)."""
    return key in decoys or (key[0], ANY) in decoys


def _truth_key(item: dict[str, Any], subject: str | None, truth: frozenset[Key]) -> Key:
    """The key of one reported item, by an alternative id of its subject when only that is known."""
    key = (item["kind"], subject)
    if key in truth:
        return key
    alternatives = item.get("subject", {}).get("alt_ids") or ()
    values = (str(alt).split(":", 1)[-1] for alt in alternatives)
    return next((k for k in ((item["kind"], v) for v in values) if k in truth), key)


def found_keys(items: Iterable[dict[str, Any]], truth: frozenset[Key]) -> frozenset[Key]:
    """Keys of reported items; one the truth knows by an alternative id is keyed by that.

    A journal finding is filed under its debit account when the source names it, while the
    truth names the journal by its accounts (``accounts:depreciation|fixed assets``); a
    customer resolved across sources may be known to the truth by its other source's id.
    """
    return frozenset(_truth_key(item, item["subject"]["id"], truth) for item in items)


@dataclass
class KindScore:
    """Counts for one kind over every seed."""

    kind: str
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    #: Decoys the truth lists for this kind (things that must not be reported).
    must_not: int = 0
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
                if key in result.decoys:
                    target.must_not += 1
                if key in result.planted and key in result.found:
                    target.true_positives += 1
                elif key in result.found:
                    target.false_positives += 1
                    target.extras.append(where)
                elif key in result.planted:
                    target.false_negatives += 1
                    target.misses.append(where)
                if key in result.found and is_decoy(key, result.decoys):
                    target.decoys_reported += 1
    return [kinds[kind] for kind in sorted(kinds)] + [overall]


def calibration(results: Sequence[SeedResult]) -> Calibration:
    """Every reported finding as a forecast, right when the truth planted it."""
    return calibrate(
        Forecast(confidence, key in result.planted)
        for result in results
        for key, confidence in result.confidences
    )


def evaluate(
    seeds: Sequence[int],
    *,
    jobs: int | None = None,
    scale: float | None = None,
    profiles: Sequence[str] | None = (),
    route: str = "csv",
) -> list[SeedResult]:
    """Run every seed, in ``jobs`` processes (default: one per CPU).

    ``profiles`` lays the same mess profiles over every seed; ``None`` cycles through them
    (see :data:`CYCLE`).
    """
    workers = max(1, jobs or os.cpu_count() or 1)
    chosen = [profiles_for(seed, profiles) for seed in seeds]
    count = len(seeds)
    if workers == 1 or count == 1:
        return [run_seed(s, scale, p, route) for s, p in zip(seeds, chosen, strict=True)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run_seed, seeds, [scale] * count, chosen, [route] * count))


def format_table(scores: Sequence[KindScore], results: Sequence[SeedResult]) -> str:
    """The per-kind table as aligned plain text (also valid Markdown)."""
    profiles = sorted({name for r in results for name in r.profiles})
    lines = [
        f"Seeds: {len(results)}, records: {sum(r.records for r in results):,}, "
        f"profiles: {', '.join(profiles) or 'none'}",
        "",
        "| kind | planted | found | not planted | missed | must not report | decoys reported "
        "| precision | recall | F1 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in scores:
        planted = row.true_positives + row.false_negatives
        lines.append(
            f"| {row.kind} | {planted} | {row.true_positives} | {row.false_positives} | "
            f"{row.false_negatives} | {row.must_not} | {row.decoys_reported} | "
            f"{row.precision:.3f} | {row.recall:.3f} | {row.f1:.3f} |"
        )
    overall = scores[-1]
    if overall.misses or overall.extras:
        lines.append("")
    for row in scores[:-1]:
        for where in row.misses:
            lines.append(f"missed {row.kind} ({where})")
        for where in row.extras:
            lines.append(f"not planted {row.kind} ({where})")
    should = sum(len(r.uncheckable) for r in results)
    said = sum(len(r.uncheckable & r.unchecked) for r in results)
    coverage = (
        f"Not checkable on the data (per truth): {should} detector runs; "
        f"reported as not checked: {said}"
    )
    return "\n".join(
        [*lines, "", coverage, *_again(results), "", format_calibration(calibration(results))]
    )


def _again(results: Sequence[SeedResult]) -> list[str]:
    """The line on detecting again through the stored snapshots, if the seeds were."""
    checked = [r for r in results if r.same_again is not None]
    if not checked:
        return []
    differ = [str(r.seed) for r in checked if not r.same_again]
    line = (
        f"Detected again through the stored snapshots: the same recommendations on "
        f"{len(checked) - len(differ)} of {len(checked)} seeds"
    )
    return ["", line + (f"; different on seeds {', '.join(differ)}" if differ else "")]


def again_differs(results: Sequence[SeedResult]) -> list[int]:
    """The seeds whose second detection recommended something else than the first."""
    return [r.seed for r in results if r.same_again is False]
