"""Results several detectors share within one detection pass, computed once.

A detection pass runs the detectors one after another on the same loaded frames, and some
of them derive the same intermediate result from those frames: the attendee <-> customer
matching of :mod:`detectors._matching`, the payment facts of every invoice. Inside
:func:`detection_pass` such a result is computed by the first detector that asks for it and
handed to the others; outside one, every call computes its own, so a detector run alone
behaves exactly as before.

A result is remembered against the very objects it was computed from (compared by
identity) and the parameters it depends on. Detectors never mutate their inputs, so the
same objects mean the same answer. The inputs are held weakly: a result derived from a
detector's own intermediate frame (its invoices in a window) is forgotten, and its memory
freed, as soon as that frame is, since no later call can be given that object again; and
no other object can take the id of an input before its entries go with it. Everything
remembered is dropped when the pass ends: memory is freed, and a later pass over new data
never sees a result of an earlier one. A result detectors declare (``Detector.shares``) is
dropped sooner, once the last detector of the pass that declares it has run
(:func:`release_unneeded`).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import numpy as np

Result = TypeVar("Result")


@dataclass
class _Pass:
    """What one pass has computed: per key, the inputs it came from and the result."""

    results: dict[tuple[Hashable, ...], tuple[tuple[object, ...], object]] = field(
        default_factory=dict
    )
    #: The names of every result asked for in the pass (what ``Detector.shares`` declares).
    asked: set[str] = field(default_factory=set)


_current: ContextVar[_Pass | None] = ContextVar("detection_pass", default=None)


@contextmanager
def detection_pass() -> Iterator[None]:
    """Share results between the detectors run inside the ``with`` block (one pass).

    Passes nest: an inner pass starts empty and the outer one resumes after it.
    """
    token = _current.set(_Pass())
    try:
        yield
    finally:
        ended = _current.get()
        if ended is not None:
            ended.results.clear()  # now, not when a collection finds it unreachable
        _current.reset(token)


def shared(
    name: str,
    inputs: tuple[object, ...],
    params: Hashable,
    compute: Callable[[], Result],
) -> Result:
    """``compute()``, or the result an earlier call in this pass got for the same question.

    Args:
        name: What is computed (one name per function whose result is shared).
        inputs: The objects the result is derived from (frames, ``None`` for an absent one);
            another call shares it only when given these very objects.
        params: Everything else the result depends on (hashable).
        compute: Computes the result from ``inputs`` and ``params``.
    """
    current = _current.get()
    if current is None:
        return compute()
    current.asked.add(name)
    key = (name, tuple(id(item) for item in inputs), params)
    known = current.results.get(key)
    if known is not None and all(
        _held(old) is new for old, new in zip(known[0], inputs, strict=True)
    ):
        return cast(Result, known[1])
    result = compute()
    current.results[key] = (_hold_weakly(current, key, inputs), result)
    return result


def release_unneeded(done: Iterable[str], later: Iterable[Iterable[str]]) -> frozenset[str]:
    """Forget now the results a detector that ran declared and none still to run does.

    ``done`` and each of ``later`` are detectors' declared shared results
    (``Detector.shares``), ``later`` those of the detectors the pass has still to run. The
    memory forgotten is not carried under their peaks. Results nobody declares are kept
    until the pass ends; a result asked for again after all is computed again: slower,
    never another answer.

    Returns:
        The names forgotten.
    """
    gone = frozenset(done) - frozenset(name for names in later for name in names)
    current = _current.get()
    if current is not None and gone:
        for key in [key for key in current.results if key[0] in gone]:
            del current.results[key]
    return gone


def _hold_weakly(
    current: _Pass, key: tuple[Hashable, ...], inputs: tuple[object, ...]
) -> tuple[object, ...]:
    """``inputs`` as held by the entry ``key``: weakly where they can be, dropping it with them.

    An input that takes no weak reference (``None``) is held as it is.
    """
    held = weakref.ref(current)  # the pass weakly: it and what it remembers are no cycle

    def forget(_: object) -> None:
        alive = held()
        if alive is not None:
            alive.results.pop(key, None)

    refs: list[object] = []
    for item in inputs:
        try:
            refs.append(weakref.ref(item, forget))
        except TypeError:
            refs.append(item)
    return tuple(refs)


def _held(reference: object) -> object:
    """What a reference made by :func:`_hold_weakly` stands for (None once it is freed)."""
    return reference() if isinstance(reference, weakref.ref) else reference


def shared_by_memory(
    name: str, values: np.ndarray[Any, Any], params: Hashable, compute: Callable[[], Result]
) -> Result:
    """``compute()``, or the result an earlier call in this pass got for the same memory.

    A frame's column reaches the detectors as a new array object at every access, over the
    same memory: a result derived from the values alone (a column cleaned per distinct
    value) is remembered against where they lie (address, shape, strides and type) while
    the array owning that memory lives. When it is freed the result is forgotten, so values
    that later come to lie there are never taken for it.

    Args:
        name: What is computed.
        values: The values the result is derived from (never mutated within a pass).
        params: Everything else the result depends on (hashable).
        compute: Computes the result from ``values`` and ``params``.
    """
    current = _current.get()
    if current is None:
        return compute()
    current.asked.add(name)
    owner = values
    while isinstance(owner.base, np.ndarray):
        owner = owner.base
    where = values.__array_interface__["data"][0]
    key = (name, where, values.shape, values.strides, values.dtype.str, params)
    known = current.results.get(key)
    if known is not None:
        return cast(Result, known[1])
    result = compute()
    # Held weakly, the owner takes the entry with it when freed: its key never names memory
    # that other values have come to lie in.
    current.results[key] = (_hold_weakly(current, key, (owner,)), result)
    return result
