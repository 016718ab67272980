"""Sales.Rocks `page`/`size` paging read until an empty page.

The API documents no maximum `size` and no total. A server that quietly answers fewer rows
than asked (a cap below `page_size`) makes every page look like the last one, so a short
page cannot be taken for the end: only an empty page ends a read. That costs one request
per read (the empty page) when the last page is short.

When a short page is followed by more rows, the server caps `size` at that short page's
length: the stream remembers the cap (:class:`PageCap`) and asks for that size from then
on, so that later reads page in the server's real steps and the kit's paging guards (an
empty page right after a full one is asked again) count "full" right.
"""

from __future__ import annotations

import threading
import typing as t

from singer_sdk.pagination import PageNumberPaginator

if t.TYPE_CHECKING:
    import logging

    import requests


class PageCap:
    """The largest page a server was seen to answer, shared by a stream and its worker
    copies (they copy the reference, not the object)."""

    def __init__(self) -> None:
        self.size: int | None = None
        self._lock = threading.Lock()

    def learn(self, size: int, logger: logging.Logger, stream: str, asked: int) -> bool:
        """Record a cap of ``size`` rows; True when it is new (smaller than any before)."""
        with self._lock:
            if self.size is not None and self.size <= size:
                return False
            self.size = size
        logger.info(
            "%s: the server answers at most %d rows per page (asked %d); reading on with "
            "size %d (set 'page_size' to %d to skip this step)",
            stream,
            size,
            asked,
            size,
            size,
        )
        return True


class UntilEmptyPaginator(PageNumberPaginator):
    """`page` from 1; the read ends at an empty page (the SDK stops there), never at a
    short one. A short page followed by a non-empty one teaches ``cap`` the server's size."""

    def __init__(self, size: int, cap: PageCap, on_cap: t.Callable[[int, int], None]) -> None:
        super().__init__(start_value=1)
        self.size = size
        self.cap = cap
        self._on_cap = on_cap
        self._short: int | None = None  # rows of the previous page, if it was short

    def has_more(self, response: requests.Response) -> bool:
        count = _rows(response)
        if self._short is not None and count:
            self._on_cap(self._short, self.size)  # more rows after a short page: a cap
        self._short = count if 0 < count < self.size else None
        return True  # an empty page stops the SDK's loop before it asks again


def _rows(response: requests.Response) -> int:
    body = getattr(response, "_outreach_body", None)
    data = body.get("data") if isinstance(body, dict) else None
    return len(data) if isinstance(data, list) else 0
