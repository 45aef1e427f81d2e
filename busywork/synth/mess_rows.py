"""Helpers the mess profiles share: appending typed rows, writing decoys into the truth."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

#: Subject id of a decoy that forbids every finding of its kind.
ANY = "*"


def append(frame: pd.DataFrame, rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """``frame`` with ``rows`` added at the end, cast to the frame's column types."""
    extra = pd.DataFrame(list(rows), columns=frame.columns)
    if extra.empty:
        return frame
    for column, dtype in frame.dtypes.items():
        extra[column] = extra[column].astype(dtype)
    return pd.concat([frame, extra], ignore_index=True)


def decoy(
    truth: dict[str, Any], kind: str, subject_id: str | None, name: str, why: str, *, of: str
) -> None:
    """Record that ``kind`` must not be reported for the subject (``ANY``: for any subject)."""
    truth["decoys"].append(
        {"kind": kind, "subject": {"type": of, "id": subject_id, "name": name}, "why": why}
    )


def uncheckable(truth: dict[str, Any], kind: str, why: str) -> None:
    """Record a kind the data cannot support, which the scan should say it did not check."""
    truth["uncheckable"].append({"kind": kind, "why": why})


def drop_planted(truth: dict[str, Any], kinds: set[str]) -> list[dict[str, Any]]:
    """Remove planted findings of ``kinds`` (the mess took their evidence away); return them."""
    dropped = [item for item in truth["planted"] if item["kind"] in kinds]
    truth["planted"] = [item for item in truth["planted"] if item["kind"] not in kinds]
    return dropped


def planted_ids(truth: dict[str, Any], kind: str) -> list[str]:
    """Subject ids planted for ``kind``, in truth order."""
    return [
        str(item["subject"]["id"])
        for item in truth["planted"]
        if item["kind"] == kind and item["subject"]["id"] is not None
    ]


def busy_ids(truth: dict[str, Any]) -> set[str]:
    """Every subject id the truth already speaks about (planted or decoy)."""
    return {
        str(item["subject"]["id"])
        for item in [*truth["planted"], *truth["decoys"]]
        if item["subject"]["id"] is not None
    }


def quiet_customers(
    frames: Mapping[str, pd.DataFrame], truth: dict[str, Any], *, least: int = 2
) -> list[str]:
    """Customers with at least ``least`` invoices that no truth entry mentions, by id."""
    invoices = frames["invoices"]
    counts = invoices["customer_id"].value_counts()
    busy = busy_ids(truth)
    return sorted(str(c) for c, n in counts.items() if n >= least and str(c) not in busy)
