"""A record batch as the read-ahead helper sends it: text columns as codes, not as cells.

Pickling a frame's text writes (and unpickling builds) one string per cell: a million
cells cost the helper and, worse, the committing process a pass each. Most of a file's
text repeats (statuses, currencies, names, descriptions), and validation has already
coded each text column into its distinct values
(:class:`~busywork.store.text_codes.TextCodes`). So those columns travel as the codes
only, each distinct value once, and the frame is put together again on arrival: the same
columns in the same order, the same values, rows sharing a value sharing its object.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from busywork.store.record_batch import RecordBatch


@dataclass(frozen=True)
class ShippedBatch:
    """A batch whose coded text columns were taken out of its frame, to pickle."""

    #: The batch, its frame without the columns ``batch.text_codes`` holds.
    batch: RecordBatch
    #: The frame's columns in their order.
    columns: tuple[str, ...]

    @classmethod
    def of(cls, batch: RecordBatch) -> ShippedBatch:
        """``batch`` ready to pickle."""
        codes = {name: coded.compact() for name, coded in batch.text_codes.items()}
        others = batch.frame.drop(columns=list(codes))
        columns = tuple(map(str, batch.frame.columns))
        return cls(replace(batch, frame=others, text_codes=codes), columns)

    def unpacked(self) -> RecordBatch:
        """The batch as it was before :meth:`of`."""
        others, codes = self.batch.frame, self.batch.text_codes
        data = {
            name: pd.Series(codes[name].column(), index=others.index, dtype=object)
            if name in codes
            else others[name]
            for name in self.columns
        }
        frame = pd.DataFrame(data, index=others.index, copy=False)
        return replace(self.batch, frame=frame)
