"""The signed links in emails (feedback and one-click unsubscribe), apart from HTTP plumbing.

A GET only shows a confirmation page with a button: mail scanners and link previews fetch
links, and must never dismiss a finding or unsubscribe anybody. The POST does the work, as
RFC 8058 one-click unsubscribe (``List-Unsubscribe=One-Click``) expects. The routes are in
:mod:`busywork.web.app`.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.delivery.feedback import (
    FINDINGS,
    FeedbackError,
    SupersededError,
    opt_out,
    record_feedback,
)
from busywork.delivery.links import FEEDBACK_ACTIONS, Stamp, valid
from config.models import AppConfig

log = logging.getLogger("busywork.serve")
#: Longest request body read; the forms post a date at most.
MAX_BODY_BYTES = 4096
#: The snooze date offered by default.
DEFAULT_SNOOZE = timedelta(days=30)
_EXPIRED = "This link is too old. Use the buttons in a newer email, or busywork feedback."
_SUPERSEDED = "A newer answer on this recommendation was already given; this older one is ignored."
_VERBS = {"accept": "Mark as worth doing", "dismiss": "Dismiss", "snooze": "Snooze"}


class LinkHandler:
    """The links' logic, apart from HTTP plumbing: (method, path, query, form) → page."""

    def __init__(
        self,
        engine: Engine,
        configs: Sequence[AppConfig],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        # A business without delivery.links sends no links: every link for it is invalid.
        self.configs = {config.business.id: config for config in configs}
        self.clock = clock

    def handle(
        self, method: str, path: str, query: dict[str, str], form: dict[str, str]
    ) -> tuple[int, str]:
        """The status and HTML page answering one request."""
        if path not in ("/feedback", "/unsubscribe"):
            return 404, page("Not found", "There is nothing here.")
        config = self.configs.get(query.get("b", ""))
        if config is None or config.delivery.links is None:
            return 403, page("Invalid link", "This link is not valid.")
        secret = config.delivery.links.secret.get_secret_value()
        stamp = Stamp.parse(query)
        if stamp is None:
            return 403, page("Invalid link", "This link is not valid.")
        dated = (str(stamp.sequence), str(stamp.expires))
        if path == "/unsubscribe":
            recipient = query.get("r", "")
            signed = valid(
                secret, query.get("t", ""), "unsubscribe", config.business.id, recipient, *dated
            )
            if not signed:
                return 403, page("Invalid link", "This link is not valid.")
            if stamp.expired(self.clock()):
                return 410, page("Link expired", _EXPIRED)
            if method == "GET":
                return 200, _form("Unsubscribe", f"Stop emails to {recipient}?", "Unsubscribe")
            opt_out(self.engine, config.business.id, recipient, self.clock())
            log.info("unsubscribed business=%s action=opted_out", config.business.id)
            return 200, page("Unsubscribed", f"{recipient} will get no more Busywork emails.")
        finding, action = query.get("f", ""), query.get("a", "")
        signed = valid(
            secret, query.get("t", ""), "feedback", config.business.id, finding, action, *dated
        )
        if not signed or action not in FEEDBACK_ACTIONS:
            return 403, page("Invalid link", "This link is not valid.")
        if stamp.expired(self.clock()):
            return 410, page("Link expired", _EXPIRED)
        if method == "GET":
            return 200, self._confirm(config, finding, action)
        try:
            until = date.fromisoformat(form["until"]) if action == "snooze" else None
            record_feedback(
                self.engine,
                config.business.id,
                finding,
                action,
                until=until,
                now=self.clock(),
                source="link",
                sequence=stamp.sequence,
            )
        except (KeyError, ValueError):
            return 400, page("Not recorded", "Please choose a date to snooze until.")
        except SupersededError:
            return 409, page("Not recorded", _SUPERSEDED)
        except FeedbackError as exc:
            return 400, page("Not recorded", str(exc))
        log.info("feedback business=%s id=%s action=%s", config.business.id, finding, action)
        return 200, page("Thank you", "Your answer is recorded.")

    def _confirm(self, config: AppConfig, finding: str, action: str) -> str:
        with self.engine.connect() as connection:
            stored = connection.execute(
                sa.select(FINDINGS.c.candidate).where(
                    FINDINGS.c.business == config.business.id, FINDINGS.c.id == finding
                )
            ).scalar()
        title = (stored or {}).get("title", finding)
        extra = ""
        if action == "snooze":
            default = (self.clock() + DEFAULT_SNOOZE).date().isoformat()
            extra = (
                f'<p><label>Until <input type="date" name="until" value="{default}"></label></p>'
            )
        return _form(_VERBS[action], title, _VERBS[action], extra)


def page(title: str, text: str, body: str = "") -> str:
    """A minimal, escaped HTML page."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head>"
        '<body style="font-family:sans-serif;max-width:560px;margin:2em auto;padding:0 1em;">'
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>{body}</body></html>"
    )


def _form(title: str, text: str, button: str, extra: str = "") -> str:
    return page(
        title, text, f'<form method="post">{extra}<button>{html.escape(button)}</button></form>'
    )
