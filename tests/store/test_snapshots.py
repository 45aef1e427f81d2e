from __future__ import annotations

import gc
import weakref
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.store.frame_codec import decode_frame, encode_frame
from busywork.store.read import load_frames
from busywork.store.records import RecordKind
from busywork.store.snapshots import FrameSnapshots, _only
from detectors._distinct import column_codes, text_codes
from detectors._shared import detection_pass
from tests.factories import (
    COMMITTED_AT,
    SNAPSHOT_COLUMNS,
    commit_invoices,
    invoice_rows,
)
from tests.store_templates import StoreTemplates

COLUMNS = SNAPSHOT_COLUMNS
NOW = COMMITTED_AT


def _assert_fresh(engine: Engine, snapshots: FrameSnapshots, business: str) -> None:
    kept, _ = snapshots.frames(engine, business)
    fresh = load_frames(engine, business, COLUMNS)
    assert kept.keys() == fresh.keys()
    for kind, frame in fresh.items():
        pd.testing.assert_frame_equal(kept[kind], frame, check_exact=True, obj=kind.value)


def _adoptable(
    engine: Engine, snapshots: FrameSnapshots, *extra: str
) -> tuple[dict[RecordKind, pd.DataFrame], dict[RecordKind, np.ndarray], int]:
    """Invoices loaded as a detection pass loads them (with ``extra``): frames, ids, newest."""
    newest = snapshots.newest_event(engine, "b")
    wider = (*COLUMNS[RecordKind.INVOICE], *extra)
    loaded = load_frames(engine, "b", {RecordKind.INVOICE: sorted(wider)}, with_ids=True)
    ids = {kind: frame.pop("id").to_numpy() for kind, frame in loaded.items()}
    return loaded, ids, newest


def test_patched_frames_equal_a_fresh_load_after_every_kind_of_change(engine: Engine) -> None:
    snapshots = FrameSnapshots(COLUMNS)
    commit_invoices(engine, "b", invoice_rows(30))
    commit_invoices(engine, "other", invoice_rows(5))  # another business's changes stay out
    _assert_fresh(engine, snapshots, "b")
    first, newest = snapshots.frames(engine, "b")
    changed = invoice_rows(30)
    changed[3]["total"] = "999.5"  # an update keeps the record's place
    changed[7]["status"] = "paid"  # a status change
    commit_invoices(engine, "b", [changed[3], changed[7], *invoice_rows(4, prefix="NEW")])
    commit_invoices(engine, "b", [], deleted=("INV-00011",))
    commit_invoices(engine, "b", invoice_rows(2), connector="shop")  # same ids, another source
    _assert_fresh(engine, snapshots, "b")
    patched, later = snapshots.frames(engine, "b")
    assert later > newest
    assert len(patched[RecordKind.INVOICE]) == 30 + 4 - 1 + 2
    assert len(first[RecordKind.INVOICE]) == 30  # what was handed out is never modified


def test_a_patch_reads_again_only_the_records_the_events_name(
    store_templates: StoreTemplates, tmp_path: Path
) -> None:
    """Each read of the records' table while patching is narrowed by an index to the named
    records (SQLite's query plans), never to the business alone: at a million records a
    read by ``source_id`` alone took 0.3 s to patch in a hundred."""
    with store_templates.copy("sqlite", tmp_path) as engine:
        snapshots = FrameSnapshots(COLUMNS)
        commit_invoices(engine, "b", invoice_rows(30))
        snapshots.frames(engine, "b")
        changed = invoice_rows(30)
        changed[3]["total"] = "999.5"
        commit_invoices(engine, "b", [changed[3], *invoice_rows(2, prefix="NEW")])
        reads: list[tuple[str, Any]] = []

        def note(_conn: Any, _cursor: Any, sql: str, parameters: Any, *_: Any) -> None:
            if sql.lstrip().upper().startswith("SELECT") and "FROM invoice " in f"{sql} ":
                reads.append((sql, parameters))

        sa.event.listen(engine, "before_cursor_execute", note)
        try:
            patched, _ = snapshots.frames(engine, "b")
        finally:
            sa.event.remove(engine, "before_cursor_execute", note)
        with engine.connect() as connection:
            plans = [
                " ".join(
                    row[-1]
                    for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters)
                )
                for sql, parameters in reads
            ]
    assert len(plans) >= 2  # the named records' store ids, then their rows
    for plan in plans:
        assert "(business=?)" not in plan, plan
    assert patched[RecordKind.INVOICE]["total"].tolist().count(999.5) == 1
    assert len(patched[RecordKind.INVOICE]) == 32


def test_nothing_new_hands_back_the_same_frames(engine: Engine) -> None:
    snapshots = FrameSnapshots(COLUMNS)
    commit_invoices(engine, "b", invoice_rows(3))
    first, _ = snapshots.frames(engine, "b")
    again, _ = snapshots.frames(engine, "b")
    assert again[RecordKind.INVOICE] is first[RecordKind.INVOICE]


def test_bills_paid_at_is_refused() -> None:
    with pytest.raises(ValueError, match="paid_at"):
        FrameSnapshots({RecordKind.BILL: ("paid_at",)})


