"""Benchmark: entity resolution of 100k customer names (TF-IDF + nearest neighbours).

Usage: python bench/entities.py [--names 100000] [--seed 0]

Builds ``--names`` distinct company names (customers of one source, with ids) from a
syllable vocabulary, adds 1% typo'd spellings on id-less rows (invoice lines of a CSV export:
one letter after the fourth dropped) and 1% copies in a second source with a legal suffix
("Ltd"), resolves them all, and prints the wall time and how many of the planted duplicates
were joined, and how many rows were joined that were not planted (on this vocabulary of
made-up words, names one letter apart are common: an upper bound on false joins). Figures
are printed, not asserted.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from detectors._entities import resolve

SYLLABLES = ("an", "be", "car", "do", "el", "fa", "gi", "ho", "in", "ju", "ka", "lo",
             "ma", "ne", "or", "pa", "qu", "ri", "sa", "te", "ul", "vi", "wa", "xe",
             "yo", "zu")  # fmt: skip
TRADES = ("dental", "plumbing", "cafe", "bakery", "studio", "consulting", "garden", "motors",
          "clinic", "salon", "")  # fmt: skip


def names(count: int, rng: np.random.Generator) -> list[str]:
    """``count`` distinct names like "Kalo Ribe Dental"."""
    words = ["".join(rng.choice(SYLLABLES, size=rng.integers(2, 4))) for _ in range(4000)]
    made: set[str] = set()
    while len(made) < count:
        first, last, trade = rng.choice(words), rng.choice(words), rng.choice(TRADES)
        made.add(f"{first} {last} {trade}".strip().title())
    return sorted(made)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--names", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    base = names(args.names, rng)
    planted = max(1, args.names // 100)
    typos = [name[:4] + name[5:] for name in base[:planted]]
    copies = [f"{name} Ltd" for name in base[planted : 2 * planted]]
    parties = pd.DataFrame(
        {
            "source": ["quickbooks"] * len(base) + ["csv"] * planted + ["stripe"] * planted,
            "id": [str(n) for n in range(len(base))]
            + [None] * planted
            + [f"cus_{n}" for n in range(planted)],
            "name": base + typos + copies,
            "email": None,
        }
    )
    start = time.perf_counter()
    result = resolve(parties)
    elapsed = time.perf_counter() - start
    entity = result.entity
    n = len(base)
    typo_hits = int((entity[:planted] == entity[n : n + planted]).sum())
    copy_hits = int((entity[planted : 2 * planted] == entity[n + planted :]).sum())
    merged = len(parties) - len(np.unique(entity))
    print(f"rows {len(parties):,}  resolve {elapsed:.1f} s  links {len(result.links):,}")
    print(f"typo'd duplicates joined {typo_hits}/{planted}, suffixed copies {copy_hits}/{planted}")
    print(f"rows merged into another entity: {merged:,} (planted {2 * planted:,})")


if __name__ == "__main__":
    main()
