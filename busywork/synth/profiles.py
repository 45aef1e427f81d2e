"""Kinds of services firm the generator can imitate: what they sell, to whom and when."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Service:
    """Something the firm sells, as it appears on an invoice line and in a calendar.

    Attributes:
        name: Line description and calendar title stem.
        item: Item code on the invoice line.
        minutes: Session length (appointments are 30-90 minutes).
        price: Unit price in pence.
    """

    name: str
    item: str
    minutes: int
    price: int


@dataclass(frozen=True)
class Profile:
    """One kind of firm.

    Attributes:
        key: Short name.
        trade: Word used in the business's name.
        services: Sessions sold to clients.
        extras: Add-on lines that sometimes follow a session on an invoice.
        retainers: Contract descriptions by cadence (for regular, hand-made invoices).
        ad_hoc: Descriptions of one-off work.
        internal_titles: Titles of internal meetings.
        season: Relative activity per calendar month, January first.
        supplies: A supplier the trade buys from: name and email domain.
    """

    key: str
    trade: str
    services: tuple[Service, ...]
    extras: tuple[Service, ...]
    retainers: dict[str, tuple[str, ...]]
    ad_hoc: tuple[str, ...]
    internal_titles: tuple[str, ...]
    season: tuple[float, ...]
    supplies: tuple[str, str]


#: Monthly price range in pounds of a contract by cadence (weekly and quarterly are scaled).
RETAINER_POUNDS: dict[str, tuple[int, int]] = {
    "weekly": (90, 320),
    "monthly": (250, 1600),
    "quarterly": (600, 3200),
}

BUSINESS_WORDS: tuple[str, ...] = (
    "Kestrel",
    "Beacon",
    "Willow",
    "Juniper",
    "Avalon",
    "Clearview",
    "Evergreen",
    "Summit",
    "Heron",
    "Lantern",
    "Marlowe",
    "Orchard",
)

PROFILES: tuple[Profile, ...] = (
    Profile(
        key="physio",
        trade="Physio",
        services=(
            Service("Physiotherapy session", "PHYSIO-60", 60, 6500),
            Service("Follow-up physiotherapy session", "PHYSIO-45", 45, 5200),
            Service("Initial assessment", "ASSESS-60", 60, 7500),
            Service("Sports massage", "MASSAGE-45", 45, 5500),
            Service("Acupuncture session", "ACU-30", 30, 4200),
            Service("Rehabilitation class", "REHAB-90", 90, 3500),
        ),
        extras=(
            Service("Resistance bands", "BAND", 0, 1200),
            Service("Kinesiology taping", "TAPE", 0, 800),
            Service("Written treatment report", "REPORT", 0, 4500),
        ),
        retainers={
            "weekly": ("Weekly on-site physio clinic",),
            "monthly": ("Monthly staff wellbeing physio", "Monthly club physio cover"),
            "quarterly": ("Quarterly workstation assessments",),
        },
        ad_hoc=(
            "Ergonomic assessment",
            "Event massage cover",
            "Return-to-work report",
            "Group injury-prevention workshop",
            "Medico-legal report",
        ),
        internal_titles=("Clinical supervision", "Case review", "Team huddle", "CPD session"),
        season=(1.3, 1.2, 1.1, 1.0, 1.0, 0.95, 0.85, 0.7, 1.1, 1.15, 1.05, 0.75),
        supplies=("PhysioMed Supplies", "physiomed.co.uk"),
    ),
    Profile(
        key="cleaning",
        trade="Cleaning",
        services=(
            Service("Domestic clean", "DOM-60", 60, 4500),
            Service("Deep clean", "DEEP-90", 90, 12000),
            Service("End of tenancy clean", "EOT-90", 90, 16500),
            Service("Oven clean", "OVEN-60", 60, 6500),
            Service("Carpet clean", "CARPET-90", 90, 9500),
            Service("Window clean", "WIN-30", 30, 3000),
        ),
        extras=(
            Service("Cleaning materials", "MAT", 0, 1500),
            Service("Extra hour", "HOUR", 0, 2800),
            Service("Parking charge", "PARK", 0, 650),
        ),
        retainers={
            "weekly": ("Weekly office clean", "Weekly communal areas clean"),
            "monthly": ("Monthly office cleaning contract", "Monthly surgery cleaning contract"),
            "quarterly": ("Quarterly deep clean contract",),
        },
        ad_hoc=(
            "After-party clean",
            "Builders' clean",
            "Emergency spill clean-up",
            "Pre-sale property clean",
            "Upholstery clean",
        ),
        internal_titles=("Rota planning", "Supervisor check-in", "Health and safety briefing"),
        season=(0.9, 0.9, 1.2, 1.25, 1.05, 1.0, 1.0, 0.85, 1.05, 1.0, 1.0, 1.2),
        supplies=("Cleanline Wholesale", "cleanline-wholesale.co.uk"),
    ),
    Profile(
        key="bookkeeping",
        trade="Bookkeeping",
        services=(
            Service("Bookkeeping review", "BK-60", 60, 7500),
            Service("Self-assessment consultation", "SA-60", 60, 9500),
            Service("VAT return preparation", "VAT-90", 90, 14500),
            Service("Payroll set-up call", "PAY-30", 30, 4500),
            Service("Software training", "TRAIN-90", 90, 11000),
            Service("Year-end planning meeting", "YE-45", 45, 8000),
        ),
        extras=(
            Service("Companies House filing", "CHFILE", 0, 3500),
            Service("Additional transactions", "TXN", 0, 2500),
            Service("Mileage", "MILES", 0, 1800),
        ),
        retainers={
            "weekly": ("Weekly payroll run",),
            "monthly": ("Monthly bookkeeping retainer", "Monthly management accounts"),
            "quarterly": ("Quarterly VAT return service",),
        },
        ad_hoc=(
            "Catch-up bookkeeping",
            "Grant application support",
            "HMRC enquiry support",
            "Cash-flow forecast",
            "Software migration",
        ),
        internal_titles=("Deadline planning", "Team meeting", "Client review", "Training"),
        season=(1.45, 1.0, 1.0, 1.25, 1.0, 0.95, 1.05, 0.75, 0.95, 1.1, 1.0, 0.8),
        supplies=("Ledger Stationers", "ledgerstationers.co.uk"),
    ),
)
