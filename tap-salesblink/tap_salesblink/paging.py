"""SalesBlink `limit`/`skip` paging with pages that overlap by one row.

`skip` is a record offset, so each page after a full one can start at the previous page's
last row: that row coming back first shows nothing moved behind the read (see
``PagedPublicStream`` in :mod:`tap_salesblink.client`), at no extra request.

A page shorter than `limit` ends the read, which assumes the server answers `limit` rows
whenever it has them (100, the documented maximum). A server that quietly answered fewer
(a cap) would make every page look like the last one. So a short page is checked, by asking
the next page as usual (from the short page's last row: at the end of a list it holds that
row alone), when it could be a cap's: when the read has fewer rows than the list is said to
hold (a list's `contacts_count`), or, where no count is known (`lists`, `sequences`), when
no longer page came from the endpoint in this run. More than that one row shows the cap
(:class:`~outreach_kit.pagecap.PageCap`): logged, and pages of its size count as full from
then on. So a run checks `lists` and `sequences` once each, and a list's leads only when
they fall short of its count (a cap, or leads deleted since the list was read).
"""

from __future__ import annotations

import typing as t

from singer_sdk.pagination import BaseAPIPaginator

from outreach_kit.passes import page_end

if t.TYPE_CHECKING:
    import requests

    from outreach_kit.pagecap import PageCap

#: Child context field: how many rows the parent says the partition holds.
ROWS_SAID = "contacts_count"


def rows_said(value: t.Any) -> int | None:
    """A parent's count of its rows as an int (None unless a whole number >= 0)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


class OverlapPaginator(BaseAPIPaginator[int]):
    """`skip` from 0; after a full page (or a short page being checked), the next starts at
    that page's last row (`skip` + rows - 1), so the row read last comes back first."""

    def __init__(
        self,
        page_size: int,
        cap: PageCap,
        on_cap: t.Callable[[int, int], None],
        total: int | None = None,
    ) -> None:
        super().__init__(start_value=0)
        self.page_size = page_size
        self.cap = cap
        self._on_cap = on_cap
        #: Rows the list is said to hold (None: not known).
        self.total = total
        #: Pages with records read so far.
        self.pages = 0
        #: Rows on the latest page, and its last row's id as sent (None: it had none).
        self.rows = 0
        self.last_id: t.Any = None
        #: Whether the read saw the list move: the pass must be read again.
        self.moved = False
        #: Rows of the short page whose end the latest page checks (0: none).
        self.checking = 0

    def has_more(self, response: requests.Response) -> bool:
        self.rows, self.last_id = page_end(response)
        self.pages += 1
        rows = self.rows
        checked, self.checking = self.checking, 0
        if checked and rows > 1:  # more than the short page's last row: it was capped
            self._on_cap(checked, self.page_size)
        largest = self.cap.seen(rows)
        if rows >= self.cap.bound(self.page_size):
            return True
        if rows > 1 and self._maybe_capped(rows, largest):
            self.checking = rows
            return True
        return False

    def _maybe_capped(self, rows: int, largest: int) -> bool:
        """Whether a short page of ``rows`` could be a cap's rather than the list's end."""
        if self.total is not None:
            return (self.current_value or 0) + rows < self.total  # short of the count
        return rows >= largest  # no longer page came from the endpoint yet

    def get_next(self, response: requests.Response) -> int:
        return (self.current_value or 0) + self.rows - 1

    def judge(self, first: t.Any) -> str:
        """What the first row (its id) of a page after the first says about the list:
        ``"overlap"`` (the previous page's last row, where it was: drop it), ``"unchecked"``
        (neither row has an id to compare) or ``"moved"``. Any other row there means the
        list moved before the read position: rows went (unread rows moved behind the read)
        or came (new ones, or, the API's order being undocumented (`sortBy` exists, its
        default does not say), rows moved up from beyond the read, which it would miss)."""
        if first is None and self.last_id is None:
            return "unchecked"
        return "overlap" if first == self.last_id else "moved"

    @property
    def ended_early(self) -> bool:
        """Whether the read stopped on an empty page where at least the overlap row was
        due (after a full page, or one being checked): rows went behind the read."""
        return self.pages > 0 and not self.finished
