"""Results shared within one detection pass: computed once, never outliving the pass."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pandas as pd

from detectors import _distinct as ds
from detectors import _frames as fr
from detectors._shared import (
    _current,
    detection_pass,
    release_unneeded,
    shared,
    shared_by_memory,
)


class _Counter:
    """A computation that counts how often it ran."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> list[int]:
        self.calls += 1
        return [self.calls]


def test_outside_a_pass_every_call_computes() -> None:
    frame, compute = pd.DataFrame({"a": [1]}), _Counter()
    assert shared("sum", (frame,), (), compute) == [1]
    assert shared("sum", (frame,), (), compute) == [2]


def test_inside_a_pass_the_same_question_is_answered_once() -> None:
    frame, compute = pd.DataFrame({"a": [1]}), _Counter()
    with detection_pass():
        first = shared("sum", (frame, None), ("UTC",), compute)
        assert shared("sum", (frame, None), ("UTC",), compute) is first
    assert compute.calls == 1


def test_other_objects_names_or_parameters_are_other_questions() -> None:
    frame, compute = pd.DataFrame({"a": [1]}), _Counter()
    with detection_pass():
        shared("sum", (frame,), ("UTC",), compute)
        shared("sum", (frame.copy(),), ("UTC",), compute)  # equal content, other object
        shared("sum", (frame,), ("Europe/London",), compute)
        shared("mean", (frame,), ("UTC",), compute)
    assert compute.calls == 4


def test_a_later_pass_starts_empty() -> None:
    frame, compute = pd.DataFrame({"a": [1]}), _Counter()
    with detection_pass():
        shared("sum", (frame,), (), compute)
    with detection_pass():
        assert shared("sum", (frame,), (), compute) == [2]


def test_a_nested_pass_is_its_own_and_the_outer_one_resumes() -> None:
    frame, compute = pd.DataFrame({"a": [1]}), _Counter()
    with detection_pass():
        outer = shared("sum", (frame,), (), compute)
        with detection_pass():
            assert shared("sum", (frame,), (), compute) == [2]
        assert shared("sum", (frame,), (), compute) is outer


def test_a_column_read_again_from_its_frame_is_cleaned_once_per_pass() -> None:
    frame = pd.DataFrame({"status": [" Paid", "VOID", None, "paid"], "other": ["a"] * 4})
    seen: list[str] = []

    def clean(text: str) -> str:
        seen.append(text)
        return text.strip().lower()

    with detection_pass():
        first = ds.per_distinct(fr.as_text(frame["status"]), clean)
        again = ds.per_distinct(fr.as_text(frame["status"]), clean)
        copied = ds.per_distinct(fr.as_text(frame["status"].copy()), clean)

    assert first.isna().tolist() == [False, False, True, False]
    assert first.dropna().tolist() == ["paid", "void", "paid"]
    pd.testing.assert_series_equal(first, again)
    pd.testing.assert_series_equal(first, copied)
    # The frame's column twice, then the copy (other memory): its own cleaning.
    assert len(seen) == 6
    again[0] = "changed"  # each caller's series is its own
    assert first[0] == "paid"
    assert first.dtype == fr.as_text(frame["status"]).dtype


def test_a_question_on_a_column_is_answered_per_distinct_value_once_per_pass() -> None:
    frame = pd.DataFrame({"status": [" Void", "paid", None, "VOID ", "paid"]})
    seen: list[str] = []

    def void(text: str) -> bool:
        seen.append(text)
        return text.strip().lower() == "void"

    with detection_pass():
        first = ds.per_distinct_test(frame["status"], void, True)
        again = ds.per_distinct_test(frame["status"], void, True)
        dead = ds.lowered_in(frame["status"], frozenset({"void", "draft"}))
        also = ds.lowered_in(frame["status"], frozenset({"draft", "void"}))

    assert first.tolist() == [True, False, True, True, False]  # null: the answer given
    assert len(seen) == 3  # " Void", "paid", "VOID ": once each, for both calls
    again[0] = False  # each caller's array is its own
    assert first[0]
    expected = fr.lowered(frame["status"]).isin(["void", "draft"]).tolist()
    assert dead.tolist() == also.tolist() == expected == [True, False, False, True, False]


