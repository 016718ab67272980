"""SalesBlink base streams: raw-key auth, `{success, message}` envelopes, limit/skip paging."""

from __future__ import annotations

import typing as t
from importlib import resources

from singer_sdk.authenticators import APIKeyAuthenticator
from singer_sdk.pagination import BaseAPIPaginator
from singer_sdk.schema.source import SchemaDirectory, StreamSchema

from outreach_kit.client import OutreachStream
from outreach_kit.pagecap import PageCap
from outreach_kit.passes import UNCHECKED_PAGE_END, PassReads
from outreach_kit.reading import REREAD, PageGuard
from tap_salesblink.paging import ROWS_SAID, OverlapPaginator

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


class PagedPublicStream(PassReads, PublicStream):
    """Public list endpoints paged with `limit`/`skip` (full table, with table versions).

    `skip` is a record offset, which shifts when rows are deleted during the read: a row
    deleted before the page being read moves an unread row back onto a page already read,
    and the table version would then retire that live row (a missed list takes its leads).
    So pages overlap by one row: each page after a full one starts at the previous page's
    last row, which must come back first. If it does, it is dropped. Anything else (another
    row, or an empty page where the overlap row belonged) means the list moved before the
    read position: rows went, or came (new, or moved up from beyond the read): the list is
    read again (passes, see :class:`~outreach_kit.passes.PassReads`), each row given once.
    The overlap costs no request: a list of R >= 100 rows takes (R - 100) // 99 + 2 pages.
    A short page that could be a server's silent cap is checked (:mod:`.paging`).
    """

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.page_cap = PageCap()

    @property
    def page_size(self) -> int:  # type: ignore[override]
        """Rows that make a full page: `limit`, or fewer once the server showed a cap."""
        return self.page_cap.bound(MAX_PAGE_SIZE)

    def get_new_paginator(self) -> OverlapPaginator:
        return self.pass_paginator(None)

    def pass_paginator(self, context: Context | None) -> OverlapPaginator:
        """A pass's pages, knowing how many rows the parent said the list holds."""
        total = (context or {}).get(ROWS_SAID)
        return OverlapPaginator(MAX_PAGE_SIZE, self.page_cap, self._capped, total)

    def _capped(self, rows: int, asked: int) -> None:
        self.page_cap.learn(rows, asked, self.logger, self.name)

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
                verdict = paginator.judge(self.row_id(record))
                if verdict == "overlap":
                    continue
                if verdict == "moved":
                    paginator.moved = True
                    return
                if verdict == "unchecked":  # given on: the kit rejects it (again)
                    self._tap.tally.add(self.name, UNCHECKED_PAGE_END)
            yield record
        if paginator.ended_early:  # an empty page where the overlap row was due
            paginator.moved = True
