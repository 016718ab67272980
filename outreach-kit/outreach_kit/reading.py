"""What one read carries from request to request, as explicit objects instead of stream
attributes: a stream may be read by several threads at once (see
:mod:`outreach_kit.concurrency`), so nothing about a read in progress lives on the stream.

- :class:`PageGuard`: the paging guards of one read (a sequence of pages from the first).
- :data:`REREAD`: marks a page read again after its body broke off part-way.
- :class:`OnePage`: a paginator for exactly one request with a given token, for streams
  that drive their own requests (time windows, a feed's pages): the token is a small
  frozen value that ``get_url_params`` / ``prepare_request_payload`` read.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from singer_sdk.pagination import BaseAPIPaginator

from outreach_kit.errors import PageRecheckError

if t.TYPE_CHECKING:
    import requests

_T = t.TypeVar("_T")


class _Reread:
    """The type of :data:`REREAD`."""

    def __repr__(self) -> str:
        return "REREAD"


#: Yielded by ``request_pages`` before the records of a page asked again because its body
#: broke off part-way (:class:`~outreach_kit.errors.BrokenBodyError`): what follows repeats
#: records already given, which ``request_records`` skips (or passes on where they changed).
REREAD = _Reread()


class OnePage(BaseAPIPaginator[_T]):
    """One request, for ``token`` (e.g. a frozen window or page value); no more."""

    def __init__(self, token: _T) -> None:
        super().__init__(token)

    def has_more(self, response: requests.Response) -> bool:
        """Never: the caller asks for the next page with a new token."""
        return False

    def get_next(self, response: requests.Response) -> None:
        """No next token (see ``has_more``)."""
        return


@dataclass
class PageGuard:
    """The paging guards of one read: an empty page right after a full one is asked again
    once before it ends the read (some APIs answer a transient empty page, and taking it
    for the end loses the rest), and so is an empty first page of a full-table read (taken
    as "nothing there", it would retire every row of the partition: see
    :mod:`outreach_kit.versions`)."""

    #: Whether the previous page was full (a next page was expected).
    previous_full: bool = False
    #: Whether the empty page now being judged was already asked again.
    rechecked: bool = False
    #: Whether no page of this read was judged yet.
    first: bool = True

    def check(
        self,
        response: requests.Response,
        count: int | None,
        *,
        page_size: int,
        versioned: bool,
        vendor: str,
        path: str,
    ) -> bool:
        """Judge a page of ``count`` records (None: an empty body, no JSON at all); raise
        a retriable error to ask an empty page again; return True when this empty page,
        asked again, ends the read."""
        records = count or 0
        # An empty body (no JSON at all) is no page: the shape check judges it, not this.
        first = self.first and versioned and count is not None
        self.first = False
        if records == 0 and (self.previous_full or first) and not self.rechecked:
            self.rechecked = True
            where = "right after a full one" if self.previous_full else "as the first page"
            raise PageRecheckError(
                f"{vendor} answered an empty page on {path} {where}; asking again to be "
                "sure there is nothing more",
                response,
            )
        ended = records == 0 and self.previous_full
        self.rechecked = False
        self.previous_full = records >= page_size
        return ended
