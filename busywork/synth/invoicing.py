"""Invoice drafts from every generator, numbered in issue order and settled into three frames."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from busywork.synth.collection import settle
from busywork.synth.columns import (
    Chunks,
    FloatArray,
    IntArray,
    ObjArray,
    TimeArray,
    filled,
    objects,
    shift,
)
from busywork.synth.writer import make_frame

INVOICE_DRAFT = (
    "customer",
    "issued",
    "created",
    "origin",
    "template_id",
    "description",
    "autopay",
    "noisy",
)
LINE_DRAFT = ("invoice", "description", "item", "quantity", "unit", "amount")


class InvoiceDrafts:
    """Invoices and their lines as generators propose them, before numbering and payment."""

    def __init__(self) -> None:
        self.invoices = Chunks(INVOICE_DRAFT)
        self.lines = Chunks(LINE_DRAFT)

    def add(
        self,
        *,
        customer: IntArray,
        issued: TimeArray,
        created: TimeArray,
        origin: str,
        description: ObjArray,
        line_invoice: IntArray,
        line_description: ObjArray,
        item: ObjArray,
        quantity: FloatArray,
        unit: IntArray,
        template_id: ObjArray | None = None,
        autopay: bool = False,
        noisy: bool = False,
    ) -> range:
        """Append invoices; ``line_invoice`` indexes this call's invoices. Returns draft rows."""
        count = len(customer)
        rows = self.invoices.add(
            customer=customer.astype(np.int64),
            issued=issued.astype("datetime64[D]"),
            created=created.astype("datetime64[s]"),
            origin=filled(count, origin),
            template_id=template_id if template_id is not None else filled(count, None),
            description=description,
            autopay=np.full(count, autopay),
            noisy=np.full(count, noisy),
        )
        self.lines.add(
            invoice=line_invoice.astype(np.int64) + rows.start,
            description=line_description,
            item=item,
            quantity=quantity.astype(np.float64),
            unit=unit.astype(np.int64),
            amount=np.round(quantity * unit).astype(np.int64),
        )
        return rows


@dataclass(frozen=True)
class Invoicing:
    """The three frames plus the final row (and id) of every draft invoice (-1 if dropped)."""

    invoices: pd.DataFrame
    invoice_lines: pd.DataFrame
    payments: pd.DataFrame
    rank: IntArray
    ids: ObjArray


def _ids(prefix: str, count: int, width: int = 5) -> ObjArray:
    return objects([f"{prefix}{number:0{width}d}" for number in range(1, count + 1)])


def assemble(
    rng: np.random.Generator,
    drafts: InvoiceDrafts,
    customers: dict[str, npt.NDArray[Any]],
    customer_ids: ObjArray,
    *,
    end: date,
    slow: bool,
    late_chance: FloatArray | None = None,
    late_rng: np.random.Generator | None = None,
) -> Invoicing:
    """Number invoices by issue date, total their lines, settle them and build the frames.

    ``late_chance`` gives, per customer (row of ``customers``), the chance each of their
    invoices is paid 25-60 days late, drawn from ``late_rng``.
    """
    inv = drafts.invoices.build()
    lines = drafts.lines.build()
    draft_count = len(inv["customer"])
    kept = np.flatnonzero(inv["issued"] <= np.datetime64(end, "D"))
    order = kept[np.lexsort((kept, inv["created"][kept], inv["issued"][kept]))]
    rank = np.full(draft_count, -1, dtype=np.int64)
    rank[order] = np.arange(len(order))
    inv = {name: column[order] for name, column in inv.items()}
    count = len(order)
    ids = _ids("INV-", count)

    line_rank = rank[lines["invoice"]]
    keep_lines = line_rank >= 0
    line_order = np.flatnonzero(keep_lines)
    line_order = line_order[np.lexsort((line_order, line_rank[line_order]))]
    owner = line_rank[line_order]
    lines = {name: column[line_order] for name, column in lines.items()}
    starts = np.searchsorted(owner, owner, side="left")
    line_no = np.arange(len(owner)) - starts + 1
    total = np.bincount(owner, weights=lines["amount"], minlength=count).round().astype(np.int64)

    customer = inv["customer"]
    due = inv["issued"] + customers["terms"][customer].astype("timedelta64[D]")
    currency = customers["currency"][customer]
    outcome = settle(
        rng,
        issued=inv["issued"],
        due=due,
        created=inv["created"],
        total=total,
        autopay=inv["autopay"].astype(np.bool_),
        noisy=inv["noisy"].astype(np.bool_),
        slow=slow,
        end=end,
        late=None if late_chance is None else late_chance[customer],
        late_rng=late_rng,
    )
    invoices = make_frame(
        "invoices",
        {
            "source_id": ids,
            "origin": inv["origin"],
            "created_at": inv["created"],
            "updated_at": outcome.updated,
            "customer_id": customer_ids[customer],
            "customer_name": customers["name"][customer],
            "customer_email": customers["email"][customer],
            "number": ids,
            "status": outcome.status,
            "issued_on": inv["issued"],
            "due_on": due,
            "paid_at": outcome.paid_at,
            "total": total,
            "balance": outcome.balance,
            "currency": currency,
            "template_id": inv["template_id"],
            "description": inv["description"],
        },
    )
    line_ids = objects(
        [f"{ids[o]}:{n}" for o, n in zip(owner.tolist(), line_no.tolist(), strict=True)]
    )
    invoice_lines = make_frame(
        "invoice_lines",
        {
            "source_id": line_ids,
            "origin": inv["origin"][owner],
            "created_at": inv["created"][owner],
            "updated_at": inv["created"][owner],
            "invoice_id": ids[owner],
            "line_no": line_no,
            "description": lines["description"],
            "item": lines["item"],
            "quantity": lines["quantity"],
            "unit_price": lines["unit"],
            "amount": lines["amount"],
        },
    )
    payments = _payments(
        outcome.invoice,
        outcome.payment_at,
        outcome.amount,
        method=outcome.method,
        end=end,
        invoice_ids=ids,
        customer_ids=customer_ids[customer],
        currency=currency,
    )
    return Invoicing(invoices, invoice_lines, payments, rank, ids)


