"""The detector contract: estimators over DataFrames that return candidate automations.

Detectors follow scikit-learn's conventions: ``__init__`` stores keyword parameters and does
nothing else, the work happens in :meth:`Detector.detect`, inputs are never mutated and the
output is a list of frozen :class:`Candidate` values. Detectors do no I/O: the worker loads
the frames they declare in :attr:`Detector.requires` and hands them over.
"""

from __future__ import annotations

import abc
import hashlib
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, ClassVar, Literal

import pandas as pd

from busywork.errors import DetectorInputError
from busywork.store.records import RecordKind
from detectors._coverage import Coverage, Fact, measure_pass

Category = Literal["repetitive_task", "bottleneck"]
SubjectType = Literal["customer", "vendor", "attendee", "calendar", "account", "business"]
#: ``min_rerun`` of the detectors that read a whole business's window of records.
WINDOW_REFRESH = timedelta(minutes=15)

#: Minutes one manual task takes, used for "hours saved"; overridable in config.
DEFAULT_MINUTES_PER_TASK: Mapping[str, float] = {
    "create_invoice": 12.0,
    "chase_payment": 10.0,
    "enter_bill": 6.0,
    "book_appointment": 5.0,
    "journal_entry": 8.0,
    "approve_bill": 3.0,
    "reconcile_duplicate": 15.0,
}


@dataclass(frozen=True)
class Subject:
    """Who or what a finding is about.

    ``id`` is the key findings are filed under (it makes the stable id). ``source_id`` is the
    subject's own id in the source its records come from (a QuickBooks Account ``Id``, a Xero
    ``AccountCode``, a Stripe ``cus_`` id), when it has one. ``alt_ids`` are the other ids
    we know it by, each ``<scheme>:<value>`` (``stripe:cus_9``, ``email:jo@example.com``,
    ``accounts:depreciation|fixed assets``), e.g. the records of other sources resolved to
    the same entity.
    """

    type: SubjectType
    id: str | None
    name: str
    source_id: str | None = None
    alt_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class EntityLink:
    """Two records taken to be one entity (or one booking), and how sure that is.

    ``left`` and ``right`` are ``<source>:<id>`` (or ``email:<address>``); ``method`` is how
    they were linked: ``source_id``, ``email``, ``name`` (fuzzy, scored by cosine
    similarity of character n-grams) or ``mirror`` (a booking tool's calendar copy).
    """

    left: str
    right: str
    score: float
    method: str


@dataclass(frozen=True)
class WorkingCalendar:
    """The business's working week, for durations in business days and hours."""

    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    start: time = time(9, 0)
    end: time = time(17, 30)
    holidays: tuple[date, ...] = ()

    @property
    def hours_per_day(self) -> float:
        """Working hours in one working day."""
        delta = datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)
        return delta.total_seconds() / 3600.0

    @property
    def weekmask(self) -> str:
        """The numpy ``busday`` week mask ("1111100" for Monday to Friday)."""
        return "".join("1" if day in self.weekdays else "0" for day in range(7))


@dataclass(frozen=True)
class DetectionContext:
    """What a detector may know about the business besides its records."""

    business: str
    as_of: datetime
    timezone: str = "UTC"
    currency: str = "USD"
    admin_hourly_cost: float = 30.0
    cost_of_capital: float = 0.10
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    minutes_per_task: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_MINUTES_PER_TASK)
    )

    def minutes(self, task: str) -> float:
        """Minutes one manual ``task`` takes (config overrides the documented default)."""
        return float(self.minutes_per_task.get(task, DEFAULT_MINUTES_PER_TASK[task]))


@dataclass(frozen=True)
class Candidate:
    """One candidate automation found in the data, with the evidence behind it.

    ``metrics`` holds the measured numbers the finding rests on (e.g. ``dso_days``,
    ``late_invoices``); alignment turns them into contributions to goals and explanations.
    """

    kind: str
    category: Category
    subject: Subject
    title: str
    summary: str
    suggested_automation: str
    record_ids: tuple[str, ...]
    sources: tuple[str, ...]
    period_start: date
    period_end: date
    hours_saved_per_month: float
    cash_impact_per_month: float
    confidence: float
    metrics: Mapping[str, float] = field(default_factory=dict)
    #: Records of several sources taken as one subject, with their match scores.
    links: tuple[EntityLink, ...] = ()

    @property
    def count(self) -> int:
        """How many records are evidence for the finding."""
        return len(self.record_ids)

    def stable_id(self, business: str) -> str:
        """An id that stays the same for the same finding across runs and evidence growth."""
        return finding_id(
            business, self.kind, self.subject.type, self.subject.id or self.subject.name
        )


def finding_id(business: str, kind: str, subject_type: str, subject_key: str) -> str:
    """The stable id of ``kind``'s finding about a subject (its id, or its name if it has none)."""
    key = "|".join((business, kind, subject_type, subject_key))
    return "rec_" + hashlib.sha256(key.encode()).hexdigest()[:16]


