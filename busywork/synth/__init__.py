"""A deterministic synthetic services business with planted automation opportunities."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from busywork.synth import bills, catalogue, journals, scheduling
from busywork.synth.clock import Window
from busywork.synth.columns import Chunks
from busywork.synth.invoicing import InvoiceDrafts, assemble
from busywork.synth.people import (
    CUSTOMER_COLUMNS,
    add_accounts,
    customer_ids,
    customers_frame,
    make_accounts,
    make_business,
)
from busywork.synth.plan import MIN_CUSTOMERS, individuals_for, make_plan
from busywork.synth.recurring import cadence_series, irregular_series, one_offs
from busywork.synth.sessions import customer_sessions, occasional_sessions
from busywork.synth.truth import Findings, build
from busywork.synth.writer import STEMS, write_all

__all__ = ["DEFAULT_END", "GeneratorSettings", "SyntheticBusiness", "generate"]

DEFAULT_END: date = date(2026, 10, 31)
#: Fewest months that fit six monthly periods with room for jitter and a skipped one.
MIN_MONTHS = 9


@dataclass(frozen=True)
class GeneratorSettings:
    """What to generate.

    Attributes:
        seed: Seed of the only random generator used; same settings, same bytes.
        months: Calendar months of data, ending with ``end``'s month.
        end: Last day of data (the snapshot date).
        customers: Account customers (occasional clients come on top, with ``scale``).
        vendors: Regular suppliers (occasional suppliers come on top, with ``scale``).
        scale: Multiplies the volume of one-off work (occasional clients' sessions and
            invoices, ad-hoc meetings, one-off bills and journals); about 70k rows at 1.0.
    """

    seed: int
    months: int = 18
    end: date = DEFAULT_END
    customers: int = 40
    vendors: int = 12
    scale: float = 1.0


@dataclass(frozen=True)
class SyntheticBusiness:
    """The generated frames (keyed by CSV stem) and the answer key."""

    frames: dict[str, pd.DataFrame]
    truth: dict[str, Any] = field(default_factory=dict)

    def write(self, out_dir: Path) -> None:
        """Write one CSV per frame plus ``truth.json`` into ``out_dir``."""
        write_all(self.frames, self.truth, out_dir)


def _check(settings: GeneratorSettings) -> None:
    problems = []
    if settings.seed < 0:
        problems.append("seed must be >= 0")
    if settings.months < MIN_MONTHS:
        problems.append(f"months must be >= {MIN_MONTHS}")
    if settings.customers < MIN_CUSTOMERS:
        problems.append(f"customers must be >= {MIN_CUSTOMERS}")
    if settings.vendors < 1:
        problems.append("vendors must be >= 1")
    if not settings.scale >= 0:
        problems.append("scale must be >= 0")
    if problems:
        raise ValueError("invalid generator settings: " + "; ".join(problems))


def generate(settings: GeneratorSettings) -> SyntheticBusiness:
    """Generate one business's records and the truth about them.

    Each concern draws from its own child of ``default_rng(seed)``, so the planted records do
    not move when ``scale`` changes the volume of background work.

    Raises:
        ValueError: the settings are out of range.
    """
    _check(settings)
    window = Window.ending(settings.end, settings.months)
    (r_business, r_people, r_plan, r_series, r_sessions, r_bulk, r_settle, r_bills, r_journals) = (
        np.random.default_rng(settings.seed).spawn(9)
    )
    business = make_business(r_business, window)
    profile = business.profile
    accounts = make_accounts(
        r_people, business, settings.customers, individuals_for(settings.customers)
    )
    plan = make_plan(r_plan, settings.seed, accounts, len(business.staff_names))
    extra = catalogue.make_plan(settings.seed, slow=plan.slow)
    book = Chunks(CUSTOMER_COLUMNS)
    add_accounts(r_people, book, accounts, window)

    drafts = InvoiceDrafts()
    recurring = [
        cadence_series(r_series, drafts, window, profile, c, origin="manual")
        for c in plan.recurring
    ]
    automated = [
        cadence_series(
            r_series, drafts, window, profile, c, origin="template", template_id=f"TPL-{n:03d}"
        )
        for n, c in enumerate(plan.template_decoys, start=1)
    ] + [
        cadence_series(r_series, drafts, window, profile, c, origin="subscription")
        for c in plan.subscription_decoys
    ]
    irregular = [
        irregular_series(r_series, drafts, window, profile, c) for c in plan.irregular_decoys
    ]
    one_offs(r_series, drafts, window, profile, np.asarray(plan.background, dtype=np.int64))
    one_offs(r_series, drafts, window, profile, np.asarray([plan.abroad]), noisy=False)

    appointments = Chunks(scheduling.APPOINTMENT_DRAFT)
    # Guarantee both identity quirks appear in every business; the rest are drawn.
    modes = ["mixed", "name_only"] + [
        str(m)
        for m in r_sessions.choice(
            ["email", "mixed", "name_only"], size=max(0, len(plan.appointment) - 2)
        )
    ]
    identities = [modes[i] for i in r_sessions.permutation(len(modes))]
    sessions = [
        customer_sessions(
            r_sessions,
            appointments,
            drafts,
            window,
            business,
            account=accounts[c],
            customer=c,
            identity=identity,
            integration=False,
        )
        for c, identity in zip(plan.appointment, identities, strict=True)
    ]
    integrated = [
        customer_sessions(
            r_sessions,
            appointments,
            drafts,
            window,
            business,
            account=accounts[c],
            customer=c,
            identity="email",
            integration=True,
        )
        for c in plan.integration_decoys
    ]
    internal = [
        (s, scheduling.one_to_ones(r_sessions, appointments, window, business, s))
        for s in plan.internal_decoys
    ]
    scheduling.internal_meetings(r_bulk, appointments, window, business, settings.scale)
    occasional_sessions(
        r_bulk,
        appointments,
        drafts,
        book,
        window,
        business=business,
        scale=settings.scale,
        slow_invoicing=extra.has("invoice_lag"),
    )

    customer_data = book.build()
    ids = customer_ids(book.rows)
    chance, late, sometimes = catalogue.late_chances(
        extra, book.rows, recurring, plan.template_decoys
    )
    invoicing = assemble(
        r_settle,
        drafts,
        customer_data,
        ids,
        end=window.end,
        slow=plan.slow,
        late_chance=chance,
        late_rng=np.random.default_rng([settings.seed, 0x1A7E]),
    )
    appointment_frame, appointment_rank, appointment_ids = scheduling.assemble(appointments)

    suppliers = bills.suppliers(business, settings.vendors)
    bill_chunks = Chunks(bills.BILL_DRAFT)
    bills.regular_bills(r_bills, bill_chunks, window, suppliers)
    occasional, occasional_created = bills.one_off_bills(
        r_bills, bill_chunks, window, len(suppliers), settings.scale
    )
    vendor_frame, vendor_ids, vendor_names = bills.vendors_frame(
        r_bills, suppliers, occasional, occasional_created, window
    )
    bill_frame = bills.assemble(
        r_bills,
        bill_chunks,
        vendor_ids=vendor_ids,
        vendor_names=vendor_names,
        window=window,
        currency=business.currency,
    )
    journal_chunks = Chunks(journals.JOURNAL_DRAFT)
    journals.regular_journals(r_journals, journal_chunks, window, business)
    journals.one_off_journals(r_journals, journal_chunks, window, settings.scale)

    built = {
        "customers": customers_frame(customer_data, ids),
        "vendors": vendor_frame,
        "invoices": invoicing.invoices,
        "invoice_lines": invoicing.invoice_lines,
        "payments": invoicing.payments,
        "bills": bill_frame,
        "appointments": appointment_frame,
        "journal_entries": journals.assemble(journal_chunks, window, business.currency),
    }
    protected = np.zeros(len(appointment_frame), dtype=np.bool_)
    for run in [*sessions, *integrated]:
        protected[appointment_rank[list(run.appointments)]] = True
    built, more_planted, more_decoys = catalogue.plant(
        extra, built, window=window, business=business, suppliers=suppliers, protected=protected
    )
    recurring_planted, recurring_decoys = catalogue.recurring_entries(built, suppliers)
    payers = catalogue.late_entries(late, sometimes, accounts, ids)
    frames = {stem: built[stem] for stem in STEMS}
    truth = build(
        seed=settings.seed,
        months=settings.months,
        window=window,
        business=business,
        frames=frames,
        accounts=accounts,
        customer_ids=ids,
        appointment_rank=appointment_rank,
        appointment_ids=appointment_ids,
        findings=Findings(
            recurring, automated, irregular, sessions, integrated, internal, plan.slow
        ),
    )
    truth["planted"] += recurring_planted + payers[0] + more_planted
    truth["decoys"] += recurring_decoys + payers[1] + more_decoys
    return SyntheticBusiness(frames=frames, truth=truth)
