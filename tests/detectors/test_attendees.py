"""Attendee columns cleaned once answer exactly as the per-question helpers do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas.testing as pdt

from detectors import _frames as fr
from detectors._attendees import attendees, subject_codes, unnamed
from detectors._colleagues import are_colleagues


def _raw() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "attendee_email": [
                " Ann@Example.com",
                "ann@example.com ",
                "not an address",
                None,
                "",
                "jo@kestrel.co.uk",
                "JO@KESTREL.CO.UK",
                None,
            ],
            "attendee_name": [
                "Ann Lee",
                "Dr. Ann Lee",
                "Bob",
                "Mrs Cara O'Neil",
                None,
                "Jo",
                "",
                "  ",
            ],
            "calendar": ["owner@kestrel.co.uk"] * 8,
        },
        index=[10, 11, 12, 13, 14, 15, 16, 17],
    )


def test_email_name_and_key_are_those_of_the_frame_helpers() -> None:
    raw = _raw()
    coded = attendees(raw)

    pdt.assert_series_equal(coded.email(), fr.normalise_email(raw["attendee_email"]))
    pdt.assert_series_equal(coded.name(), fr.normalise_name(raw["attendee_name"]))
    pdt.assert_series_equal(
        coded.key(), fr.subject_key(raw["attendee_email"], raw["attendee_name"], "email")
    )
    assert list(coded.key()[:4]) == [
        "email:ann@example.com",
        "email:ann@example.com",
        "name:bob",
        "name:cara oneil",
    ]


def test_key_codes_are_equal_exactly_where_the_keys_are() -> None:
    coded = attendees(_raw())
    keys = coded.key().to_numpy(dtype=object)
    codes = coded.key_codes()
    assert (codes == -1).tolist() == pd.isna(keys).tolist()
    named = np.flatnonzero(codes >= 0)
    for first in named:
        for second in named:
            assert (codes[first] == codes[second]) == (keys[first] == keys[second])
    assert codes[0] == codes[1]  # the same address, written two ways
    assert codes[5] == codes[6]
    assert list(coded.keys_of(codes[[2, 4, 0]])) == [keys[2], None, keys[0]]


def test_subject_codes_are_equal_exactly_where_the_subject_keys_are() -> None:
    raw = _raw()
    keys = fr.subject_key(raw["attendee_email"], raw["attendee_name"], "email")
    keys = keys.to_numpy(dtype=object)
    codes = subject_codes(raw)
    assert (codes == -1).tolist() == pd.isna(keys).tolist()
    named = np.flatnonzero(codes >= 0)
    for first in named:
        for second in named:
            assert (codes[first] == codes[second]) == (keys[first] == keys[second])
    # Ann and Jo by address (each written two ways), Bob and Cara by name.
    assert len(set(codes[named])) == len(set(keys[named])) == 4
    assert subject_codes(raw.iloc[:0]).size == 0


def test_named_and_colleagues_match_the_helpers() -> None:
    raw = _raw()
    coded = attendees(raw)

    named = (
        fr.normalise_email(raw["attendee_email"]).notna()
        | fr.normalise_name(raw["attendee_name"]).notna()
    ).to_numpy()
    assert np.array_equal(coded.named(), named)
    colleagues = coded.colleagues(raw["calendar"])
    assert np.array_equal(colleagues, are_colleagues(raw["attendee_email"], raw["calendar"]))
    assert list(np.flatnonzero(colleagues)) == [5, 6]


def test_no_own_domain_means_no_colleagues_and_an_empty_frame_works() -> None:
    raw = _raw().assign(calendar="me@gmail.com")
    assert not attendees(raw).colleagues(raw["calendar"]).any()
    empty = attendees(_raw().iloc[:0])
    assert empty.key().empty
    assert empty.named().size == 0


def test_unnamed_rows_are_those_with_neither_an_address_nor_a_name() -> None:
    raw = _raw()
    expected = (
        fr.normalise_email(raw["attendee_email"]).isna()
        & fr.normalise_name(raw["attendee_name"]).isna()
    )
    assert unnamed(raw).tolist() == expected.tolist()
    # Row 14 ("" and no name) and row 17 (no address, a blank name) name nobody.
    assert unnamed(raw).tolist() == [False] * 4 + [True, False, False, True]
