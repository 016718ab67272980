"""Reading a paged list again when it moved during the read.

Offset paging (SalesBlink `limit`/`skip`, Sales.Rocks `page`/`size`) shifts when rows are
deleted before the page being read: an unread row moves back onto a page already read, and
the pass never sees it. On a full-table stream with table versions, the ACTIVATE_VERSION
after that "complete" read retires the live row it missed. Each vendor's paging checks its
own page ends (how depends on what its paging can ask); this reads the list again, pass
after pass, until one pass finds it standing still, giving each row once.
"""

from __future__ import annotations

import typing as t

from outreach_kit.errors import VendorAPIError

if t.TYPE_CHECKING:
    import logging

    import requests
    from singer_sdk.helpers.types import Context

_P = t.TypeVar("_P")

#: Warning tally entry: a page end whose row came without an id, so not checked.
UNCHECKED_PAGE_END = (
    "page end(s) not checked for rows deleted during the read: the row there came without an id"
)

#: Response attribute set by ``PassReads.parse_response``: (rows on the page, the last
#: row's id or None), taken before the rows are yielded (they change afterwards).
PAGE_END = "_outreach_page_end"


def page_end(response: requests.Response) -> tuple[int, t.Any]:
    """(rows on the page, its last row's id or None) of a response read by a pass."""
    return getattr(response, PAGE_END, (0, None))  # type: ignore[no-any-return]


#: One pass over a list with a new paginator: yields rows, returns whether the list moved
#: (or, as text, why the list is read again, e.g. "grew while it was read").
ReadPass = t.Callable[[_P], t.Generator[dict, None, "bool | str"]]


class PassReads:
    """Mixin for a paged stream whose passes end early when its paging sees the list move."""

    vendor: str
    name: str
    logger: logging.Logger
    #: Passes over a list that keeps changing before giving up with an error.
    max_passes = 5
    #: The field that identifies a row, compared at page ends.
    row_key = "id"

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        """The page's rows; their count and the last one's id go with the response (see
        :func:`page_end`) for the paginator, which checks the page end with them."""
        rows = list(super().parse_response(response))  # type: ignore[misc]
        setattr(response, PAGE_END, (len(rows), self.row_id(rows[-1]) if rows else None))
        return rows

    def row_id(self, row: t.Any) -> t.Any:
        """A row's id as page ends compare it (None: the row has none)."""
        if type(row) is not dict:
            return None
        return self.key_value(row.get(self.row_key))  # type: ignore[attr-defined]

    def read_in_passes(self, context: Context | None, read_pass: ReadPass) -> t.Iterator[dict]:
        """The rows of ``read_pass`` over as many passes as it takes the list to stand still
        (at most ``max_passes``, then a clear error: a run never ends on a moving read)."""
        subject = self.read_subject(context)
        for attempt in range(1, self.max_passes + 1):
            moved = yield from read_pass(self.pass_paginator(context))
            if not moved:
                return  # every page end held: the pass read the list as it stands
            self.logger.info(
                "%s: %s %s (pass %d); reading it again",
                self.name,
                subject,
                moved if isinstance(moved, str) else "changed while it was read",
                attempt,
            )
        raise VendorAPIError(
            f"{self.vendor} {subject} kept changing during {self.max_passes} consecutive "
            "reads (rows moved between the pages of each read, so a read could have missed "
            "some); run the sync again when it is quieter."
        )

    def pass_paginator(self, context: Context | None) -> t.Any:
        """The paginator of one pass over the partition (default: the SDK hook's)."""
        return self.get_new_paginator()  # type: ignore[attr-defined]

    def read_subject(self, context: Context | None) -> str:
        """What a pass reads, for messages."""
        return f"'{self.name}'"
