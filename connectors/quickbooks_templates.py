"""QuickBooks Online recurring templates (``RecurringTransaction``), read whole every poll.

A ``RecurringTransaction`` wraps the template transaction under its type, e.g.
``{"Invoice": {"Id": "7", "CustomerRef": …, "RecurringInfo": {"Name", "RecurType",
"Active", "ScheduleInfo": {"IntervalType", "NumInterval", "NextDate", "EndDate", …}}}}``
(Intuit's ``IntuitRestServiceDef.xsd``). Its time stamps live inside the wrapped
transaction, so neither a ``Metadata.LastUpdatedTime`` filter nor ordering is documented for
it, and Intuit does not document CDC for it either; busywork therefore pages through
``SELECT * FROM RecurringTransaction`` on every poll (one request per 1000 templates) and
infers deletions from ids that stop coming back (:mod:`connectors.snapshot`). Templates
for invoices, bills and journal entries are kept; other kinds (sales receipts, expenses,
transfers …) are ignored, as no detector reads them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from busywork.store.records import Origin, RecordKind
from connectors.base import SyncPage
from connectors.paging import OffsetPaginator
from connectors.quickbooks_mapping import Mapper, Pair, journal_accounts, meta_times, ref
from connectors.rest import Rows
from connectors.snapshot import Snapshot

ENTITY = "RecurringTransaction"
#: Cursor key holding the template ids of the last complete read.
CURSOR_KEY = "templates"
#: Template transaction type -> (canonical document, the counterparty reference).
_DOCUMENTS: dict[str, tuple[str, str | None]] = {
    "Invoice": ("invoice", "CustomerRef"),
    "Bill": ("bill", "VendorRef"),
    "JournalEntry": ("journal_entry", None),
}
_UNITS = {"Daily": "day", "Weekly": "week", "Monthly": "month", "Yearly": "year"}
#: ``Manual`` appears in the XSD's documentation next to ``UnScheduled``: used by hand.
_SCHEDULES = {
    "Automated": "automated",
    "Reminded": "reminded",
    "UnScheduled": "unscheduled",
    "Manual": "unscheduled",
}
#: Fetches a path with query parameters and returns the JSON body.
Getter = Callable[[str, dict[str, Any]], Mapping[str, Any]]


def unwrap(wrapper: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """The wrapped transaction's type and body.

    Raises:
        ValueError: the object wraps no transaction.
    """
    for entity, body in wrapper.items():
        if isinstance(body, Mapping) and "Id" in body:
            return entity, body
    raise ValueError("the RecurringTransaction wraps no transaction")


def template_id(wrapper: Mapping[str, Any]) -> str:
    """The template's id (the wrapped transaction's ``Id``)."""
    return str(unwrap(wrapper)[1]["Id"])


def template_mapper(currency: str) -> Mapper:
    """Maps a RecurringTransaction of an invoice, bill or journal entry to a template row."""

    def mapper(wrapper: Mapping[str, Any]) -> Iterator[Pair]:
        entity, txn = unwrap(wrapper)
        if entity not in _DOCUMENTS:
            return
        document, party = _DOCUMENTS[entity]
        info = txn["RecurringInfo"]
        schedule = info.get("ScheduleInfo") or {}
        accounts, debits = journal_accounts(txn) if entity == "JournalEntry" else (None, 0.0)
        total = debits if entity == "JournalEntry" else txn.get("TotalAmt")
        yield (
            RecordKind.RECURRING_TEMPLATE,
            {
                "source_id": str(txn["Id"]),
                "document": document,
                "name": info.get("Name") or None,
                "counterparty_id": ref(txn, party) if party else None,
                "counterparty_name": ref(txn, party, "name") if party else None,
                "accounts": accounts or None,
                "schedule": _SCHEDULES.get(str(info.get("RecurType")), "unscheduled"),
                "cadence_unit": _UNITS.get(str(schedule.get("IntervalType"))),
                "cadence_every": schedule.get("NumInterval"),
                "next_on": schedule.get("NextDate"),
                "end_on": schedule.get("EndDate"),
                "active": bool(info.get("Active", True)),
                "total": total,
                "currency": ref(txn, "CurrencyRef") or currency,
                "origin": Origin.MANUAL.value,
                **meta_times(txn),
            },
        )

    return mapper


def template_pages(
    get: Getter,
    company: str,
    *,
    size: int,
    cursor: dict[str, Any],
    currency: str,
    timezone: str,
) -> Iterator[SyncPage]:
    """Every template, one page per request; the last page deletes the vanished ones."""
    snapshot = Snapshot(cursor, CURSOR_KEY)
    paginator = OffsetPaginator(size)
    mapper = template_mapper(currency)
    live: list[str] = []
    while not paginator.done:
        sql = f"SELECT * FROM {ENTITY} STARTPOSITION {paginator.position} MAXRESULTS {size}"
        body = get(f"{company}/query", {"query": sql})
        objects = (body.get("QueryResponse") or {}).get(ENTITY) or []
        rows = Rows("quickbooks")
        rows.add_objects(ENTITY, objects, mapper)
        ids = []
        for obj in objects:
            try:
                ids.append(template_id(obj))
            except (AttributeError, KeyError, ValueError):
                continue  # reported by add_objects
        snapshot.add(ids)
        live += ids
        paginator.advance(len(objects))
        if paginator.done:
            for ident in snapshot.vanished():
                rows.delete(RecordKind.RECURRING_TEMPLATE, ident)
            page_cursor = snapshot.complete(cursor, live)
        else:
            page_cursor = snapshot.carry(cursor)
        batches, problems = rows.batches(timezone)
        yield SyncPage(batches=batches, cursor=page_cursor, problems=problems)
