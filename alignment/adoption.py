"""Adoption: noticing in the data that a recommendation was acted on, and what it delivered.

A recommendation counts as adopted when, after the last hand-made record in its evidence,
the subject's work visibly moved to an automation, shown either way:

* **records**: the subject's records start arriving from an automation and hand-made ones
  stop. A record is automated when its ``origin`` says so (template, subscription,
  recurring series, booking link, integration) or, when the origin is unknown, when it
  carries the automation's own reference (an invoice's ``template_id``, an appointment's
  ``series_id``);
* **template**: the books hold an active, scheduled recurring template for the subject
  (a ``recurring_template`` row), and no more than a one-off record was keyed by hand since.

Adoption is checked for every resolved finding at every detection, not only when it
resolves, so records that arrive after the finding closed still count. The KPI is then
measured before and after: hand-made records per month over the evidence period against
the months since, priced at the configured minutes per task; the report sets this
realised saving beside the estimate made when the recommendation was issued.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

from busywork.store.records import AUTOMATED_ORIGINS, RecordKind
from detectors.base import Candidate, DetectionContext

#: Fewest automated records after the evidence before a change counts as adopted.
MIN_AUTOMATED_AFTER = 2
#: Most hand-made records after the evidence that still count as adopted (a one-off extra).
MAX_MANUAL_AFTER = 1
DAYS_PER_MONTH = 30.44
_AUTOMATED = frozenset(origin.value for origin in AUTOMATED_ORIGINS)
#: Origins that say nothing about how a record was made.
_UNSAID = frozenset({"", "unknown"})
#: The template columns adoption reads.
TEMPLATE_COLUMNS = (
    "document",
    "counterparty_id",
    "counterparty_name",
    "accounts",
    "schedule",
    "active",
    "end_on",
    "created_at",
)


@dataclass(frozen=True)
class Signal:
    """Where adoption of one kind shows: which records, matched how, dated by what.

    ``references`` are columns whose value means an automation made the record when its
    origin is unknown; ``template`` is the recurring-template document that automates the
    subject (None: no template can).
    """

    record_kind: RecordKind
    subject_column: str
    date_column: str
    task: str
    references: tuple[str, ...] = ()
    template: str | None = None

    @property
    def columns(self) -> list[str]:
        """The record columns an adoption check reads."""
        return list(dict.fromkeys([self.subject_column, self.date_column, *self.references]))


SIGNALS: Mapping[str, Signal] = {
    "recurring_invoice": Signal(
        RecordKind.INVOICE,
        "customer_id",
        "issued_on",
        "create_invoice",
        ("template_id",),
        "invoice",
    ),
    "appointment_to_invoice": Signal(
        RecordKind.INVOICE, "customer_id", "issued_on", "create_invoice", ("template_id",)
    ),
    "recurring_bill": Signal(RecordKind.BILL, "vendor_id", "issued_on", "enter_bill", (), "bill"),
    "recurring_journal_entry": Signal(
        RecordKind.JOURNAL_ENTRY, "accounts", "posted_on", "journal_entry", (), "journal_entry"
    ),
    "manual_scheduling": Signal(
        RecordKind.APPOINTMENT, "attendee_email", "start_at", "book_appointment", ("series_id",)
    ),
}


@dataclass(frozen=True)
class Adoption:
    """What adoption looked like and what it changed; ``how`` says what showed it."""

    adopted_on: date
    automated_after: int
    manual_per_month_before: float
    manual_per_month_after: float
    estimated_hours_per_month: float
    realised_hours_per_month: float
    how: str = ""

    def to_json(self) -> dict[str, float | int | str]:
        """A JSON-safe dict for the store and the report."""
        return {
            "adopted_on": self.adopted_on.isoformat(),
            "automated_after": self.automated_after,
            "manual_per_month_before": round(self.manual_per_month_before, 2),
            "manual_per_month_after": round(self.manual_per_month_after, 2),
            "estimated_hours_per_month": round(self.estimated_hours_per_month, 2),
            "realised_hours_per_month": round(self.realised_hours_per_month, 2),
            "how": self.how,
        }


def _naive(moment: datetime) -> pd.Timestamp:
    stamp = pd.Timestamp(moment)
    return stamp.tz_localize(None) if stamp.tzinfo else stamp


def automated(records: pd.DataFrame, references: tuple[str, ...] = ()) -> pd.Series[bool]:
    """Which ``records`` an automation made: by origin, or by reference if origin is unsaid."""
    origin = records["origin"].fillna("unknown").astype(str).str.strip().str.lower()
    made = origin.isin(_AUTOMATED)
    for column in references:
        if column in records.columns:
            value = records[column].fillna("").astype(str).str.strip()
            made |= origin.isin(_UNSAID) & (value != "")
    return made


def subject_key(values: pd.Series[str], record_kind: RecordKind) -> pd.Series[str]:
    """Subject values as findings name them (journals by their sorted, lower-case accounts)."""
    text = values.fillna("").astype(str)
    if record_kind is not RecordKind.JOURNAL_ENTRY:
        return text
    return text.map(lambda cell: "|".join(sorted({p.strip().lower() for p in cell.split("|")})))


def subject_templates(
    candidate: Candidate, signal: Signal, templates: pd.DataFrame, as_of: pd.Timestamp
) -> pd.DataFrame:
    """Active, scheduled templates of the signal's document for the candidate's subject."""
    if signal.template is None or templates.empty or candidate.subject.id is None:
        return templates.iloc[0:0]
    ends = pd.to_datetime(templates["end_on"])
    live = (
        (templates["document"].fillna("").str.lower() == signal.template)
        & templates["active"].astype("boolean").fillna(False).astype(bool)
        & (templates["schedule"].fillna("automated").str.lower() != "unscheduled")
        & (ends.isna() | (ends >= as_of.normalize()))
    )
    if signal.record_kind is RecordKind.JOURNAL_ENTRY:
        keys = subject_key(templates["accounts"], signal.record_kind)
        mine = keys == subject_key(pd.Series([candidate.subject.id]), signal.record_kind)[0]
    else:
        name = (candidate.subject.name or "").strip().lower()
        names = templates["counterparty_name"].fillna("").astype(str).str.strip().str.lower()
        mine = (templates["counterparty_id"] == candidate.subject.id) | (
            (names == name) & bool(name)
        )
    return templates[live & mine]


def assess_adoption(
    candidate: Candidate,
    records: pd.DataFrame,
    context: DetectionContext,
    templates: pd.DataFrame | None = None,
) -> Adoption | None:
    """Whether the subject's ``records`` or ``templates`` show the change was made.

    ``records`` hold the subject's records (``origin``, the signal's date column and its
    reference columns); ``templates`` the business's recurring templates, if any.
    """
    signal = SIGNALS.get(candidate.kind)
    if signal is None:
        return None
    as_of = _naive(context.as_of)
    if records.empty:
        records = pd.DataFrame(columns=["origin", *signal.columns])
    dates = pd.to_datetime(records[signal.date_column]).dt.tz_localize(None).dt.normalize()
    made = automated(records, signal.references)
    start, end = pd.Timestamp(candidate.period_start), pd.Timestamp(candidate.period_end)
    after = (dates > end) & (dates <= as_of)
    automated_after, manual_after = after & made, after & ~made
    if int(manual_after.sum()) > MAX_MANUAL_AFTER:
        return None
    noun = signal.record_kind.value.replace("_", " ")
    if int(automated_after.sum()) >= MIN_AUTOMATED_AFTER:
        adopted_on = dates[automated_after].min().date()
        how = f"{int(automated_after.sum())} {noun}s made automatically since {adopted_on}"
    else:
        matched = subject_templates(candidate, signal, _frame(templates), as_of)
        if matched.empty:
            return None
        created = pd.to_datetime(matched["created_at"]).dropna()
        adopted_on = (created.min() if not created.empty else as_of).date()
        how = f"an active recurring {noun} template for {candidate.subject.name} in the books"
    before_months = max((end - start).days / DAYS_PER_MONTH, 1.0)
    after_months = max((as_of - end).days / DAYS_PER_MONTH, 1.0)
    rate_before = float((~made & (dates >= start) & (dates <= end)).sum()) / before_months
    rate_after = float(manual_after.sum()) / after_months
    return Adoption(
        adopted_on=adopted_on,
        automated_after=int(automated_after.sum()),
        manual_per_month_before=rate_before,
        manual_per_month_after=rate_after,
        estimated_hours_per_month=candidate.hours_saved_per_month,
        realised_hours_per_month=max(rate_before - rate_after, 0.0)
        * context.minutes(signal.task)
        / 60,
        how=how,
    )


def _frame(templates: pd.DataFrame | None) -> pd.DataFrame:
    return templates if templates is not None else pd.DataFrame(columns=list(TEMPLATE_COLUMNS))
