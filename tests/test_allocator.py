"""The allocator's mmap threshold is fixed on glibc, freed heap pages go back when asked,
and both are left alone elsewhere."""

from __future__ import annotations

import platform
import sys

import numpy as np
import pytest

from busywork.allocator import release_free_pages, return_large_blocks

ON_GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


def _resident_anonymous_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    raise AssertionError("no RssAnon in /proc/self/status")


def test_glibc_takes_the_threshold_and_others_are_left_alone() -> None:
    assert return_large_blocks() is ON_GLIBC


@pytest.mark.skipif(not ON_GLIBC, reason="malloc_trim is glibc's")
def test_pages_freed_inside_the_heap_go_back_to_the_system_when_released() -> None:
    return_large_blocks()
    # 64 MiB in blocks below the threshold (from the heap), then one more block after them:
    # once the first ones are freed, the heap cannot shrink from its top.
    blocks = [np.ones(1 << 17) for _ in range(64)]
    pinned = np.ones(1 << 15)
    del blocks
    freed = _resident_anonymous_kib()
    assert release_free_pages()
    assert freed - _resident_anonymous_kib() > 48 * 1024
    assert pinned.sum() == 1 << 15  # still there, untouched


@pytest.mark.skipif(ON_GLIBC, reason="off glibc only")
def test_elsewhere_releasing_does_nothing() -> None:
    assert release_free_pages() is False
