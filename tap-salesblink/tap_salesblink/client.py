"""SalesBlink base streams: raw-key auth, `{success, message}` envelopes, limit/skip paging."""

from __future__ import annotations

import typing as t
from importlib import resources

from singer_sdk.authenticators import APIKeyAuthenticator
from singer_sdk.pagination import BaseAPIPaginator
from singer_sdk.schema.source import SchemaDirectory, StreamSchema

from outreach_kit.client import OutreachStream
from outreach_kit.passes import UNCHECKED_PAGE_END, PassReads
from outreach_kit.reading import REREAD, PageGuard

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context

SCHEMAS = resources.files(__package__) / "schemas"
#: The largest page the API allows for `limit` (lists, leads, sequences) and `per_page`.
MAX_PAGE_SIZE = 100


class SalesBlinkStream(OutreachStream):
    """Any SalesBlink endpoint: the key goes raw into the Authorization header."""

    vendor = "SalesBlink"
    credential_settings = "api_key"
    extra_property = "extra"
    schema = StreamSchema(SchemaDirectory(SCHEMAS))  # schemas/<stream name>.json

    @property
    def authenticator(self) -> APIKeyAuthenticator:
        return APIKeyAuthenticator(
            key="Authorization", value=str(self.config["api_key"]), location="header"
        )

    def envelope_error(self, body: t.Any) -> str | None:
        """A 200 with `{"success": false, "message": ...}` is an error."""
        if isinstance(body, dict) and body.get("success") is False:
            return str(body.get("message") or "the response said success: false")
        return None

    def auth_error_message(self, response: requests.Response) -> str:
        return (
            f"SalesBlink rejected the API key (HTTP {response.status_code}) while reading "
            f"'{self.name}'. Check the 'api_key' setting: copy a current key from SalesBlink's "
            "Account Settings > Integrations (the key is sent as is, without 'Bearer')."
        )


class PublicStream(SalesBlinkStream):
    """The current public API under `/public/v1.0.0`."""

    @property
    def url_base(self) -> str:
        return f"{super().url_base}/public/v1.0.0"


class LegacyStream(SalesBlinkStream):
    """The older API under `/api` (campaigns, prospects, team); off by default."""

    selected_by_default = False
    records_jsonpath = "$.data[*]"


class OverlapPaginator(BaseAPIPaginator[int]):
    """`skip` from 0; after a full page, the next starts at that page's last row (`skip` +
    rows - 1), so the row read last comes back first (see :class:`PagedPublicStream`). A
    page shorter than `limit` is the last."""

    def __init__(self, page_size: int = MAX_PAGE_SIZE) -> None:
        super().__init__(start_value=0)
        self.page_size = page_size
        #: Pages with records read so far.
        self.pages = 0
        #: The ids of the latest page's rows, as sent (None for a row without one).
        self.page_ids: list[t.Any] = []
        #: Whether the read saw the list move: the pass must be read again.
        self.moved = False

    def has_more(self, response: requests.Response) -> bool:
        self.page_ids = getattr(response, PAGE_IDS, [])
        self.pages += 1
        return len(self.page_ids) >= self.page_size

    def get_next(self, response: requests.Response) -> int:
        return (self.current_value or 0) + len(self.page_ids) - 1

    def judge(self, first: t.Any) -> str:
        """What the first row (its id) of a page after the first says about the list:
        ``"overlap"`` (the previous page's last row, where it was: drop it), ``"shifted"``
        (a row of the previous page: rows were inserted before it, so what follows
        repeats; nothing is missed) or ``"moved"`` (a row not read yet: rows before it
        went, and any number of unread rows may have moved behind the read), or
        ``"unchecked"`` (neither row has an id to compare)."""
        last = self.page_ids[-1] if self.page_ids else None
        if first is None and last is None:
            return "unchecked"
        if first == last:
            return "overlap"
        if first is not None and first in self.page_ids:
            return "shifted"
        return "moved"


#: Response attribute: the ids of the page's rows as sent (see ``parse_response``).
PAGE_IDS = "_salesblink_page_ids"


class PagedPublicStream(PassReads, PublicStream):
    """Public list endpoints paged with `limit`/`skip` (full table, with table versions).

    `skip` is a record offset, which shifts when rows are deleted during the read: a row
    deleted before the page being read moves an unread row back onto a page already read,
    and the table version would then retire that live row (a missed list takes its leads).
    So pages overlap by one row: each page after a full one starts at the previous page's
    last row, which must come back first. If it does, it is dropped. If a row of the
    previous page comes first instead, rows were inserted: the repeats are dropped and
    nothing is missed. Anything else (a row not read yet, or an empty page where the
    overlap row belonged) means rows went behind the read: the list is read again (passes,
    see :class:`~outreach_kit.passes.PassReads`), each row given once. The overlap costs no
    request: a list of R >= 100 rows takes (R - 100) // 99 + 2 pages.
    """

    page_size = MAX_PAGE_SIZE

    def get_new_paginator(self) -> OverlapPaginator:
        return OverlapPaginator(MAX_PAGE_SIZE)

    def get_url_params(self, context: dict | None, next_page_token: int | None) -> dict:
        return {"limit": MAX_PAGE_SIZE, "skip": next_page_token or 0}

    def read_records(self, context: Context | None) -> t.Iterable[dict]:
        emitted: set[t.Any] = set()
        key_value = self.key_value

        def read_pass(paginator: OverlapPaginator) -> t.Generator[dict, None, bool]:
            for row in self.request_records(context, paginator, PageGuard()):
                key = key_value(row["id"])  # the kit rejects rows without one
                if key not in emitted:
                    emitted.add(key)
                    yield row
            return paginator.moved

        yield from self.read_in_passes(context, read_pass)

    def request_pages(
        self, context: Context | None, paginator: BaseAPIPaginator | None, guard: PageGuard
    ) -> t.Iterator[t.Any]:
        """The kit's pages, each page's first row judged against the previous page's end
        (:meth:`OverlapPaginator.judge`): the overlap row dropped, a moved list ending the
        pass early (``paginator.moved``)."""
        pages = super().request_pages(context, paginator, guard)
        if not isinstance(paginator, OverlapPaginator):
            yield from pages
            return
        judged = 0  # pages whose next page's first row was judged
        for record in pages:
            if record is REREAD:  # the page is asked again: its first row comes again
                judged = paginator.pages - 1
            elif judged < paginator.pages:
                judged = paginator.pages
                verdict = paginator.judge(self._row_id(record))
                if verdict == "overlap":
                    continue
                if verdict == "moved":
                    paginator.moved = True
                    return
                if verdict == "unchecked":  # given on: the kit rejects it (again)
                    self._tap.tally.add(self.name, UNCHECKED_PAGE_END)
            yield record
        if paginator.pages and not paginator.finished:  # empty where the overlap row was
            paginator.moved = True

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        """The page's rows; their ids go with the response (for :class:`OverlapPaginator`),
        taken now: the rows change once they are yielded."""
        rows = list(super().parse_response(response))
        setattr(response, PAGE_IDS, [self._row_id(row) for row in rows])
        return rows

    def _row_id(self, row: t.Any) -> t.Any:
        return self.key_value(row.get("id")) if type(row) is dict else None
