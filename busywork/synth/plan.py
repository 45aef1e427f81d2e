"""Which customers carry a planted opportunity or a decoy, and how the business collects cash."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from busywork.synth.people import Account

#: Fewest account customers that leave room for every role plus background customers.
MIN_CUSTOMERS = 20
#: Fewest individuals among the account customers (appointment roles need people).
MIN_INDIVIDUALS = 10


@dataclass(frozen=True)
class Plan:
    """Role of each account customer (indices into the account list) and staff member."""

    slow: bool
    recurring: tuple[int, ...]
    template_decoys: tuple[int, ...]
    subscription_decoys: tuple[int, ...]
    irregular_decoys: tuple[int, ...]
    appointment: tuple[int, ...]
    integration_decoys: tuple[int, ...]
    #: Indices into the business's staff (never 0: the owner runs the 1:1s).
    internal_decoys: tuple[int, ...]
    abroad: int
    background: tuple[int, ...]


def individuals_for(customers: int) -> int:
    """How many account customers are people rather than companies."""
    return max(MIN_INDIVIDUALS, round(0.45 * customers))


def make_plan(rng: np.random.Generator, seed: int, accounts: list[Account], staff: int) -> Plan:
    """Draw role counts and assign customers to roles without overlap.

    Appointment roles go to individuals; invoice-cadence roles go to the others, so a customer
    is never both a recurring-invoice and an appointment-to-invoice subject.
    """
    # Seed 1 always collects slowly so there is a fixed example of the finding.
    slow = seed == 1 or bool(rng.random() < 0.6)
    abroad = len(accounts) - 1
    people = [i for i in rng.permutation(abroad).tolist() if accounts[i].first is not None]
    others = [i for i in rng.permutation(abroad).tolist() if accounts[i].first is None]
    appointment = int(rng.integers(2, 6))
    integration = int(rng.integers(1, 3))
    booked = people[: appointment + integration]
    others += [i for i in people[appointment + integration :]]
    counts = {
        "recurring": int(rng.integers(2, 6)),
        "template": int(rng.integers(1, 3)),
        "subscription": int(rng.integers(0, 2)),
        "irregular": int(rng.integers(1, 3)),
    }
    picked: dict[str, tuple[int, ...]] = {}
    cursor = 0
    for role, count in counts.items():
        picked[role] = tuple(sorted(others[cursor : cursor + count]))
        cursor += count
    internal = int(rng.integers(1, 3))
    return Plan(
        slow=slow,
        recurring=picked["recurring"],
        template_decoys=picked["template"],
        subscription_decoys=picked["subscription"],
        irregular_decoys=picked["irregular"],
        appointment=tuple(sorted(booked[:appointment])),
        integration_decoys=tuple(sorted(booked[appointment:])),
        internal_decoys=tuple(
            sorted(rng.choice(np.arange(1, staff), internal, replace=False).tolist())
        ),
        abroad=abroad,
        background=tuple(sorted(others[cursor:])),
    )
