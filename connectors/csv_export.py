"""CSV exports as a connector: one file per record kind in a folder, re-read when it changes.

Files are named after the record kind (``invoices.csv``, ``invoice_lines.csv`` …) unless
``files`` says otherwise; ``columns`` maps another tool's headers onto ours. A row with a
bad value is reported with its file and line and skipped; the good rows are kept. An
optional ``deleted`` column (true/false) marks rows deleted at the source.

A ``credit_notes`` file (Xero's *Credit Notes* export) is read as invoices of type
``credit_note`` with negative amounts, as the accounting APIs' credit notes are: what
``duplicate_entry`` needs to tell an invoice cancelled and keyed again from one keyed twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from busywork.store.frames import column_specs
from busywork.store.records import RecordKind
from connectors.base import Connector, ConnectorConfig, SyncPage
from connectors.csv_mapping import FileMapping
from connectors.csv_reading import TABULAR_SUFFIXES
from connectors.doc_types import DocTypeRules
from connectors.export_read import ExportRead
from connectors.outcomes import FileOutcome, FileStatus
from connectors.read_ahead import helper_started_for, read_in_order
from connectors.registry import register

#: File stem per record kind, in the order files are loaded (people before their invoices).
#: ``credit_notes`` are invoice rows too (:data:`CREDIT_NOTE_IMPLIED`).
FILE_STEMS: dict[str, RecordKind] = {
    "customers": RecordKind.CUSTOMER,
    "vendors": RecordKind.VENDOR,
    "invoices": RecordKind.INVOICE,
    "credit_notes": RecordKind.INVOICE,
    "invoice_lines": RecordKind.INVOICE_LINE,
    "payments": RecordKind.PAYMENT,
    "bills": RecordKind.BILL,
    "appointments": RecordKind.APPOINTMENT,
    "journal_entries": RecordKind.JOURNAL_ENTRY,
    "recurring_templates": RecordKind.RECURRING_TEMPLATE,
}


class CsvConfig(ConnectorConfig):
    """A folder of CSV exports.

    ``files`` maps each kind to a file name (shorthand) or to a full
    :class:`~connectors.csv_mapping.FileMapping`; ``columns`` is the older per-kind header
    map and is merged into ``files``. ``encoding``, ``delimiter``, ``date_format`` and
    ``thousands`` here apply to every file that does not set its own.
    """

    type: Literal["csv"] = "csv"
    path: Path = Field(description="Folder holding the CSV files; relative to the config file.")
    files: dict[str, FileMapping] = Field(
        default_factory=dict, description="Per kind: file name, or the file's full mapping."
    )
    date_format: str | None = Field(
        default=None, description="strptime format, e.g. %d/%m/%Y; ISO-8601 if unset."
    )
    delimiter: str | None = Field(
        default=None, min_length=1, max_length=1, description="Sniffed per file if unset."
    )
    encoding: str | None = Field(default=None, description="Detected per file if unset.")
    thousands: str | None = Field(default=None, max_length=1)
    ignore: tuple[str, ...] = Field(
        default=(), description="Files in the folder that are not meant to be read."
    )
    doc_types: DocTypeRules = Field(
        default_factory=DocTypeRules,
        description="Rules telling credit notes, fees … from sales (connectors.doc_types).",
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthands(cls, data: Any) -> Any:
        """``files: {kind: name}`` and the older ``columns: {kind: {...}}`` as full mappings."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        files = {
            kind: {"file": value} if isinstance(value, str) else value
            for kind, value in (data.get("files") or {}).items()
        }
        for kind, columns in (data.pop("columns", None) or {}).items():
            entry = dict(files.get(kind) or {})
            if isinstance(entry, dict):
                entry["columns"] = {**(columns or {}), **(entry.get("columns") or {})}
            files[kind] = entry
        data["files"] = files
        return data

    @field_validator("path")
    @classmethod
    def _relative_to_config(cls, value: Path, info: ValidationInfo) -> Path:
        base = (info.context or {}).get("base_dir")
        return value if value.is_absolute() or base is None else Path(base) / value

    @field_validator("files")
    @classmethod
    def _known_kinds_and_columns(cls, value: dict[str, FileMapping]) -> dict[str, FileMapping]:
        found = [
            f"unknown record kind {stem!r}; valid kinds: {', '.join(FILE_STEMS)}"
            for stem in sorted(set(value) - set(FILE_STEMS))
        ]
        for stem, mapping in value.items():
            if stem not in FILE_STEMS:
                continue
            ours = {spec.name for spec in column_specs(FILE_STEMS[stem])} | {"deleted"}
            found += [
                f"{stem}: {wrong!r} is not a column of {stem}; valid: {', '.join(sorted(ours))}"
                for wrong in sorted(mapping.targets() - ours)
            ]
        if found:
            raise ValueError("; ".join(found))
        return value

    def mapping(self, stem: str) -> FileMapping:
        """The mapping of ``stem``'s file with the folder-wide settings filled in."""
        own = self.files.get(stem) or FileMapping()
        inherited: dict[str, Any] = {
            name: getattr(self, name)
            for name in ("encoding", "delimiter", "date_format", "thousands")
            if getattr(own, name) is None and getattr(self, name) is not None
        }
        inherited.update(implied_rules(stem, own))
        return own.model_copy(update=inherited) if inherited else own


