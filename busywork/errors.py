"""The one exception tree. The worker acts on these by class, never by message text.

``BusyworkError`` is the root. ``RetriableError`` means "try again later" (429, 5xx, a lost
connection), ``FatalError`` means "stop this plug-in until a human acts" (bad credentials, a
misconfiguration), ``SkippableError`` means "drop this one record, report it, keep the rest".
"""

from __future__ import annotations


class BusyworkError(Exception):
    """Root of every error Busywork raises on purpose."""


class ConfigError(BusyworkError):
    """The configuration is invalid; ``problems`` lists every ``location: message`` found."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


class StoreError(BusyworkError):
    """The database cannot be reached or is not in the expected state."""


class RetriableError(BusyworkError):
    """A transient failure: the same call may succeed later."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class FatalError(BusyworkError):
    """A failure that will repeat until a human changes something."""


class AuthError(FatalError):
    """Credentials were refused or have expired beyond refresh."""


class SkippableError(BusyworkError):
    """One input record is bad; it is reported and skipped, the rest is kept."""


class DetectorInputError(FatalError):
    """A detector was handed frames without the columns it declared."""


class JobLostError(BusyworkError):
    """The queue gave this job to another worker (ours stalled): stop writing, roll back.

    Raised by the fence inside a write's transaction, so nothing of the lost job commits.
    """