def test_adopted_frames_are_kept_and_patched_like_loaded_ones(engine: Engine) -> None:
    snapshots = FrameSnapshots(COLUMNS)
    commit_invoices(engine, "b", invoice_rows(20))
    loaded, ids, newest = _adoptable(engine, snapshots, "due_on", "currency")
    commit_invoices(
        engine, "b", invoice_rows(3, prefix="DURING")
    )  # after the newest event was read

    assert snapshots.adopt(engine, "b", loaded, ids, newest) == {RecordKind.INVOICE}
    _assert_fresh(engine, snapshots, "b")  # the payments it lacked are read, the rest patched
    commit_invoices(engine, "b", invoice_rows(2, prefix="LATER"), deleted=("INV-00004",))
    _assert_fresh(engine, snapshots, "b")


def test_adopted_frames_are_held_whole_until_narrowed_to_the_kept_columns(
    engine: Engine,
) -> None:
    snapshots = FrameSnapshots(COLUMNS)
    commit_invoices(engine, "b", invoice_rows(5))
    loaded, ids, newest = _adoptable(engine, snapshots, "due_on", "currency")
    snapshots.adopt(engine, "b", loaded, ids, newest)
    whole = weakref.ref(loaded[RecordKind.INVOICE])
    del loaded
    gc.collect()
    assert whole() is not None  # no copy while the pass holds the frames anyway

    snapshots.narrow(engine, "b")
    gc.collect()
    assert whole() is None  # the text columns nobody keeps are freed with the pass's frames
    kept, _ = snapshots.frames(engine, "b")
    assert (
        list(kept[RecordKind.INVOICE].columns)
        == load_frames(engine, "b", {RecordKind.INVOICE: COLUMNS[RecordKind.INVOICE]})[
            RecordKind.INVOICE
        ].columns.tolist()
    )
    _assert_fresh(engine, snapshots, "b")


def test_reading_adopted_frames_narrows_them_first(engine: Engine) -> None:
    snapshots = FrameSnapshots(COLUMNS)
    commit_invoices(engine, "b", invoice_rows(5))
    loaded, ids, newest = _adoptable(engine, snapshots, "currency")
    snapshots.adopt(engine, "b", loaded, ids, newest)
    kept, _ = snapshots.frames(engine, "b")
    assert "currency" not in kept[RecordKind.INVOICE].columns
    assert kept[RecordKind.INVOICE] is not loaded[RecordKind.INVOICE]


def test_frames_lacking_a_kept_column_are_not_adopted(engine: Engine) -> None:
    snapshots = FrameSnapshots(COLUMNS)
    commit_invoices(engine, "b", invoice_rows(3))
    loaded = load_frames(engine, "b", {RecordKind.INVOICE: ["issued_on"]}, with_ids=True)
    ids = {kind: frame.pop("id").to_numpy() for kind, frame in loaded.items()}
    assert snapshots.adopt(engine, "b", loaded, ids, snapshots.newest_event(engine, "b")) == set()
    _assert_fresh(engine, snapshots, "b")


def test_released_kinds_are_read_again(engine: Engine) -> None:
    snapshots = FrameSnapshots(COLUMNS)
    commit_invoices(engine, "b", invoice_rows(4))
    first, _ = snapshots.frames(engine, "b")
    snapshots.release(engine, "b", {RecordKind.INVOICE})
    again, _ = snapshots.frames(engine, "b")
    assert again[RecordKind.INVOICE] is not first[RecordKind.INVOICE]
    assert again[RecordKind.PAYMENT] is first[RecordKind.PAYMENT]
    _assert_fresh(engine, snapshots, "b")
    snapshots.release(engine, "b", set(COLUMNS))
    snapshots.release(engine, "other", set(COLUMNS))  # nothing kept: nothing to do
    _assert_fresh(engine, snapshots, "b")


def _stored(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as a load decodes it from its stored snapshot: a block per column."""
    payload = encode_frame(frame, np.arange(1, len(frame) + 1, dtype=np.int64))
    assert payload is not None
    return decode_frame(payload, list(frame.columns))[0]


def _texts(rows: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "status": pd.Series(["open", "paid", None] * rows, dtype=object),
            "source_id": pd.Series([f"INV-{n}" for n in range(3 * rows)], dtype=object),
            "memo": pd.Series(["x"] * 3 * rows, dtype=object),
        }
    )


def test_a_decoded_frame_is_narrowed_to_its_own_column_arrays() -> None:
    decoded = _stored(_texts(4))
    narrowed = _only(decoded, ["source_id", "status"])
    for name in ("source_id", "status"):
        assert np.shares_memory(narrowed[name].to_numpy(), decoded[name].to_numpy())
    # The column keeps the codes it was decoded with: its selections code as the column.
    with detection_pass():
        every_other = np.arange(len(narrowed)) % 2 == 0
        codes, values = column_codes(narrowed["source_id"][every_other])
        whole_codes, whole_values = text_codes(decoded["source_id"])
    assert values is whole_values
    assert codes.tolist() == whole_codes[::2].tolist()
    memo = weakref.ref(decoded["memo"].to_numpy().base)
    del decoded
    gc.collect()
    assert memo() is None  # the column nobody keeps goes with the frame
    pd.testing.assert_frame_equal(narrowed, _texts(4)[["source_id", "status"]])


def test_a_frame_of_shared_blocks_is_narrowed_to_a_copy() -> None:
    texts = _texts(4)
    frame = pd.DataFrame(texts.to_numpy(), columns=texts.columns, dtype=object)  # one block
    assert frame._mgr.nblocks == 1  # the three text columns in one block
    narrowed = _only(frame, ["source_id"])
    assert not np.shares_memory(narrowed["source_id"].to_numpy(), frame.to_numpy())
    pd.testing.assert_frame_equal(narrowed, _texts(4)[["source_id"]])