def test_origins_read_from_the_distinct_values_as_from_the_cleaned_column() -> None:
    origin = pd.Series([None, "", " Unknown", "manual", "Subscription ", "booking_link", "x"])
    low = fr.lowered(origin)
    manual = fr.is_manual(origin)
    unknown = fr.is_unknown_origin(origin)
    assert manual.tolist() == (~low.isin(fr.AUTOMATED_ORIGIN_VALUES)).tolist()
    assert manual.tolist() == [True, True, True, True, False, False, True]
    assert unknown.tolist() == [True, True, True, False, False, False, False]
    assert manual.index.equals(origin.index)
    assert unknown.index.equals(origin.index)


def test_a_result_goes_with_the_memory_it_was_computed_from() -> None:
    compute = _Counter()
    with detection_pass():
        values = np.arange(5)
        assert shared_by_memory("sum", values, (), compute) == [1]
        assert shared_by_memory("sum", values[:], (), compute) == [1]  # a view: same memory
        assert shared_by_memory("sum", values[1:], (), compute) == [2]  # other values
        current = _current.get()
        assert current is not None
        held = len(current.results)
        del values
        gc.collect()
        assert len(current.results) == held - 2


def test_a_result_is_freed_with_a_frame_it_was_computed_from_during_the_pass() -> None:
    gc.disable()  # freed by reference counts alone, as soon as the frame is
    try:
        kept, counter = pd.DataFrame({"a": [1]}), _Counter()

        def compute() -> np.ndarray:
            return np.array(counter())

        with detection_pass():
            window = pd.DataFrame({"a": [2]})  # a detector's own intermediate frame
            result = shared("sum", (window, None), (), compute)
            stays = shared("sum", (kept, None), (), compute)
            gone = weakref.ref(result)
            del result, window
            assert gone() is None
            assert shared("sum", (kept, None), (), compute) is stays
        assert counter.calls == 2
    finally:
        gc.enable()


def test_what_a_pass_remembered_is_freed_when_it_ends_without_a_collection() -> None:
    gc.disable()  # as during ingest: only reference counts free memory
    try:
        values = np.arange(5)
        with detection_pass():
            result = shared_by_memory("copy", values, (), lambda: values * 2)
            shared("copy", (values,), (), lambda: values * 3)
            gone = weakref.ref(result)
            del result
        assert gone() is None
    finally:
        gc.enable()


def test_a_result_no_detector_still_to_run_declares_is_forgotten_after_its_last() -> None:
    frame, big, small, kept = pd.DataFrame({"a": [1]}), _Counter(), _Counter(), _Counter()
    with detection_pass():
        shared("big", (frame,), (), big)
        shared("small", (frame,), (), small)
        shared("undeclared", (frame,), (), kept)
        # "small" is still declared by a detector to come: kept; "big" is not: forgotten.
        assert release_unneeded({"big", "small"}, [{"small"}, set()]) == {"big"}
        assert shared("small", (frame,), (), small) == [1]
        assert shared("undeclared", (frame,), (), kept) == [1]
        assert shared("big", (frame,), (), big) == [2]  # asked again after all: computed again
        assert release_unneeded({"small"}, []) == {"small"}
        assert shared("small", (frame,), (), small) == [2]
    assert release_unneeded({"big"}, []) == {"big"}  # outside a pass: nothing to forget


def test_a_released_result_frees_its_memory_without_a_collection() -> None:
    frame = pd.DataFrame({"a": [1]})

    class Result:
        pass

    with detection_pass():
        result = shared("big", (frame,), (), Result)
        gone = weakref.ref(result)
        del result
        gc.disable()
        try:
            release_unneeded({"big"}, [{"other"}])
            assert gone() is None
        finally:
            gc.enable()


def test_a_pass_knows_the_names_asked_for() -> None:
    frame = pd.DataFrame({"a": [1]})
    with detection_pass():
        shared("sum", (frame,), (), _Counter())
        shared_by_memory("clean", np.arange(3), (), _Counter())
        current = _current.get()
        assert current is not None
        assert current.asked == {"sum", "clean"}
