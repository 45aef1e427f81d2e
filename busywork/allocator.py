"""The C allocator of a process that builds and drops frames of hundreds of megabytes.

glibc's ``malloc`` serves a request of at least its *mmap threshold* with pages of its own,
returned to the system when freed, and smaller ones from its heap, which it keeps. The
threshold starts at 128 KiB and rises to the size of each large block freed, up to 32 MiB:
after a detection pass has built and dropped its frames, the next pass's column arrays
come from the heap, where freed blocks in between keep pages resident.

:func:`return_large_blocks` fixes the threshold (which also stops it from moving), so
blocks from :data:`MMAP_THRESHOLD` on go back to the system when freed. Measured on the
million-record benchmark's detect stage (``docs/performance.md``): peak 629 MB with the
moving threshold; fixed at 16 MiB 607 MB for +0.2 s of system CPU; at 1 MiB 595 MB, but
every freed column then costs fresh pages (+3 s of system CPU), so 16 MiB it is.

Below the threshold, what a detector frees stays resident in the heap, in the holes
between the blocks still in use, and the next detector's peak comes on top of it.
:func:`release_free_pages` gives those pages back (``malloc_trim``): called after the
loading and after each detector of a pass (:mod:`busywork.pipeline`), a few milliseconds
each, it makes the pass's peak that of its heaviest detector rather than a sum of leftovers.
Elsewhere than glibc (musl, macOS, Windows) both do nothing.
"""

from __future__ import annotations

import ctypes
import functools
import sys
from typing import Any

#: Blocks from this size on are mapped on their own and unmapped when freed.
MMAP_THRESHOLD = 16 << 20
#: glibc's ``mallopt`` parameter number of the mmap threshold (``M_MMAP_THRESHOLD``).
_M_MMAP_THRESHOLD = -3


def return_large_blocks(threshold: int = MMAP_THRESHOLD) -> bool:
    """Fix glibc's mmap threshold at ``threshold`` bytes for this process.

    Returns:
        Whether the allocator took the setting (False off glibc).
    """
    mallopt = _glibc("mallopt")
    return mallopt is not None and bool(mallopt(_M_MMAP_THRESHOLD, threshold))


def release_free_pages() -> bool:
    """Give the heap's free pages back to the system (glibc's ``malloc_trim(0)``).

    Returns:
        Whether any memory was released (False off glibc).
    """
    malloc_trim = _glibc("malloc_trim")
    return malloc_trim is not None and bool(malloc_trim(0))


@functools.cache
def _glibc(name: str) -> Any:
    """Glibc's function ``name``, or None where the C library is another one."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return getattr(ctypes.CDLL("libc.so.6"), name)
    except (OSError, AttributeError):  # not glibc
        return None
