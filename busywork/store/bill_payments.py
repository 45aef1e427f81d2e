"""Split payments: which rows a payment owns, and when each bill was paid.

Bills from QuickBooks carry no payment date; the vendor payments that settle them do
(Xero bills carry ``FullyPaidOnDate``, but only once fully paid). :func:`fill_bill_paid_at`
gives a paid bill without ``paid_at`` the date of its latest payment row (``bill_id``),
in one grouped query and a vectorised merge, so detectors see when bills were paid.
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from busywork.store.records import Bill, Payment


def bill_payment_rows(
    engine: Engine, business: str, source: str, payment_ids: Collection[str]
) -> list[str]:
    """Live payment rows of ``source`` that belong to the vendor payments ``payment_ids``.

    Such rows are named ``<payment id>:<bill id>``, one per bill the payment settles.
    """
    return split_payment_rows(engine, business, source, payment_ids, "bill_id")


def split_payment_rows(
    engine: Engine, business: str, source: str, payment_ids: Collection[str], column: str
) -> list[str]:
    """Live payment rows of ``source`` that belong to the payments ``payment_ids``.

    A payment that settles several documents is stored as one row per document, named
    ``<payment id>:<document id>``, whose ``column`` (``bill_id`` or ``invoice_id``) is that
    document; a row named just ``<payment id>`` (one that settles none, or a row from before
    payments were split) belongs to it too.
    """
    if not payment_ids:
        return []
    table = Payment.__table__  # type: ignore[attr-defined]
    # Vendor payments always name a bill; a customer payment may name no invoice, but a
    # row of a vendor payment (ids of two entity types may collide) never belongs to it.
    owned = (
        table.c.bill_id.is_not(None)
        if column == "bill_id"
        else sa.or_(
            table.c.invoice_id.is_not(None),
            sa.and_(table.c.bill_id.is_(None), table.c.vendor_id.is_(None)),
        )
    )
    query = sa.select(table.c.source_id).where(
        table.c.business == business,
        table.c.source == source,
        table.c.deleted.is_(False),
        owned,
    )
    with engine.connect() as connection:
        ids = connection.execute(query).scalars().all()
    wanted = set(payment_ids)
    return sorted(ident for ident in ids if ident.partition(":")[0] in wanted)


def fill_bill_paid_at(connection: Connection, business: str, bills: pd.DataFrame) -> pd.DataFrame:
    """``bills`` (with ``source``, ``source_id``, ``paid_at``) with missing dates filled in.

    Only bills whose status is ``paid`` are filled, from the latest live payment of the same
    source whose ``bill_id`` is the bill: a part-paid bill is not paid. The input is not
    modified.
    """
    if bills.empty:
        return bills
    bill, payment = Bill.__table__, Payment.__table__  # type: ignore[attr-defined]
    latest = sa.func.max(payment.c.paid_at).label("latest")
    query = (
        sa.select(bill.c.source, bill.c.source_id, latest)
        .join(
            payment,
            sa.and_(
                payment.c.business == bill.c.business,
                payment.c.source == bill.c.source,
                payment.c.bill_id == bill.c.source_id,
                payment.c.deleted.is_(False),
            ),
        )
        .where(
            bill.c.business == business,
            bill.c.deleted.is_(False),
            bill.c.status == "paid",
            bill.c.paid_at.is_(None),
        )
        .group_by(bill.c.source, bill.c.source_id)
    )
    found = pd.DataFrame(connection.execute(query).all(), columns=["source", "source_id", "latest"])
    if found.empty:
        return bills
    found["latest"] = (
        pd.to_datetime(found["latest"], utc=True, format="mixed")
        .dt.tz_localize(None)
        .astype("datetime64[ns]")
    )
    merged = bills[["source", "source_id"]].merge(found, on=["source", "source_id"], how="left")
    filled = bills["paid_at"].where(bills["paid_at"].notna(), merged["latest"].to_numpy())
    return bills.assign(paid_at=filled.astype(bills["paid_at"].dtype))
