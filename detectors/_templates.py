"""Recurring templates: subjects whose documents the accounting tool already creates.

A customer with an active repeating-invoice template, a vendor with an active repeating
bill, or an accounts signature with an active repeating journal needs no "set up a template"
finding, even while older invoices keyed by hand still form a run. A template counts when
it is active, runs on a schedule (``automated`` or ``reminded``, not ``unscheduled``) and
has not ended before ``as_of``. Businesses without templates (CSV, Stripe, the synthetic
demo) give no template frame or an empty one and are unaffected.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from busywork.store.records import RecordKind
from detectors import _frames as fr
from detectors.base import DetectionContext, Frames

#: The template columns the recurring detectors read (an optional input).
TEMPLATE_COLUMNS: tuple[str, ...] = (
    "source_id",
    "source",
    "document",
    "counterparty_id",
    "counterparty_name",
    "accounts",
    "schedule",
    "active",
    "end_on",
)
OPTIONAL_TEMPLATES: dict[RecordKind, tuple[str, ...]] = {
    RecordKind.RECURRING_TEMPLATE: TEMPLATE_COLUMNS
}


def active_templates(frames: Frames, document: str, context: DetectionContext) -> pd.DataFrame:
    """Templates creating ``document`` that are active, scheduled and not ended at ``as_of``."""
    raw = frames.get(RecordKind.RECURRING_TEMPLATE)
    if raw is None or raw.empty:
        return pd.DataFrame(columns=list(TEMPLATE_COLUMNS))
    ends = fr.as_dates(raw["end_on"])
    keep = (
        (fr.lowered(raw["document"]) == document).fillna(False).to_numpy()
        & raw["active"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        & (fr.lowered(raw["schedule"]) != "unscheduled").fillna(True).to_numpy()
        & (ends.isna() | (ends >= fr.as_of(context).normalize())).to_numpy()
    )
    return raw[keep]


def without_templated(
    items: pd.DataFrame,
    frames: Frames,
    context: DetectionContext,
    *,
    document: str,
    id_column: str,
    name_column: str,
) -> pd.DataFrame:
    """``items`` less every counterparty an active ``document`` template already automates.

    The rows keep their labels: rows of a loaded frame are recognised by them, so their
    text is not coded again (:func:`detectors._distinct.text_codes`).
    """
    templates = active_templates(frames, document, context)
    automated = automated_keys(items, templates, id_column=id_column, name_column=name_column)
    return items[~automated.to_numpy()]


def automated_keys(
    items: pd.DataFrame, templates: pd.DataFrame, *, id_column: str, name_column: str
) -> pd.Series[bool]:
    """Rows of ``items`` whose ``key`` belongs to a counterparty with a template.

    A counterparty matches on the same source and id (ids mean something only within one
    source), or on the normalised name (a template in one tool, invoices in another).
    """
    if templates.empty or items.empty:
        return pd.Series(False, index=items.index)
    template_ids = pd.MultiIndex.from_arrays(
        [fr.as_text(templates["source"]), fr.as_text(templates["counterparty_id"])]
    )
    item_ids = pd.MultiIndex.from_arrays([items["source"], items[id_column]])
    names = fr.normalise_name(templates["counterparty_name"]).dropna()
    matched = (items[id_column].notna().to_numpy() & item_ids.isin(template_ids)) | (
        fr.normalise_name(items[name_column]).isin(set(names)).to_numpy()
    )
    return items["key"].isin(set(items.loc[matched, "key"]))


def automated_signatures(templates: pd.DataFrame, signature: Any) -> set[str]:
    """The accounts signatures of journal ``templates`` (``signature`` normalises them)."""
    if templates.empty:
        return set()
    return set(signature(templates["accounts"]).dropna())
