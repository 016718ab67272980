"""Sales.Rocks `page`/`size` paging read until an empty page.

The API documents no maximum `size` and no total. A server that quietly answers fewer rows
than asked (a cap below `page_size`) makes every page look like the last one, so a short
page cannot be taken for the end: only an empty page ends a read. That costs one request
per read (the empty page) when the last page is short.

Two pages in a row with the same number of rows, fewer than asked, show such a cap: the
stream remembers it (:class:`~outreach_kit.pagecap.PageCap`), logs it, and asks for that
size from then on, so that the kit's paging guard (an empty page right after a full one is
asked again) counts a capped page as full. A list that merely grew during the read would
not repeat a short count, and a cap learned wrongly costs requests, never rows.
"""

from __future__ import annotations

import json
import typing as t
from dataclasses import dataclass

from singer_sdk.pagination import PageNumberPaginator, SinglePagePaginator

from outreach_kit.passes import page_end

if t.TYPE_CHECKING:
    import requests


#: Rows asked per page unless `page_size` says otherwise: the tap's largest. Each page after
#: the first costs a one-row check of the previous page's end (see ``PassPaginator``), so
#: large pages keep both requests and checks few; a server that caps pages lower is
#: detected (:class:`~outreach_kit.pagecap.PageCap`).
DEFAULT_PAGE_SIZE = 1000


class UntilEmptyPaginator(PageNumberPaginator):
    """`page` from 1; the read ends at an empty page (the SDK stops there), never at a
    short one. Two short pages of the same length in a row teach ``cap`` the server's size."""

    def __init__(self, size: int, on_cap: t.Callable[[int, int], None]) -> None:
        super().__init__(start_value=1)
        self.size = size
        self._on_cap = on_cap
        self._previous = 0  # rows of the previous page

    def has_more(self, response: requests.Response) -> bool:
        count, _ = page_end(response)
        if 0 < count < self.size and count == self._previous:
            self._on_cap(count, self.size)
        self._previous = count
        return True  # an empty page stops the read loop before it asks again


class PassPaginator(UntilEmptyPaginator):
    """The pages of one pass over a list: how many had rows, and the last row of the latest
    one (its id, None for a row without one; whether the page was full), whose position
    the pass checks once the next page is in (see ``PagedStream.read_in_passes``)."""

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        #: Pages with rows read so far.
        self.pages = 0
        #: The id of the latest page's last row.
        self.last_id: str | None = None
        #: That row's position in the list (0-based), from the page and size asked.
        self.last_position = -1
        #: Whether the latest page had as many rows as asked.
        self.last_full = False
        #: Pages whose last row was checked.
        self.checked = 0

    def has_more(self, response: requests.Response) -> bool:
        rows, self.last_id = page_end(response)
        page, size = asked(response)  # as sent: a cap learned mid-pass changes the size
        self.last_position = (page - 1) * size + rows - 1
        self.last_full = rows >= size
        self.pages += 1
        return super().has_more(response)


@dataclass(frozen=True)
class BoundaryProbe:
    """Paging token of a request for the one row at ``position`` (0-based) of a list."""

    position: int


class ProbePaginator(SinglePagePaginator):
    """One request, for the row a :class:`BoundaryProbe` names."""

    def __init__(self, probe: BoundaryProbe) -> None:
        super().__init__()
        self._value = probe  # type: ignore[assignment]


def asked(response: requests.Response) -> tuple[int, int]:
    """The `page` and `size` a request asked for."""
    body = json.loads(response.request.body or b"{}")
    return int(body.get("page") or 1), int(body.get("size") or 1)
