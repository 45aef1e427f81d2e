"""Speed work must not change what is found: the recommendations of nine evaluation seeds,
one per mess profile, pinned to the byte.

Each seed's recommendations (every field, evidence ids included) are hashed as sorted JSON;
the list of ``kind subject`` lines beside the digest shows what moved when one changes. A
change that is meant to alter findings regenerates the file and says why in its commit:

    BUSYWORK_UPDATE_GOLDEN=1 pytest tests/test_findings_golden.py -n 0
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from busywork.evalkit.scanning import scan
from busywork.evaluate import make_business

GOLDEN = Path(__file__).parent / "data" / "golden_findings.json"
SEEDS = range(1, 10)


def pinned(seed: int) -> dict[str, Any]:
    """What the scan of ``seed`` recommends, as the golden file keeps it."""
    document = scan(make_business(seed), seed=seed)
    recommendations = document["recommendations"]
    text = json.dumps(recommendations, sort_keys=True, default=str)
    return {
        "findings": [
            f"{item['kind']} {item['subject'].get('id') or item['subject'].get('name')}"
            for item in recommendations
        ],
        "digest": hashlib.sha256(text.encode()).hexdigest()[:16],
    }


@pytest.mark.parametrize("seed", SEEDS)
def test_recommendations_are_byte_identical_to_the_pinned_ones(seed: int) -> None:
    if os.environ.get("BUSYWORK_UPDATE_GOLDEN"):
        golden = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
        golden[str(seed)] = pinned(seed)
        GOLDEN.write_text(
            json.dumps(dict(sorted(golden.items(), key=lambda kv: int(kv[0]))), indent=1)
        )
        pytest.skip("golden file rewritten")
    expected = json.loads(GOLDEN.read_text())[str(seed)]
    assert pinned(seed) == expected