def _payments(
    invoice: IntArray,
    at: TimeArray,
    amount: IntArray,
    *,
    method: ObjArray,
    end: date,
    invoice_ids: ObjArray,
    customer_ids: ObjArray,
    currency: ObjArray,
) -> pd.DataFrame:
    """The payments frame, numbered in the order the money arrived."""
    order = np.lexsort((np.arange(len(invoice)), invoice, at))
    invoice, at, amount, method = invoice[order], at[order], amount[order], method[order]
    # Card and cash payments are keyed in at the till; bank transfers when the statement lands
    # (by the snapshot at the latest).
    delay = np.where(method == "bank_transfer", 86400, 600)
    recorded = np.minimum(shift(at, delay), np.datetime64(end, "s") + np.timedelta64(86399, "s"))
    return make_frame(
        "payments",
        {
            "source_id": _ids("PAY-", len(order)),
            "origin": filled(len(order), "manual"),
            "created_at": recorded,
            "updated_at": recorded,
            "invoice_id": invoice_ids[invoice],
            "customer_id": customer_ids[invoice],
            "paid_at": at,
            "amount": amount,
            "currency": currency[invoice],
            "method": method,
            # Money received only: bills in the synthetic books carry their own paid_at.
            "bill_id": filled(len(order), None),
            "vendor_id": filled(len(order), None),
        },
    )


def session_lines(
    rng: np.random.Generator,
    description: ObjArray,
    item: ObjArray,
    price: IntArray,
    extras: tuple[tuple[str, str, int], ...],
) -> tuple[IntArray, ObjArray, ObjArray, FloatArray, IntArray]:
    """One main line per invoice plus up to two add-on lines; returns line columns.

    The columns are ``(invoice, description, item, quantity, unit)`` with ``invoice`` the
    position of the owning invoice in the inputs.
    """
    count = len(description)
    extra_count = np.minimum(rng.choice(3, size=count, p=(0.62, 0.28, 0.10)), len(extras))
    per = 1 + extra_count
    invoice = np.repeat(np.arange(count, dtype=np.int64), per)
    first = np.zeros(len(invoice), dtype=np.bool_)
    first[np.cumsum(per) - per] = True
    pick = rng.integers(len(extras), size=len(invoice))
    extra_desc = objects([extra[0] for extra in extras])[pick]
    extra_item = objects([extra[1] for extra in extras])[pick]
    extra_price = np.asarray([extra[2] for extra in extras], dtype=np.int64)[pick]
    quantity = np.where(first, 1.0, rng.integers(1, 4, size=len(invoice)).astype(np.float64))
    return (
        invoice,
        np.where(first, description[invoice], extra_desc),
        np.where(first, item[invoice], extra_item),
        quantity,
        np.where(first, price[invoice], extra_price).astype(np.int64),
    )
