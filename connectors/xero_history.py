"""What Xero's ``…/History`` endpoints say about a record: when it was entered and approved.

Xero keeps no approval time on a bill and no creation time on a manual journal; their
history records do. The connector asks for a record's history only when it can say
something (:func:`needs_history`), one request per record.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.xero_mapping import ms_epoch

#: Bill statuses past the draft: entered for approval, approved, paid.
BILL_HISTORY_STATUSES = frozenset({"SUBMITTED", "AUTHORISED", "PAID"})


def needs_history(invoice: Any) -> bool:
    """Whether a bill's history can say when it was entered and approved (drafts cannot)."""
    return (
        isinstance(invoice, Mapping)
        and invoice.get("Type") == "ACCPAY"
        and bool(invoice.get("InvoiceID"))
        and str(invoice.get("Status")) in BILL_HISTORY_STATUSES
    )


def bill_history(body: Any) -> dict[str, Any]:
    """``created_at`` and ``approved_at`` from a ``/Invoices/{id}/History`` response.

    Xero keeps no approval time on the bill itself; its history does: the record whose
    ``Changes`` is ``Created`` says when the bill was entered, the latest ``Approved`` one
    when it was approved. Records that are not dated are ignored.
    """
    records = body.get("HistoryRecords") if isinstance(body, Mapping) else None
    when: dict[str, list[int]] = {}
    for record in records if isinstance(records, list) else []:
        if not isinstance(record, Mapping):
            continue
        try:
            moment = ms_epoch(record.get("DateUTC"))
        except ValueError:
            continue
        when.setdefault(str(record.get("Changes") or "").strip().lower(), []).append(moment)
    out: dict[str, Any] = {}
    if when.get("created"):
        out["created_at"] = _iso_ms(min(when["created"]))
    if when.get("approved"):
        out["approved_at"] = _iso_ms(max(when["approved"]))
    return out


def first_recorded(body: Any) -> str | None:
    """When the first dated record of a ``…/History`` response happened (ISO UTC), if any.

    Xero's manual journals carry no creation time; the first thing their history records
    (created, posted) is when someone keyed the journal in.
    """
    records = body.get("HistoryRecords") if isinstance(body, Mapping) else None
    moments: list[int] = []
    for record in records if isinstance(records, list) else []:
        if not isinstance(record, Mapping):
            continue
        try:
            moments.append(ms_epoch(record.get("DateUTC")))
        except ValueError:
            continue
    return _iso_ms(min(moments)) if moments else None


def _iso_ms(moment: int) -> str:
    return datetime.fromtimestamp(moment / 1000, UTC).isoformat()
