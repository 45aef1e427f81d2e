"""The answer key: what was planted, what merely looks like it, and why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from busywork.synth.clock import Window
from busywork.synth.columns import IntArray, ObjArray
from busywork.synth.people import Account, Business
from busywork.synth.recurring import Series
from busywork.synth.sessions import CustomerSessions

Entry = dict[str, Any]


@dataclass(frozen=True)
class Findings:
    """Everything the truth file describes, as generated."""

    recurring: Sequence[Series]
    automated: Sequence[Series]
    irregular: Sequence[Series]
    sessions: Sequence[CustomerSessions]
    integrated: Sequence[CustomerSessions]
    internal: Sequence[tuple[int, range]]
    slow: bool


def _customer(index: int, accounts: Sequence[Account], ids: ObjArray) -> dict[str, Any]:
    return {"type": "customer", "id": str(ids[index]), "name": accounts[index].name}


def _money(account: Account, pence: float) -> str:
    return f"{account.currency} {pence / 100:,.2f}"


def _recurring_note(series: Series, account: Account) -> str:
    note = (
        f"{series.cadence} invoices made by hand: {len(series.issued)} from "
        f"{series.issued[0].isoformat()} to {series.issued[-1].isoformat()}, "
        f"'{series.description}', about {_money(account, float(np.median(series.amounts)))} each"
    )
    if series.rise:
        note += f", one price rise of {series.rise:.1%}"
    if series.skipped:
        note += f", skipped the period due {series.skipped.isoformat()}"
    return note


def _sessions_note(sessions: CustomerSessions, appointment_ids: Sequence[str]) -> str:
    leaked = ", ".join(appointment_ids[row] for row in sessions.leaked)
    return (
        f"{len(sessions.appointments)} '{sessions.service}' appointments, "
        f"{len(sessions.invoiced)} invoiced by hand 1-7 days after the session, "
        f"never invoiced: {leaked}; attendee identity: {sessions.identity}"
    )


def days_late(invoices: pd.DataFrame, window: Window, months: int = 6) -> float:
    """Median days past due of invoices paid in the last ``months`` months of the window."""
    since = pd.Timestamp(window.end) - pd.DateOffset(months=months)
    paid = invoices[(invoices["status"] == "paid") & (invoices["paid_at"] >= since)]
    late = (paid["paid_at"].dt.normalize() - paid["due_on"]).dt.days
    return float(late.median()) if len(late) else 0.0


def build(
    *,
    seed: int,
    months: int,
    window: Window,
    business: Business,
    frames: Mapping[str, pd.DataFrame],
    accounts: Sequence[Account],
    customer_ids: ObjArray,
    appointment_rank: IntArray,
    appointment_ids: ObjArray,
    findings: Findings,
) -> dict[str, Any]:
    """The ``truth.json`` document."""
    final_ids = [str(appointment_ids[rank]) for rank in appointment_rank.tolist()]
    planted: list[Entry] = []
    decoys: list[Entry] = []
    for series in findings.recurring:
        account = accounts[series.customer]
        planted.append(
            {
                "kind": "recurring_invoice",
                "subject": _customer(series.customer, accounts, customer_ids),
                "note": _recurring_note(series, account),
            }
        )
    for sessions in findings.sessions:
        planted.append(
            {
                "kind": "appointment_to_invoice",
                "subject": _customer(sessions.customer, accounts, customer_ids),
                "note": _sessions_note(sessions, final_ids),
            }
        )
    if findings.slow:
        planted.append(
            {
                "kind": "slow_collection",
                "subject": {"type": "business", "id": None, "name": business.name},
                "note": (
                    "typical invoices are paid 20-70 days after their due date; median "
                    f"{days_late(frames['invoices'], window):.0f} days late over the last 6 months"
                ),
            }
        )
    for series in findings.automated:
        decoys.append(
            {
                "kind": "recurring_invoice",
                "subject": _customer(series.customer, accounts, customer_ids),
                "why": f"{series.cadence} invoices already automated (origin {series.origin})",
            }
        )
    for series in findings.irregular:
        amounts = np.asarray(series.amounts, dtype=np.float64)
        decoys.append(
            {
                "kind": "recurring_invoice",
                "subject": _customer(series.customer, accounts, customer_ids),
                "why": (
                    f"invoiced by hand but irregularly: {len(series.issued)} invoices 10-90 days "
                    f"apart, totals from {_money(accounts[series.customer], amounts.min())} to "
                    f"{_money(accounts[series.customer], amounts.max())}"
                ),
            }
        )
    for sessions in findings.integrated:
        decoys.append(
            {
                "kind": "appointment_to_invoice",
                "subject": _customer(sessions.customer, accounts, customer_ids),
                "why": (
                    f"{len(sessions.invoiced)} sessions invoiced by an integration "
                    "(origin integration) the same day"
                ),
            }
        )
    for staff, rows in findings.internal:
        decoys.append(
            {
                "kind": "appointment_to_invoice",
                "subject": {
                    "type": "attendee",
                    "id": business.staff_emails[staff],
                    "name": business.staff_names[staff],
                },
                "why": (
                    f"staff member on the business's own domain ({business.domain}): "
                    f"{len(rows)} internal 1:1s, never invoiced"
                ),
            }
        )
    return {
        "seed": seed,
        "months": months,
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "business": {
            "name": business.name,
            "currency": business.currency,
            "timezone": business.timezone,
        },
        "counts": {stem: len(frame) for stem, frame in frames.items()},
        "planted": planted,
        "decoys": decoys,
    }
