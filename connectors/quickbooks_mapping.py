"""QuickBooks Online entities to canonical rows (shapes per Intuit's v3 schema, minor version 75).

Transactions made from a recurring template carry ``RecurDataRef`` and get
``origin=template``. Amounts are decimal already. ``TxnDate``/``DueDate`` are plain dates;
``MetaData`` times carry the company's UTC offset and are kept as instants. Credit memos
and refund receipts are sales transactions of the same shape as invoices: they become
invoice rows of type ``credit_note`` and ``refund`` with the amounts negated, under ids of
their own (``CreditMemo:<Id>``) since only the pair of type and id names a transaction. A
customer ``Payment`` becomes one payment row per invoice it settles, a vendor payment
(``BillPayment``) one per bill; an invoice's own record has no payment date, and detectors
take it from these rows (``detectors._payments``). The templates
themselves (``RecurringTransaction``) are mapped in :mod:`connectors.quickbooks_templates`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from busywork.store.doc_types import CREDIT_NOTE, INVOICE, REFUND
from busywork.store.records import Origin, RecordKind

Pair = tuple[RecordKind, dict[str, Any]]
Mapper = Callable[[Mapping[str, Any]], Iterator[Pair]]


def updated_ms(entity: Mapping[str, Any]) -> int:
    """``MetaData.LastUpdatedTime`` as epoch milliseconds (the keyset cursor)."""
    return int(datetime.fromisoformat(entity["MetaData"]["LastUpdatedTime"]).timestamp() * 1000)


def meta_times(entity: Mapping[str, Any]) -> dict[str, Any]:
    """``created_at``/``updated_at`` from the entity's ``MetaData``."""
    meta = entity.get("MetaData") or {}
    return {"created_at": meta.get("CreateTime"), "updated_at": meta.get("LastUpdatedTime")}


def ref(entity: Mapping[str, Any], key: str, part: str = "value") -> str | None:
    """One part (``value`` or ``name``) of a ``…Ref``, as text (None if absent)."""
    value = (entity.get(key) or {}).get(part)
    return None if value is None else str(value)


def _origin(entity: Mapping[str, Any]) -> tuple[str, str | None]:
    template = ref(entity, "RecurDataRef")
    return (Origin.TEMPLATE if template else Origin.MANUAL).value, template


def map_party(kind: RecordKind) -> Mapper:
    """Maps a Customer or Vendor (inactive ones too: their history still counts)."""

    def mapper(entity: Mapping[str, Any]) -> Iterator[Pair]:
        row = {
            "source_id": str(entity["Id"]),
            "name": entity["DisplayName"],
            "email": ref(entity, "PrimaryEmailAddr", "Address"),
            "origin": Origin.MANUAL.value,
            **meta_times(entity),
        }
        if kind is RecordKind.CUSTOMER:
            row["phone"] = ref(entity, "PrimaryPhone", "FreeFormNumber")
        yield kind, row

    return mapper


def _is_void(entity: Mapping[str, Any]) -> bool:
    # QuickBooks voids by zeroing the amounts and writing "Voided" in the private note.
    return float(entity["TotalAmt"]) == 0 and "voided" in str(entity.get("PrivateNote", "")).lower()


#: Sales transactions read as invoice rows: their document type, and the sign of their money.
SALES_DOCUMENTS: dict[str, tuple[str, int]] = {
    "Invoice": (INVOICE, 1),
    "CreditMemo": (CREDIT_NOTE, -1),
    "RefundReceipt": (REFUND, -1),
}


def row_id(entity: str, ident: str) -> str:
    """The ``source_id`` of a transaction: its Id (``CreditMemo:<Id>``, ``RefundReceipt:<Id>``).

    QuickBooks names a transaction by type and id together (``LinkedTxn`` carries both);
    the entities read before these two keep their bare ids, as stored.
    """
    return f"{entity}:{ident}" if entity in ("CreditMemo", "RefundReceipt") else ident