@register
class CsvConnector(Connector):
    """Imports a folder of CSV exports; a file is re-read only when it or its mapping changed."""

    type = "csv"
    config_model = CsvConfig
    config: CsvConfig

    def pages(self, cursor: dict[str, Any] | None) -> Iterator[SyncPage]:
        """One page per new or changed file; the cursor remembers each file's hash."""
        seen: dict[str, Any] = dict(cursor or {})
        folder = self.config.path
        if not folder.is_dir():
            raise FileNotFoundError(
                f"{self.name}: folder {folder} does not exist; set `path:` to your exports folder"
            )
        present = {p.name.lower(): p for p in folder.iterdir() if p.is_file()}
        found = self._found(present)
        claimed = {path.name for _, path, _ in found}
        # A file the cursor has not seen is read whatever it holds: the helper reading the
        # next files (a big import) starts before the hashing that tells the others.
        new = [read for stem, _, read in found if "sha256" not in seen.get(stem, {})]
        with helper_started_for(new) as helper:
            files: list[tuple[str, Path, str, ExportRead | None]] = []
            for stem, path, export in found:
                digest = f"{_sha256(path)}:{_mapping_hash(export.mapping)}"
                unchanged = seen.get(stem, {}).get("sha256") == digest
                files.append((stem, path, digest, None if unchanged else export))
            # In order; a big import reads the next files while this one's page commits.
            jobs = [read for *_, read in files if read is not None]
            with closing(read_in_order(jobs, helper)) as reads:
                for stem, path, digest, job in files:
                    if job is None:
                        yield SyncPage(
                            batches=(),
                            cursor=dict(seen),
                            files=(FileOutcome(path.name, stem, FileStatus.UNCHANGED),),
                        )
                        continue
                    batch, problems, outcome = next(reads)
                    if batch is not None and not outcome.failed:
                        seen[stem] = {"sha256": digest, "rows": len(batch.frame)}
                    yield SyncPage(
                        batches=() if batch is None else (batch,),
                        cursor=dict(seen),
                        problems=problems,
                        files=(outcome,),
                    )
        ignored = {name.lower() for name in self.config.ignore}
        unused = tuple(
            FileOutcome(
                path.name,
                "",
                FileStatus.NOT_USED,
                error="listed under ignore:" if name in ignored else "",
            )
            for name, path in sorted(present.items())
            if path.name not in claimed and name.endswith(TABULAR_SUFFIXES)
        )
        if unused:
            yield SyncPage(batches=(), cursor=dict(seen), files=unused)

    def _found(self, present: dict[str, Path]) -> list[tuple[str, Path, ExportRead]]:
        """Each kind's file in ``present`` (by lower-cased name), in load order, to read."""
        found = []
        for stem, kind in FILE_STEMS.items():
            mapping = self.config.mapping(stem)
            path = present.get((mapping.file or f"{stem}.csv").lower())
            if path is not None:
                export = ExportRead(
                    path,
                    kind,
                    stem,
                    mapping,
                    self.context,
                    self.config.doc_types,
                    specs=column_specs(kind),
                )
                found.append((stem, path, export))
        return found


#: What a credit-note file's mapping implies unless it says otherwise.
CREDIT_NOTE_IMPLIED = {"doc_type": "credit_note", "negative": ("total", "balance")}


def implied_rules(stem: str, own: FileMapping) -> dict[str, Any]:
    """What ``stem``'s file implies beyond ``own`` (as ``model_copy`` updates).

    A credit-note file: type ``credit_note`` unless mapped, amounts negative unless
    ``negative`` is given. Other files: nothing.
    """
    implied: dict[str, Any] = {}
    if stem != "credit_notes":
        return implied
    if "doc_type" not in own.targets():
        implied["constants"] = {**own.constants, "doc_type": CREDIT_NOTE_IMPLIED["doc_type"]}
    if own.negative is None:
        implied["negative"] = CREDIT_NOTE_IMPLIED["negative"]
    return implied


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


#: Mapping fields added after stores existed: left out of the hash while unset, so a
#: mapping that does not use them hashes as before and its files are not read again.
_LATER_FIELDS = ("negative",)


def _mapping_hash(mapping: FileMapping) -> str:
    """Changing a file's mapping makes it be read again, like changing the file."""
    unset = {name for name in _LATER_FIELDS if getattr(mapping, name) is None}
    return hashlib.sha256(mapping.model_dump_json(exclude=unset).encode()).hexdigest()[:16]