Frames = Mapping[RecordKind, pd.DataFrame]


class Detector(abc.ABC):
    """Base class: subclasses set the class attributes and implement :meth:`_detect`."""

    kind: ClassVar[str]
    category: ClassVar[Category]
    #: Record kinds (and their columns) the detector reads; the worker loads only these.
    required_columns: ClassVar[Mapping[RecordKind, tuple[str, ...]]]
    #: Kinds the detector uses when given (recurring templates): the worker loads them too,
    #: but a caller may leave them out, and a business without such records is unaffected.
    optional_columns: ClassVar[Mapping[RecordKind, tuple[str, ...]]] = {}
    #: For detectors whose finding about one subject depends on that subject's records alone:
    #: per record kind read, the column holding the subject's id (``Subject.id``). The worker
    #: then re-runs the detector on just the subjects a batch of events touched.
    subject_columns: ClassVar[Mapping[RecordKind, str]] = {}
    #: The ``Subject.type`` of the findings, when ``subject_columns`` is set.
    subject_type: ClassVar[SubjectType | None] = None
    #: Shortest time between two runs that new events alone trigger. Business-wide windows
    #: (DSO, backlog, load) move slowly, so the batches arriving within it are coalesced into
    #: one run instead of re-reading every record for each batch.
    min_rerun: ClassVar[timedelta] = WINDOW_REFRESH
    #: Facts the findings rest on (payment dates, attendees …; see ``detectors._facts``).
    #: Their coverage in the business's data decides whether the detector reports at all,
    #: and scales its confidence when partial (``docs/data-coverage.md``).
    facts: ClassVar[tuple[Fact, ...]] = ()
    #: What the detector checks, in plain words, for "… : <checks> not checked".
    checks: ClassVar[str] = "this"
    #: Large results shared within a pass that the detector asks for (the names given to
    #: ``detectors._shared.shared``): a pass forgets one once no detector still to run
    #: declares it. Undeclared results are kept until the pass ends.
    shares: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def scopable(cls) -> bool:
        """Whether the detector can run on a subset of subjects (see ``subject_columns``)."""
        return cls.subject_type is not None and set(cls.subject_columns) == set(
            cls.required_columns
        )

    @classmethod
    def requires(cls) -> frozenset[RecordKind]:
        """The record kinds whose changes make this detector run again."""
        return frozenset(cls.required_columns) | frozenset(cls.optional_columns)

    @classmethod
    def input_columns(cls) -> dict[RecordKind, tuple[str, ...]]:
        """Every kind and column the detector reads, required or optional."""
        columns = {kind: tuple(names) for kind, names in cls.required_columns.items()}
        for kind, names in cls.optional_columns.items():
            columns[kind] = tuple(dict.fromkeys([*columns.get(kind, ()), *names]))
        return columns

    @classmethod
    def reads(cls, kind: RecordKind) -> frozenset[str]:
        """The columns of ``kind`` the detector reads, and every record's source, id and origin.

        A pass loads the columns every detector reads, and selecting rows copies each
        column: a detector that selects rows of a frame selects from these alone
        (:func:`detectors._frames.in_window`).
        """
        return frozenset([*cls.input_columns().get(kind, ()), "source", "source_id", "origin"])

    @classmethod
    def param_names(cls) -> tuple[str, ...]:
        """The keyword parameters ``__init__`` accepts (the detector's config keys)."""
        signature = inspect.signature(cls.__init__)
        return tuple(name for name in signature.parameters if name != "self")

    def get_params(self) -> dict[str, Any]:
        """The detector's parameters, as scikit-learn's ``get_params`` returns them."""
        return {name: getattr(self, name) for name in self.param_names()}

    def detect(
        self, frames: Frames, context: DetectionContext, coverage: Coverage | None = None
    ) -> list[Candidate]:
        """Find candidates in ``frames`` (never mutated).

        Where the data lacks a fact the detector needs (``coverage``, measured here when not
        given), it reports nothing; where it carries the fact only partly, confidences are
        lowered and the summaries say so.

        Raises:
            DetectorInputError: a required frame, or a column of a frame given, is missing.
        """
        optional = {kind: names for kind, names in self.optional_columns.items() if kind in frames}
        for record_kind, columns in {**self.required_columns, **optional}.items():
            frame = frames.get(record_kind)
            if frame is None:
                raise DetectorInputError(f"{self.kind}: no '{record_kind.value}' frame given")
            missing = [column for column in columns if column not in frame.columns]
            if missing:
                raise DetectorInputError(
                    f"{self.kind}: '{record_kind.value}' frame lacks columns {', '.join(missing)}"
                )
        if coverage is None:
            coverage = measure_pass([self], frames, context)[self.kind]
        if not coverage.checked:
            return []
        return coverage.apply(self._detect(frames, context))

    @abc.abstractmethod
    def _detect(self, frames: Frames, context: DetectionContext) -> list[Candidate]:
        """Subclass hook: the analysis itself."""