def invoice_mapper(currency: str, entity: str = "Invoice") -> Mapper:
    """Maps an Invoice, CreditMemo or RefundReceipt and its sales lines.

    Args:
        currency: the company's currency, for transactions without ``CurrencyRef``.
        entity: which of the :data:`SALES_DOCUMENTS` the mapper reads.
    """
    doc_type, sign = SALES_DOCUMENTS[entity]

    def mapper(invoice: Mapping[str, Any]) -> Iterator[Pair]:
        origin, template = _origin(invoice)
        total, balance = float(invoice["TotalAmt"]), float(invoice.get("Balance", 0))
        status = "void" if _is_void(invoice) else "paid" if balance == 0 and total > 0 else "open"
        if entity == "RefundReceipt" and status != "void":
            status = "paid"  # the money went back when the receipt was written
        invoice_id = row_id(entity, str(invoice["Id"]))
        yield (
            RecordKind.INVOICE,
            {
                "source_id": invoice_id,
                "customer_id": ref(invoice, "CustomerRef"),
                "customer_name": ref(invoice, "CustomerRef", "name"),
                "customer_email": ref(invoice, "BillEmail", "Address"),
                "number": invoice.get("DocNumber"),
                "status": status,
                "issued_on": invoice["TxnDate"],
                "due_on": invoice.get("DueDate"),
                "total": sign * total,
                "balance": sign * balance + 0.0,  # no negative zero
                "currency": ref(invoice, "CurrencyRef") or currency,
                "template_id": template,
                "description": ref(invoice, "CustomerMemo"),
                # An Invoice's type follows its total's sign in the store (zero: "zero").
                "doc_type": None if entity == "Invoice" else doc_type,
                "origin": origin,
                **meta_times(invoice),
            },
        )
        for line in invoice.get("Line") or []:
            if line.get("DetailType") != "SalesItemLineDetail":
                continue  # subtotal, discount and group lines repeat other lines' money
            detail = line.get("SalesItemLineDetail") or {}
            yield (
                RecordKind.INVOICE_LINE,
                {
                    "source_id": f"{invoice_id}:{line['Id']}",
                    "invoice_id": invoice_id,
                    "line_no": line.get("LineNum") or line["Id"],
                    "description": line.get("Description"),
                    "item": ref(detail, "ItemRef", "name"),
                    "quantity": detail.get("Qty"),
                    "unit_price": detail.get("UnitPrice"),
                    "amount": sign * float(line["Amount"]),
                    "origin": origin,
                },
            )

    return mapper


def payment_mapper(currency: str) -> Mapper:
    """Maps a customer Payment: one payment row per invoice it settles.

    A payment applied to several invoices settles every one of them, each by its line's
    ``Amount``: the rows are named ``<payment id>:<invoice id>``. A payment applied to no
    invoice (a deposit, a credit) is one row named after the payment, with no invoice.
    """

    def mapper(payment: Mapping[str, Any]) -> Iterator[Pair]:
        payment_id = str(payment["Id"])
        common = {
            "customer_id": ref(payment, "CustomerRef"),
            "paid_at": payment["TxnDate"],
            "currency": ref(payment, "CurrencyRef") or currency,
            "method": ref(payment, "PaymentMethodRef", "name"),
            "origin": Origin.MANUAL.value,
            **meta_times(payment),
        }
        applied: dict[str, float] = {}
        for line in payment.get("Line") or []:
            for link in line.get("LinkedTxn") or []:
                if link.get("TxnType") != "Invoice":
                    continue  # credit memos and journals applied to the payment
                invoice_id = str(link["TxnId"])
                applied[invoice_id] = applied.get(invoice_id, 0.0) + float(line["Amount"])
        if not applied:
            yield (
                RecordKind.PAYMENT,
                {
                    "source_id": payment_id,
                    "invoice_id": None,
                    "amount": float(payment["TotalAmt"]),
                    **common,
                },
            )
        for invoice_id, amount in applied.items():
            yield (
                RecordKind.PAYMENT,
                {
                    "source_id": split_payment_row_id(payment_id, invoice_id),
                    "invoice_id": invoice_id,
                    "amount": amount,
                    **common,
                },
            )

    return mapper


def split_payment_row_id(payment_id: str, document_id: str) -> str:
    """The payment row of one document a payment settles: ``<payment id>:<document id>``."""
    return f"{payment_id}:{document_id}"


def bill_payment_row_id(payment_id: str, bill_id: str) -> str:
    """The payment row of one bill settled by a BillPayment: ``<payment id>:<bill id>``."""
    return split_payment_row_id(payment_id, bill_id)


def bill_payment_mapper(currency: str) -> Mapper:
    """Maps a BillPayment: one payment row per bill it settles, each with that line's amount."""

    def mapper(payment: Mapping[str, Any]) -> Iterator[Pair]:
        payment_id = str(payment["Id"])
        common = {
            "vendor_id": ref(payment, "VendorRef"),
            "paid_at": payment["TxnDate"],
            "currency": ref(payment, "CurrencyRef") or currency,
            "method": payment.get("PayType"),
            "origin": Origin.MANUAL.value,
            **meta_times(payment),
        }
        for line in payment.get("Line") or []:
            for link in line.get("LinkedTxn") or []:
                if link.get("TxnType") != "Bill":
                    continue  # vendor credits and journals applied to the payment
                bill_id = str(link["TxnId"])
                yield (
                    RecordKind.PAYMENT,
                    {
                        "source_id": bill_payment_row_id(payment_id, bill_id),
                        "bill_id": bill_id,
                        "amount": float(line["Amount"]),
                        **common,
                    },
                )

    return mapper


