"""The documentation builds, the README stays short, and its links lead somewhere."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
LINK = re.compile(r"\]\(([^)#\s]+)(#[^)\s]*)?\)")


def test_the_readme_fits_in_300_lines() -> None:
    assert len(README.read_text(encoding="utf-8").splitlines()) < 300


def test_every_local_link_in_the_readme_exists() -> None:
    targets = [m.group(1) for m in LINK.finditer(README.read_text(encoding="utf-8"))]
    local = [target for target in targets if "://" not in target]
    assert local, "the README links to the documentation"
    missing = [target for target in local if not (ROOT / target).exists()]
    assert missing == []


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    if shutil.which("mkdocs") is None and not (Path(sys.executable).parent / "mkdocs").exists():
        pytest.skip("mkdocs is not installed (pip install -e '.[dev]')")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "site" / "index.html").exists()
    assert (tmp_path / "site" / "detectors" / "index.html").exists()
