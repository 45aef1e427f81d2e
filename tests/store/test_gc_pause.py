"""The collector paused while bulk data is built, and frozen around a detection pass."""

from __future__ import annotations

import gc
import weakref

from busywork.store.gc_pause import gc_frozen, gc_paused


class _Node:
    """An object that can sit in a reference cycle."""

    def __init__(self) -> None:
        self.other: _Node | None = None


def _cycle() -> weakref.ref[_Node]:
    """A two-object cycle nothing else refers to; a weak reference to one of its objects."""
    first, second = _Node(), _Node()
    first.other, second.other = second, first
    return weakref.ref(first)


def test_paused_turns_collection_off_and_back_on() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block found it off: it leaves it off
    assert gc.isenabled()


def test_frozen_leaves_existing_cycles_alone_and_collects_new_ones() -> None:
    with gc_paused():  # no automatic collection between the steps: only the explicit ones
        before = _cycle()
        with gc_frozen():
            assert gc.get_freeze_count() > 0
            during = _cycle()
            gc.collect()
            assert during() is None  # made inside the block: collected as usual
            assert before() is not None  # there before: out of the collector's walks
        assert gc.get_freeze_count() == 0
        gc.collect()
        assert before() is None  # thawed: the next full collection finds it


def test_frozen_thaws_only_when_the_outermost_block_ends() -> None:
    with gc_frozen():
        with gc_frozen():
            assert gc.get_freeze_count() > 0
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_frozen_thaws_when_the_block_raises() -> None:
    try:
        with gc_frozen():
            raise RuntimeError("a detector failed")
    except RuntimeError:
        pass
    assert gc.get_freeze_count() == 0
