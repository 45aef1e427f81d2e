from __future__ import annotations

import pytest

from connectors.paging import (
    CursorPaginator,
    KeysetPaginator,
    NextLinkPaginator,
    OffsetPaginator,
    PageNumberPaginator,
    PaginationLoopError,
)


def test_offset_paginator_moves_by_page_size_and_stops_on_a_short_page() -> None:
    pager = OffsetPaginator(100, start_param="STARTPOSITION", size_param="MAXRESULTS")
    assert pager.params() == {"STARTPOSITION": 1, "MAXRESULTS": 100}
    pager.advance(100)
    assert pager.params() == {"STARTPOSITION": 101, "MAXRESULTS": 100}
    pager.advance(7)
    assert pager.done


def test_page_number_paginator_stops_on_short_or_empty_page() -> None:
    pager = PageNumberPaginator(100)
    assert pager.params() == {"page": 1}
    pager.advance(100)
    assert pager.params() == {"page": 2}
    pager.advance(0)
    assert pager.done


def test_cursor_paginator_follows_last_id_while_has_more() -> None:
    pager = CursorPaginator()
    assert pager.params() == {}
    pager.advance("in_3", has_more=True)
    assert pager.params() == {"starting_after": "in_3"}
    pager.advance("in_6", has_more=False)
    assert pager.done


def test_cursor_paginator_refuses_a_repeated_token() -> None:
    pager = CursorPaginator(start_after="in_3")
    pager.advance("in_6", has_more=True)
    with pytest.raises(PaginationLoopError, match="in_3"):
        pager.advance("in_3", has_more=True)


def test_next_link_paginator_refuses_a_link_seen_before() -> None:
    pager = NextLinkPaginator("https://x.test/a")
    pager.advance("https://x.test/b")
    assert pager.url == "https://x.test/b"
    with pytest.raises(PaginationLoopError):
        pager.advance("https://x.test/a")
    done = NextLinkPaginator("https://x.test/a")
    done.advance(None)
    assert done.done


def bound(ms: int) -> str:
    return str(ms // 1000)  # one bound per second, like an If-Modified-Since header


def test_keyset_paginator_moves_the_bound_after_a_full_page() -> None:
    pager = KeysetPaginator(3, None, bound=bound)
    assert (pager.window, pager.page, pager.offset) == (None, 1, 1)
    pager.advance(3, 5_000)
    assert (pager.window, pager.page) == ("5", 1)
    pager.advance(3, 9_000)
    assert (pager.window, pager.page) == ("9", 1)
    pager.advance(1, 9_500)
    assert pager.done
    assert pager.since == 9_500


def test_keyset_paginator_pages_within_one_bound() -> None:
    pager = KeysetPaginator(3, 5_000, bound=bound)
    pager.advance(3, 5_900)  # a whole page within the same second: the bound cannot move
    assert (pager.window, pager.page, pager.offset) == ("5", 2, 4)
    pager.advance(3, 6_100)
    assert (pager.window, pager.page) == ("6", 1)
