"""Results shared within one detection pass: computed once, never outliving the pass."""

from __future__ import annotations

import pandas as pd

from detectors._shared import detection_pass, shared


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
