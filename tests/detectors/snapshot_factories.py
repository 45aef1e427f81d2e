"""Frames as stored snapshots give them back: text columns with their stored codes and links."""

from __future__ import annotations

import numpy as np
import pandas as pd

from busywork.store.frame_codec import Dictionaries, decode_frame, encode_frame
from busywork.store.records import RecordKind


def as_stored(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` as a stored snapshot gives them back (text columns keep their stored codes)."""
    payload = encode_frame(rows, np.arange(1, len(rows) + 1, dtype=np.int64))
    assert payload is not None
    return decode_frame(payload, list(rows.columns))[0]


def stored_together(*frames: tuple[pd.DataFrame, RecordKind]) -> list[pd.DataFrame]:
    """Each frame of its kind as snapshots written together give them back: linked.

    The links between their text columns (:mod:`busywork.store.text_links`) are kept while
    the decoded columns live; tests drop them with ``text_links.forget_links()``.
    """
    dictionaries: Dictionaries = {}
    decoded = []
    for rows, kind in frames:
        ids = np.arange(1, len(rows) + 1, dtype=np.int64)
        payload = encode_frame(rows, ids, kind, dictionaries)
        assert payload is not None
        decoded.append(decode_frame(payload, list(rows.columns))[0])
    return decoded
