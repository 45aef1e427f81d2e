"""The attendee/customer matching two detectors share is computed once per detection pass."""

from __future__ import annotations

from busywork.store.records import RecordKind
from detectors import AppointmentToInvoiceDetector, InvoiceLagDetector
from detectors._matching import matched
from detectors._shared import detection_pass
from tests.detectors.catalogue_factories import lag_frames
from tests.detectors.detector_factories import context


def test_the_same_frames_are_matched_once_in_a_pass() -> None:
    frames = lag_frames((7, 11))
    with detection_pass():
        first = matched(frames, context(), 3)
        assert matched(frames, context(), 3) is first
        assert matched(frames, context(), 4) is not first  # other parameters, other answer


def test_without_a_pass_each_call_matches_afresh() -> None:
    frames = lag_frames((7, 11))
    first = matched(frames, context(), 3)
    again = matched(frames, context(), 3)
    assert again is not first
    assert again.appointments.equals(first.appointments)


def test_new_frame_objects_are_matched_afresh_even_with_equal_content() -> None:
    frames = lag_frames((7, 11))
    with detection_pass():
        first = matched(frames, context(), 3)
        copied = {kind: frame.copy() for kind, frame in frames.items()}
        again = matched(copied, context(), 3)
    assert again is not first
    assert again.appointments.equals(first.appointments)


def test_sharing_the_match_does_not_change_either_detector() -> None:
    frames = lag_frames((7, 11))
    alone_lag = InvoiceLagDetector().detect({k: f.copy() for k, f in frames.items()}, context())
    alone_pairs = AppointmentToInvoiceDetector().detect(
        {k: f.copy() for k, f in frames.items()}, context()
    )
    with detection_pass():
        shared_pairs = AppointmentToInvoiceDetector().detect(frames, context())
        shared_lag = InvoiceLagDetector().detect(frames, context())
    assert shared_lag == alone_lag
    assert shared_pairs == alone_pairs
    assert frames[RecordKind.APPOINTMENT].equals(lag_frames((7, 11))[RecordKind.APPOINTMENT])
