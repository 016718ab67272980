"""Sales.Rocks `page`/`size` paging, checked where a page is short.

The API documents no maximum `size` and no total. A page with fewer rows than asked is the
end of the list, or a server's silent cap below `page_size`. A cap may step its offsets by
the capped size (page 2 then starts where page 1 stopped) or by the size asked (page 2 then
starts past rows no page holds): so a short page ends the pass's pages, and the row right
after it is asked alone (`size` 1, below any cap; see ``PagedStream.last_page_end_moved``).
None there: the list ends, and that request stands in for the closing empty page a read
would otherwise ask. A row there: the list goes on past the short page. If the stream had
already been answered a larger page, the list grew during the read; otherwise the short
page shows the server's cap, which the stream remembers (:class:`~outreach_kit.pagecap.
PageCap`), logs and asks for from then on. Either way the list is read again, so no row is
skipped; a cap learned wrongly (a list that grew right at its end) costs requests, never
rows.
"""

from __future__ import annotations

import json
import typing as t
from dataclasses import dataclass

from singer_sdk.pagination import PageNumberPaginator, SinglePagePaginator

from outreach_kit.passes import page_end

if t.TYPE_CHECKING:
    import requests

    from outreach_kit.pagecap import PageCap


#: Rows asked per page unless `page_size` says otherwise: the tap's largest. Each page after
#: the first costs a one-row check of the previous page's end (see ``PassPaginator``), so
#: large pages keep both requests and checks few; a server that caps pages lower is
#: detected (:class:`~outreach_kit.pagecap.PageCap`).
DEFAULT_PAGE_SIZE = 1000


class PassPaginator(PageNumberPaginator):
    """The pages of one pass over a list, `page` from 1, until an empty page or a short one:
    how many had rows, and the last row of the latest one (its id, None for a row without
    one; whether the page was full), whose position the pass checks once the next page is
    in (see ``PagedStream.read_in_passes``)."""

    def __init__(self, size: int, page_cap: PageCap) -> None:
        super().__init__(start_value=1)
        self.size = size
        self.page_cap = page_cap
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
        #: A short last page: (rows it held, rows asked); None when the pages ended empty.
        self.short: tuple[int, int] | None = None
        #: Whether the stream had been answered a page larger than the short one before it.
        self.larger_seen = False

    def has_more(self, response: requests.Response) -> bool:
        rows, self.last_id = page_end(response)
        page, size = asked(response)  # as sent: a cap learned mid-pass changes the size
        self.last_position = (page - 1) * size + rows - 1
        self.last_full = rows >= size
        self.pages += 1
        larger_before = self.page_cap.seen(rows)
        if rows < size:  # an empty page never gets here: the read loop stops at it
            self.short = (rows, size)
            self.larger_seen = larger_before > rows
            return False
        return True


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
