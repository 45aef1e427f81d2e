"""The records ``duplicate_entry`` compares: manual ones sharing their subject and amount.

A record can repeat another only if both are for the same customer (or vendor), to the cent,
in the same currency. On a ledger that is a few per cent of the records, so the subject and
amount of every record are worked out first, and compared on codes (the subjects' keys
from :func:`detectors._subject_keys.subject_keys`, shared with ``recurring_invoice``), and the
rest of what a comparison needs (the content, the lines' signature, the supplier reference)
only for the records that share them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from detectors import _distinct as ds
from detectors import _documents as docs
from detectors import _frames as fr
from detectors._codes import combine, factor, frequent_rows
from detectors._subject_keys import subject_keys

#: What makes two records the same amount: the same subject, cents and currency.
AMOUNT = ["key", "cents", "currency"]
_VOID = frozenset({"void"})


@dataclass(frozen=True)
class Ledger:
    """A party's manual records: the subject of each, and those that share an amount."""

    #: Subject key of every manual, non-void record up to the day.
    keys: pd.Series[str]
    #: The records sharing their subject and amount with another, in ledger order.
    repeats: pd.DataFrame

    def checked(self, wanted: Iterable[str]) -> pd.Series[int]:
        """Records per subject key, for the ``wanted`` keys only (the subjects reported)."""
        keys = self.keys[self.keys.isin(list(wanted)).to_numpy()]
        return keys.value_counts()


def ledger(
    raw: pd.DataFrame, party: str, today: pd.Timestamp, lines: pd.DataFrame | None
) -> Ledger:
    """Manual, non-void records keyed by customer or vendor, with the amount in cents.

    In ``repeats``, ``content`` is what two records must share besides party and amount:
    the description, else (invoices with ``lines``) the lines' signature, else nothing;
    ``matched`` says which.

    Args:
        raw: Invoices or bills.
        party: ``"customer"`` or ``"vendor"``: which id and name columns key a record.
        today: Nothing issued later counts.
        lines: Invoice lines (``invoice_id``, ``item``, ``description``, ``quantity``,
            ``amount``) when given.
    """
    party_id = fr.as_text(raw[f"{party}_id"])
    party_name = fr.as_text(raw[f"{party}_name"])
    total = fr.as_money(raw["total"])
    status = fr.lowered(raw["status"])
    issued = fr.as_dates(raw["issued_on"])
    keys = subject_keys(raw, f"{party}_id", f"{party}_name")
    cents = np.round(total.to_numpy() * 100)
    currency = (
        ds.per_distinct(fr.as_text(raw["currency"]), _currency_code)
        .fillna("")
        .to_numpy(dtype=object)
    )
    keep = (
        fr.is_manual(raw["origin"]).to_numpy()
        & ~ds.lowered_in(raw["status"], _VOID)
        & (keys.codes >= 0)
        & total.notna().to_numpy()
        & (issued <= today).to_numpy()
    )
    # Records sharing subject, cents and currency (AMOUNT), found on the subjects' codes.
    amount = combine(keys.codes[keep], factor(cents[keep]), factor(currency[keep]))
    shared = np.zeros(len(raw), dtype=bool)
    shared[np.flatnonzero(keep)[frequent_rows(amount, 2)]] = True
    rows = raw[shared]
    source_id = fr.as_text(rows["source_id"])
    content, matched, line_count = _content(rows, source_id, lines)
    repeats = pd.DataFrame(
        {
            "party": party,
            "key": keys.text.to_numpy(dtype=object)[shared],
            "party_id": party_id[shared],
            "party_name": party_name[shared],
            "source_id": source_id,
            "source": fr.as_text(rows["source"]),
            "origin": rows["origin"].to_numpy(dtype=object, copy=True),  # not a view of raw
            "issued": issued[shared],
            "total": total[shared],
            "cents": cents[shared],
            "currency": currency[shared],
            "content": content,
            "matched": matched,
            "line_count": line_count,
            "number": fr.lowered(rows["number"]) if "number" in rows else None,
            "created_at": (fr.as_datetimes(rows["created_at"]) if "created_at" in rows else pd.NaT),
            "paid": (status[shared] == "paid").to_numpy(),
        },
        index=rows.index,
        copy=False,
    )
    return Ledger(keys=keys.text[keep], repeats=repeats)


def _content(
    rows: pd.DataFrame, source_id: pd.Series[str], lines: pd.DataFrame | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per record: what it must share with a repeat, how that was matched, its line count."""
    description = fr.lowered(rows["description"]).fillna("")
    described = (description != "").to_numpy()
    content = description.to_numpy(dtype=object).copy()
    matched = np.where(described, "description", "").astype(object)
    line_count = np.full(len(rows), np.nan)
    if lines is not None and len(lines) and len(rows):
        # Only the lines of these records: a signature depends on its own lines alone.
        own = lines[_lines_of(lines["invoice_id"], rows["source_id"], source_id)]
        signatures = docs.line_signatures(own)
        found = signatures.reindex(source_id.to_numpy())
        has_lines = found["signature"].notna().to_numpy()
        line_count[has_lines] = found["line_count"].to_numpy(dtype=float)[has_lines]
        by_lines = has_lines & ~described
        content[by_lines] = "lines:" + found["signature"].to_numpy(dtype=object)[by_lines]
        matched[by_lines] = "lines"
    return content, matched, line_count


def _lines_of(
    invoice_ids: pd.Series[Any], ids: pd.Series[Any], id_text: pd.Series[str]
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Per line, whether its invoice id (``invoice_ids``) is one of the records' ``ids``.

    ``id_text`` holds the ids as text. Through the stored link between the lines' and the
    invoices' ids when both were decoded from snapshots linked when written: no id hashed.
    """
    linked = _linked_lines_of(invoice_ids, ids)
    if linked is not None:
        return linked
    found: np.ndarray[Any, np.dtype[np.bool_]] = (
        fr.as_text(invoice_ids).isin(id_text).to_numpy(dtype=bool)
    )
    return found


def _linked_lines_of(
    invoice_ids: pd.Series[Any], ids: pd.Series[Any]
) -> np.ndarray[Any, np.dtype[np.bool_]] | None:
    """:func:`_lines_of` from the columns' stored codes and their link; None without one."""
    link = ds.linked(invoice_ids, ids)
    if link is None:
        return None
    (reference_codes, _), (id_codes, id_values), found = link.referring, link.referred, link.found
    if (id_codes < 0).any():  # a record without an id: compared as text, nulls and all
        return None
    wanted = np.zeros(len(id_values) + 1, dtype=bool)  # the last: an id no record has
    wanted[id_codes] = True
    per_reference = wanted[np.where(found >= 0, found, len(id_values))]
    # A null reference (code -1) takes the False appended last.
    in_records: np.ndarray[Any, np.dtype[np.bool_]] = np.append(per_reference, False)[
        reference_codes
    ]
    return in_records


def _currency_code(text: str) -> str:
    """A currency as records are compared by it: trimmed, upper case."""
    return text.strip().upper()
