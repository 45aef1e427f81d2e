"""Paginators: small objects that say which page to ask for next, and refuse to loop.

A paginator starts at its first page (``params()``), is told what each page held
(``advance(...)``) and is ``done`` when there is nothing more. Every paginator remembers the
tokens it has moved to and raises :class:`PaginationLoopError` if a vendor hands the same
token, offset or link back: a paging bug must stop the poll, not fetch forever.

* :class:`OffsetPaginator`: 1-based start position + page size (QuickBooks STARTPOSITION).
* :class:`PageNumberPaginator`: page=1, 2, … until a short page (Xero).
* :class:`CursorPaginator`: ``starting_after=<last id>`` while ``has_more`` (Stripe).
* :class:`NextLinkPaginator`: follow the next URL the vendor gives (Graph, Calendly).
* :class:`KeysetPaginator`: a "changed since" bound moved up to the last record after each
  full page, page numbers only while a whole page shares one bound (Xero, QuickBooks).
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import Any

from busywork.errors import FatalError


class PaginationLoopError(FatalError):
    """The vendor returned a page token that was already used."""


class Paginator(abc.ABC):
    """Base class: tracks the current position and the positions already visited."""

    def __init__(self) -> None:
        self.done = False
        self._seen: set[str] = set()

    @abc.abstractmethod
    def params(self) -> dict[str, Any]:
        """Request parameters for the current page."""

    def _move(self, token: object) -> None:
        """Go to ``token`` (None: finished); a token seen before is a loop."""
        if token is None:
            self.done = True
            return
        key = repr(token)
        if key in self._seen:
            raise PaginationLoopError(f"pagination loop: the page token {key} came back")
        self._seen.add(key)


class OffsetPaginator(Paginator):
    """``start`` (1-based) and ``size``; a page shorter than ``size`` is the last."""

    def __init__(
        self, size: int, *, start: int = 1, start_param: str = "start", size_param: str = "size"
    ) -> None:
        super().__init__()
        self.size = size
        self.position = start
        self._start_param = start_param
        self._size_param = size_param
        self._move(start)

    def params(self) -> dict[str, Any]:
        """The start position and page size."""
        return {self._start_param: self.position, self._size_param: self.size}

    def advance(self, count: int) -> None:
        """Record that the current page held ``count`` items."""
        if count < self.size:
            self._move(None)
            return
        self.position += count
        self._move(self.position)


class PageNumberPaginator(Paginator):
    """``page=N`` from ``start``; a page shorter than ``size`` (or empty) is the last."""

    def __init__(self, size: int, *, start: int = 1, page_param: str = "page") -> None:
        super().__init__()
        self.size = size
        self.page = start
        self._page_param = page_param
        self._move(start)

    def params(self) -> dict[str, Any]:
        """The page number."""
        return {self._page_param: self.page}

    def advance(self, count: int) -> None:
        """Record that the current page held ``count`` items."""
        if count < self.size or count == 0:
            self._move(None)
            return
        self.page += 1
        self._move(self.page)


class CursorPaginator(Paginator):
    """``starting_after=<id of the last item>`` while the vendor says there is more."""

    def __init__(self, *, start_after: str | None = None, param: str = "starting_after") -> None:
        super().__init__()
        self.token = start_after
        self._param = param
        if start_after is not None:
            self._move(start_after)

    def params(self) -> dict[str, Any]:
        """The cursor parameter, once past the first page."""
        return {} if self.token is None else {self._param: self.token}

    def advance(self, last_id: str | None, *, has_more: bool) -> None:
        """Record the last item's id and whether more pages follow."""
        if not has_more or last_id is None:
            self._move(None)
            return
        self.token = last_id
        self._move(last_id)


class NextLinkPaginator(Paginator):
    """Follows the absolute next-page URL the vendor returns (its query string included)."""

    def __init__(self, first_url: str) -> None:
        super().__init__()
        self.url = first_url
        self._move(first_url)

    def params(self) -> dict[str, Any]:
        """No parameters: the link carries them."""
        return {}

    def advance(self, next_url: str | None) -> None:
        """Record the next link (None or empty: the last page)."""
        if not next_url:
            self._move(None)
            return
        self.url = next_url
        self._move(next_url)


class KeysetPaginator(Paginator):
    """Pages through records ordered by their change time, with a moving lower bound.

    After a full page the bound moves up to the last record's change time and the page
    number goes back to 1, so records edited during a long read cannot shift the pages
    under the reader and be skipped. Only when the bound cannot move (a whole page changed
    within one bound, e.g. one second) does the page number grow.

    Args:
        size: records per full page.
        since: the change time (any orderable key, e.g. epoch ms) to start from; None: all.
        page: the 1-based page within that bound (from a saved cursor).
        bound: renders a key as the bound sent to the vendor; two keys with the same
            rendering are the same bound.
    """

    def __init__(
        self, size: int, since: Any, page: int = 1, *, bound: Callable[[Any], str]
    ) -> None:
        super().__init__()
        self.size = size
        self.since = since
        self.page = page
        self._bound = bound
        self._move((self.window, page))

    @property
    def window(self) -> str | None:
        """The bound sent with the current request, or None for everything."""
        return None if self.since is None else self._bound(self.since)

    @property
    def offset(self) -> int:
        """The 1-based position of the page's first record within the bound."""
        return (self.page - 1) * self.size + 1

    def params(self) -> dict[str, Any]:
        """The page number (where the bound goes is the vendor's business)."""
        return {"page": self.page}

    def advance(self, count: int, last_key: Any) -> None:
        """Record a page of ``count`` records, the last of which changed at ``last_key``."""
        moved = False
        if last_key is not None and (self.since is None or last_key > self.since):
            moved = self.since is None or self._bound(last_key) != self.window
            self.since = last_key
        if count < self.size:
            self.page = 1
            self._move(None)
            return
        self.page = 1 if moved else self.page + 1
        self._move((self.window, self.page))
