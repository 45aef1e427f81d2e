"""One export file to read, as a value another process can be handed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from busywork.store.column_types import ColumnSpec
from busywork.store.record_batch import RecordBatch
from busywork.store.record_kinds import RecordKind
from connectors.base import ConnectorContext
from connectors.csv_import import read_export
from connectors.csv_mapping import FileMapping
from connectors.doc_types import DocTypeRules
from connectors.outcomes import FileOutcome

ReadResult = tuple[RecordBatch | None, tuple[str, ...], FileOutcome]


@dataclass(frozen=True)
class ExportRead:
    """One file to read: the arguments of :func:`~connectors.csv_import.read_export`."""

    path: Path
    kind: RecordKind
    stem: str
    mapping: FileMapping
    context: ConnectorContext
    doc_types: DocTypeRules | None = None
    #: The columns of ``kind`` (:func:`~busywork.store.frames.column_specs`), derived by the
    #: caller from the record tables, which the helper never imports.
    specs: tuple[ColumnSpec, ...] = field(kw_only=True)

    def run(self) -> ReadResult:
        """Read the file here."""
        return read_export(
            self.path,
            self.kind,
            self.stem,
            self.mapping,
            self.context,
            self.doc_types,
            specs=self.specs,
        )
