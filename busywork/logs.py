"""Logging set-up and redaction: no secret reaches a log line, an error or a report.

Every secret value the config loads is registered here; :func:`redact` replaces those values
and anything shaped like a credential (bearer tokens, ``password=…``, URL passwords) with
``***``. A handler-level filter applies it to every record, arguments included.
"""

from __future__ import annotations

import logging
import re
import sys
import threading

_SECRETS: set[str] = set()
_LOCK = threading.Lock()
_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(
        r"(?i)((?:password|passwd|secret|token|api[_-]?key|client_secret|refresh_token|access_token)"
        r"[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,}]+"
    ),
    re.compile(r"(//[^:/@\s]+:)[^@\s]+@"),
    re.compile(r"\b(sk|rk|pk)_(live|test)_[A-Za-z0-9]+"),
    re.compile(r"\bwhsec_[A-Za-z0-9+/=]+"),
)
#: Secrets shorter than this are not registered: masking "1" everywhere would garble logs.
MIN_SECRET_LENGTH = 4


def register_secret(value: str | None) -> None:
    """Remember ``value`` so that :func:`redact` masks it wherever it appears."""
    if value and len(value) >= MIN_SECRET_LENGTH:
        with _LOCK:
            _SECRETS.add(value)


def redact(text: str) -> str:
    """``text`` with registered secrets and credential-shaped substrings replaced by ``***``."""
    with _LOCK:
        secrets = sorted(_SECRETS, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, "***")
    for pattern in _PATTERNS:
        text = pattern.sub(lambda match: (match.group(1) if match.groups() else "") + "***", text)
    return text


class RedactingFilter(logging.Filter):
    """Renders each record's message once, redacted, so arguments cannot leak either."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record in place; never drops it."""
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def configure_logging(level: str = "INFO", *, json_lines: bool = False) -> None:
    """Send redacted logs to stderr (stdout is kept for machine-readable output)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    fmt = (
        '{"time":"%(asctime)s","level":"%(levelname)s","logger":"%(name)s","msg":"%(message)s"}'
        if json_lines
        else "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
    )
    handler.setFormatter(logging.Formatter(fmt))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