def journal_accounts(entry: Mapping[str, Any]) -> tuple[str, float]:
    """The ``|``-joined sorted accounts a JournalEntry touches, and its debit total."""
    accounts: set[str] = set()
    debits = 0.0
    for line in entry.get("Line") or []:
        detail = line.get("JournalEntryLineDetail")
        if not detail:
            continue
        accounts.add(str(detail["AccountRef"].get("name") or detail["AccountRef"]["value"]))
        if detail.get("PostingType") == "Debit":
            debits += float(line["Amount"])
    return "|".join(sorted(accounts)), debits


def journal_debit_account(entry: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The (Account ``Id``, name) of a JournalEntry's largest debit line, if it has one."""
    best: tuple[float, str | None, str | None] | None = None
    for line in entry.get("Line") or []:
        detail = line.get("JournalEntryLineDetail")
        if not detail or detail.get("PostingType") != "Debit":
            continue
        account = detail.get("AccountRef") or {}
        amount = float(line.get("Amount") or 0)
        if best is None or amount > best[0]:  # the first line wins a tie
            best = (amount, account.get("value"), account.get("name"))
    if best is None:
        return None, None
    _, account_id, name = best
    return (str(account_id) if account_id else None), (str(name) if name else None)


#: ``TxnApprovalInfo.ApprovalStatus`` values of a bill still waiting for someone's approval.
AWAITING_APPROVAL = frozenset({"PENDING_APPROVAL", "REQUIRES_APPROVAL", "IN_PROGRESS"})


def approval(bill: Mapping[str, Any], status: str) -> dict[str, Any]:
    """Status and approval time a bill's ``TxnApprovalInfo`` adds (empty without approvals).

    QuickBooks Online with bill approval workflows says on each bill where it stands
    (``ApprovalStatus``) and when that last changed (``LastChangedDate``): an approved bill's
    change is its approval. A bill still pending is ``awaiting_approval``; a rejected one goes
    back to whoever keyed it (``draft``). Without approval workflows the field is absent and
    an unpaid bill is simply approved, with no date.
    """
    info = bill.get("TxnApprovalInfo") or {}
    state = str(info.get("ApprovalStatus") or "").upper()
    if not state or (status in ("void", "paid") and state in AWAITING_APPROVAL):
        return {}
    if state == "APPROVED":
        return {"approved_at": info.get("LastChangedDate")}
    if state == "REJECTED":
        return {"status": "draft"}
    return {"status": "awaiting_approval"} if state in AWAITING_APPROVAL else {}


def bill_mapper(currency: str) -> Mapper:
    """Maps a Bill, with its approval status and time when approval workflows are on."""

    def mapper(bill: Mapping[str, Any]) -> Iterator[Pair]:
        origin, _ = _origin(bill)
        total, balance = float(bill["TotalAmt"]), float(bill.get("Balance", 0))
        status = "void" if _is_void(bill) else "paid" if balance == 0 and total > 0 else "approved"
        yield (
            RecordKind.BILL,
            {
                "source_id": str(bill["Id"]),
                "vendor_id": ref(bill, "VendorRef"),
                "vendor_name": ref(bill, "VendorRef", "name"),
                "number": bill.get("DocNumber"),
                "status": status,
                "issued_on": bill["TxnDate"],
                "due_on": bill.get("DueDate"),
                "total": total,
                "currency": ref(bill, "CurrencyRef") or currency,
                "description": bill.get("PrivateNote") or None,
                "origin": origin,
                **meta_times(bill),
                **approval(bill, status),
            },
        )

    return mapper


def journal_mapper(currency: str) -> Mapper:
    """Maps a JournalEntry: the accounts it touches and its debit total."""

    def mapper(entry: Mapping[str, Any]) -> Iterator[Pair]:
        origin, _ = _origin(entry)
        accounts, debits = journal_accounts(entry)
        debit_id, debit_name = journal_debit_account(entry)
        yield (
            RecordKind.JOURNAL_ENTRY,
            {
                "source_id": str(entry["Id"]),
                "posted_on": entry["TxnDate"],
                "accounts": accounts,
                "amount": debits,
                "debit_account_id": debit_id,
                "debit_account": debit_name or debit_id,
                "currency": ref(entry, "CurrencyRef") or currency,
                "memo": entry.get("PrivateNote") or None,
                "origin": origin,
                **meta_times(entry),
            },
        )

    return mapper
