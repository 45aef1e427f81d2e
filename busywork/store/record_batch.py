"""A batch of validated records of one kind: what a connector hands the store to commit.

Reading a file into a batch, and hashing its rows, is pure work on the data; only
committing it (:func:`busywork.store.ingest.commit_page`) needs the database. So this
module imports no SQLAlchemy, and a process that only reads (the import's read-ahead
helper) builds batches without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from busywork.store.hashing import content_hashes
from busywork.store.record_kinds import RecordKind
from busywork.store.text_codes import TextCodes

_NO_HASHES = np.array([], dtype=object)


@dataclass(frozen=True)
class RecordBatch:
    """Validated records of one kind (see ``validate_records``) and ids deleted at the source."""

    kind: RecordKind
    frame: pd.DataFrame
    deleted_ids: tuple[str, ...] = ()
    #: The rows' content hashes (:func:`~busywork.store.hashing.content_hashes`) when already
    #: computed, e.g. by the process that read the file; else the commit computes them.
    hashes: np.ndarray | None = None
    #: Columns known to hold only ``str`` values and None (``ValidatedRecords.text_columns``).
    text_columns: frozenset[str] = frozenset()
    #: Text columns as codes into their distinct values, aligned with ``frame``
    #: (``ValidatedRecords.text_codes``).
    text_codes: Mapping[str, TextCodes] = field(default_factory=dict)

    def hashed(self) -> RecordBatch:
        """This batch with its content hashes computed now, off the commit's path."""
        if self.hashes is not None:
            return self
        return replace(
            self, hashes=content_hash_array(self.frame, self.text_columns, self.text_codes)
        )


def content_hash_array(
    frame: pd.DataFrame,
    text_columns: frozenset[str],
    codes: Mapping[str, TextCodes] | None = None,
) -> np.ndarray:
    """The rows' content hashes as an array (:func:`~busywork.store.hashing.content_hashes`)."""
    return content_hashes(frame, text_columns, codes).to_numpy() if len(frame) else _NO_HASHES
