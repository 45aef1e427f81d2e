"""The allocator's mmap threshold is fixed on glibc, and left alone elsewhere."""

from __future__ import annotations

import platform
import sys

from busywork.allocator import return_large_blocks


def test_glibc_takes_the_threshold_and_others_are_left_alone() -> None:
    on_glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert return_large_blocks() is on_glibc
