"""The same manual journal (same accounts, same amount) posted every period."""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd

from busywork.store.records import RecordKind
from detectors import _cadence as cad
from detectors import _frames as fr
from detectors import _templates as tmpl
from detectors._coverage import Fact
from detectors.base import Candidate, Category, DetectionContext, Detector, Frames, Subject
from detectors.registry import register


def accounts_signature(values: pd.Series[Any]) -> pd.Series[str]:
    """The set of accounts a journal touches, as one comparable key.

    Account names are split on ``|``, trimmed, lower-cased, de-duplicated and sorted, so
    "Fixed Assets|Depreciation" and "depreciation | fixed assets" are the same journal.
    """
    text = fr.as_text(values)
    # Few distinct cells repeat many times: normalise each distinct one once, then map.
    distinct = pd.Series(text.dropna().unique())
    keys = distinct.map(_signature)
    return text.map(pd.Series(keys.to_numpy(), index=distinct.to_numpy()))


def _signature(cell: str) -> str | None:
    names = sorted({part.strip().lower() for part in cell.split("|") if part.strip()})
    return "|".join(names) if names else None


@register
class RecurringJournalEntryDetector(Detector):
    """Finds the same journal keyed by hand every week, fortnight, month or quarter.

    Manual journals posted by ``context.as_of`` are grouped by their accounts signature
    (the sorted set of accounts) and scored like recurring invoices: gaps matched to each
    cadence within the tolerance (one skipped period allowed), the latest run only, a stable
    amount and a run still going at ``as_of``. Journals that vary in amount (accruals, VAT)
    are left alone; journals posted by a rule or payroll integration are automated already,
    and so is a signature with an active, scheduled journal template (``recurring_template``).

    The subject is the journal's **debit account** when the source names it
    (``debit_account_id``: a QuickBooks Account ``Id``, a Xero ``AccountCode``): the subject
    id and ``source_id`` are that id, the name is the account's name, and the accounts
    signature is kept as an alternative id (``accounts:<signature>``). Journals with the same
    accounts but another debit account are another journal. Two recurring journals debiting
    one account (against different accounts) are told apart by ``<id>:<signature>`` on all but
    the first. Without a debit account (a CSV without that column) the subject id is the
    accounts signature, as before.

    Metrics: ``cadence_days``, ``occurrences``, ``typical_amount``, ``amount_cv``,
    ``regular_share``, ``skipped_periods``, ``median_gap_days`` and ``journals_per_month``.

    Args:
        min_occurrences: Fewest manual journals in the run for a finding.
        min_regular_share: Smallest share of gaps that must be on schedule (0-1).
        max_amount_cv: Largest robust coefficient of variation of the amounts.
        tolerance: Allowed deviation of a gap from the cadence, as a fraction of the cadence.
        min_tolerance_days: Floor on the allowed deviation in days.
        max_idle_periods: The latest journal must be at most this many periods (plus the
            tolerance) before ``context.as_of`` for the run to count as still active.
    """

    kind: ClassVar[str] = "recurring_journal_entry"
    category: ClassVar[Category] = "repetitive_task"
    required_columns: ClassVar[dict[RecordKind, tuple[str, ...]]] = {
        RecordKind.JOURNAL_ENTRY: (
            "source_id",
            "source",
            "posted_on",
            "accounts",
            "amount",
            "origin",
            "memo",
            "debit_account_id",
            "debit_account",
        ),
    }
    optional_columns: ClassVar[dict[RecordKind, tuple[str, ...]]] = tmpl.OPTIONAL_TEMPLATES

    facts: ClassVar[tuple[Fact, ...]] = ()
    checks: ClassVar[str] = "repeat journals"

    def __init__(
        self,
        *,
        min_occurrences: int = 5,
        min_regular_share: float = 0.8,
        max_amount_cv: float = 0.1,
        tolerance: float = 0.25,
        min_tolerance_days: float = 3.0,
        max_idle_periods: float = 2.0,
    ) -> None:
        self.min_occurrences = min_occurrences
        self.min_regular_share = min_regular_share
        self.max_amount_cv = max_amount_cv
        self.tolerance = tolerance
        self.min_tolerance_days = min_tolerance_days
        self.max_idle_periods = max_idle_periods

    def _detect(self, frames: Frames, context: DetectionContext) -> list[Candidate]:
        raw = frames[RecordKind.JOURNAL_ENTRY]
        signature = accounts_signature(raw["accounts"])
        debit_id = fr.as_text(raw["debit_account_id"]).str.strip().replace("", None)
        items = pd.DataFrame(
            {
                # The same accounts debited the other way round is another journal.
                "key": signature.where(debit_id.isna(), signature + "#" + debit_id),
                "signature": signature,
                "debit_id": debit_id,
                "debit_name": fr.as_text(raw["debit_account"]),
                "source_id": fr.as_text(raw["source_id"]),
                "source": fr.as_text(raw["source"]),
                "accounts": fr.as_text(raw["accounts"]),
                "issued": fr.as_dates(raw["posted_on"]),
                "amount": fr.as_money(raw["amount"]).abs(),
                "memo": fr.as_text(raw["memo"]),
            },
            copy=False,
        )
        templates = tmpl.active_templates(frames, "journal_entry", context)
        scheduled = tmpl.automated_signatures(templates, accounts_signature)
        keep = (
            fr.is_manual(raw["origin"]).to_numpy()
            & items["key"].notna().to_numpy()
            & ~items["signature"].isin(scheduled).to_numpy()
            & (items["issued"] <= fr.as_of(context).normalize()).to_numpy()
        )
        items = items[keep]
        if items.empty:
            return []
        rules = cad.CadenceRules(**self.get_params())
        runs = cad.find_runs(items, rules, fr.as_of(context).normalize())
        subjects = journal_subjects(runs)
        return [
            self._candidate(run, subject, context)
            for run, subject in zip(runs, subjects, strict=True)
        ]

    def _candidate(self, run: cad.Run, subject: Subject, context: DetectionContext) -> Candidate:
        """Build the finding for one journal's run."""
        evidence, unit, first, last = run.evidence, run.unit, run.first, run.last
        occurrences, per_month = run.occurrences, run.per_month
        typical, cv, share = run.typical_amount, run.amount_cv, run.regular_share
        money = fr.format_money(typical, context.currency)
        accounts = " / ".join(
            part.strip() for part in str(evidence["accounts"].iloc[-1]).split("|")
        )
        label = f"{subject.name} ({accounts})" if subject.source_id else accounts
        memo = fr.last_text(evidence["memo"])
        described = f' The latest memo reads "{memo}".' if memo else ""
        return Candidate(
            kind=self.kind,
            category=self.category,
            subject=subject,
            title=(
                f"The {label} journal is keyed by hand every {unit} ({occurrences} times, ~{money})"
            ),
            summary=(
                f"{occurrences} manual journals between {accounts} were posted between "
                f"{first:%d %b %Y} and {last:%d %b %Y}, about one every "
                f"{run.median_gap:.0f} days ({share:.0%} on schedule), typically {money}."
                f"{described}"
            ),
            suggested_automation=(
                f"Make the {label} journal a repeating journal (QuickBooks: Recurring "
                f"transactions; Xero: Repeating manual journals) posting {money} every {unit}."
            ),
            record_ids=fr.sorted_strings(evidence["source_id"]),
            sources=fr.sorted_strings(evidence["source"]),
            period_start=fr.to_date(first),
            period_end=fr.to_date(last),
            hours_saved_per_month=round(per_month * context.minutes("journal_entry") / 60, 4),
            cash_impact_per_month=0.0,
            confidence=cad.run_confidence(occurrences, share, cv, self.max_amount_cv),
            metrics=run.metrics("journals_per_month"),
        )


def journal_subjects(runs: list[cad.Run]) -> list[Subject]:
    """The subject of each run: its debit account when known, else its accounts signature.

    Runs are in key order, so which of two runs debiting one account keeps the bare account
    id does not depend on the order the records came in.
    """
    subjects: list[Subject] = []
    taken: set[str] = set()
    for run in runs:
        evidence = run.evidence
        signature = str(evidence["signature"].iloc[-1])
        debit_id = fr.last_text(evidence["debit_id"])
        if debit_id is None:
            accounts = " / ".join(
                part.strip() for part in str(evidence["accounts"].iloc[-1]).split("|")
            )
            subjects.append(Subject("account", signature, accounts))
            continue
        key = debit_id if debit_id not in taken else f"{debit_id}:{signature}"
        taken.add(debit_id)
        name = fr.last_text(evidence["debit_name"]) or debit_id
        subjects.append(
            Subject("account", key, name, source_id=debit_id, alt_ids=(f"accounts:{signature}",))
        )
    return subjects
