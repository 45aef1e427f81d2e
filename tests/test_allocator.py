"""The allocator's mmap threshold is fixed on glibc, freed heap pages go back when asked,
and both are left alone elsewhere."""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

import pytest

from busywork.allocator import release_free_pages, return_large_blocks

ON_GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


#: Run in a fresh interpreter: a test process's heap has holes of its own, which the blocks
#: below would fill, so how much a release gives back would depend on the tests before.
_FREE_THEN_RELEASE = """
import numpy as np
from busywork.allocator import release_free_pages, return_large_blocks

def resident_kib():
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("RssAnon:"))

return_large_blocks()
# 64 MiB in blocks below the threshold (from the heap), then one more block after them:
# once the first ones are freed, the heap cannot shrink from its top.
blocks = [np.ones(1 << 17) for _ in range(64)]
pinned = np.ones(1 << 15)
del blocks
freed = resident_kib()
released = release_free_pages()
print(released, freed - resident_kib(), int(pinned.sum()))
"""


def test_glibc_takes_the_threshold_and_others_are_left_alone() -> None:
    assert return_large_blocks() is ON_GLIBC


@pytest.mark.skipif(not ON_GLIBC, reason="malloc_trim is glibc's")
def test_pages_freed_inside_the_heap_go_back_to_the_system_when_released() -> None:
    ran = subprocess.run(
        [sys.executable, "-c", _FREE_THEN_RELEASE],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    released, given_back_kib, pinned = ran.stdout.split()
    assert released == "True"
    assert int(given_back_kib) > 48 * 1024  # of the 64 MiB freed
    assert int(pinned) == 1 << 15  # the block after them is still there, untouched


@pytest.mark.skipif(ON_GLIBC, reason="off glibc only")
def test_elsewhere_releasing_does_nothing() -> None:
    assert release_free_pages() is False
