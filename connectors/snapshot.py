"""Feeds read whole on every poll: deletions are the ids that stopped coming back.

Some vendor lists have no "changed since" filter and no change feed (QuickBooks
``RecurringTransaction``, Xero ``RepeatingInvoices``). They are small (a business has tens
of templates, not thousands), so each poll reads them completely, the upsert's content
hash turns an unchanged object into a no-op, and the ids of the last *complete* read are
kept in the connector's cursor: an id missing from the next complete read was deleted at
the source. A read that stops half-way changes nothing, so a crash never deletes records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class Snapshot:
    """The ids of one feed: those of the last complete read, and those seen in this one."""

    def __init__(self, cursor: Mapping[str, Any] | None, key: str) -> None:
        self.key = key
        known = (cursor or {}).get(key)
        #: None until a first complete read has been recorded.
        self.known: tuple[str, ...] | None = None if known is None else tuple(known)
        self.seen: dict[str, None] = {}

    def add(self, ids: Iterable[str]) -> None:
        """Record ids returned by this read (deleted-status objects included)."""
        self.seen.update(dict.fromkeys(ids))

    def vanished(self) -> list[str]:
        """Ids of the last complete read that this complete read did not return."""
        if self.known is None:
            return []
        return [ident for ident in self.known if ident not in self.seen]

    def carry(self, cursor: Mapping[str, Any]) -> dict[str, Any]:
        """``cursor`` with the last complete read's ids (a read still in progress)."""
        return dict(cursor) if self.known is None else {**cursor, self.key: list(self.known)}

    def complete(self, cursor: Mapping[str, Any], live: Iterable[str]) -> dict[str, Any]:
        """``cursor`` recording this read as complete, keeping only the ``live`` ids."""
        return {**cursor, self.key: sorted(dict.fromkeys(live))}
