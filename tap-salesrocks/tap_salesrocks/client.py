"""Sales.Rocks base stream: POST with JSON bodies, one shared bearer token, page/size paging."""

from __future__ import annotations

import typing as t
from importlib import resources

from singer_sdk import SchemaDirectory, StreamSchema
from singer_sdk.exceptions import RetriableAPIError

from outreach_kit.client import OutreachStream
from outreach_kit.errors import AuthenticationError
from outreach_kit.pagecap import PageCap
from outreach_kit.passes import UNCHECKED_PAGE_END, PassReads
from outreach_kit.reading import PageGuard
from tap_salesrocks.paging import (
    DEFAULT_PAGE_SIZE,
    BoundaryProbe,
    PassPaginator,
    ProbePaginator,
)

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context

    from tap_salesrocks.auth import SalesRocksAuthenticator

SCHEMAS = resources.files(__package__) / "schemas"


class TokenRejectedError(RetriableAPIError):
    """A 401 on a data call: the token is dropped and the request retried once."""


class SalesRocksStream(OutreachStream):
    """Any Sales.Rocks data endpoint."""

    vendor = "Sales.Rocks"
    credential_settings = "username"
    http_method = "POST"
    records_jsonpath = "$.data[*]"
    extra_property = "extra"
    schema = StreamSchema(SchemaDirectory(SCHEMAS))

    @property
    def authenticator(self) -> SalesRocksAuthenticator:
        """The tap's single authenticator: one token shared by every stream."""
        return self._tap.authenticator  # type: ignore[attr-defined,no-any-return]

    def key_value(self, value: t.Any) -> t.Any:
        """Ids come as Mongo extended JSON: ``{"$oid": "..."}`` is keyed by the id inside."""
        return super().key_value(object_id(value))

    def validate_response(self, response: requests.Response) -> None:
        """401: log in again and retry; a fresh token refused right after a login is fatal."""
        auth = self.authenticator
        sent = response.request.headers.get("Authorization")
        if response.status_code == 401:
            if not auth.reject(sent):
                raise AuthenticationError(
                    f"Sales.Rocks rejected a fresh access token for user '{auth.username}' "
                    f"(HTTP 401) on '{self.name}'. The account may lack API access; check the "
                    "'username' and 'password' settings."
                )
            raise TokenRejectedError(f"Sales.Rocks rejected the access token on '{self.name}'")
        super().validate_response(response)
        auth.accepted(sent)

    def auth_error_message(self, response: requests.Response) -> str:
        return (
            f"Sales.Rocks refused user '{self.authenticator.username}' access to '{self.name}' "
            f"(HTTP {response.status_code}). Check the 'username' and 'password' settings and "
            "that the account may use the API."
        )

    def envelope_error(self, body: t.Any) -> str | None:
        """`{"status": "error", ...}` or `{"error": {...}}` in a 200 is an error."""
        if isinstance(body, dict):
            if isinstance(body.get("error"), dict):
                return str(body["error"].get("message") or body["error"])
            if body.get("status") not in (None, "success"):
                return str(body.get("message") or f"status {body.get('status')!r}")
        return None

    def retry_wait(self, exc: BaseException, attempt: int) -> float:
        if isinstance(exc, TokenRejectedError):
            return 0.0  # a new token is all it takes
        return super().retry_wait(exc, attempt)


class PagedStream(PassReads, SalesRocksStream):
    """Endpoints paged with `page`/`size` in the JSON body, read until an empty page or a
    short one followed by no row (no maximum `size` is documented: see
    :mod:`tap_salesrocks.paging`).

    Page/size paging shifts when rows are inserted or deleted during the read, anywhere
    before the page being read. A deletion there moves one unread row back onto a page
    already read: the pass never sees it, and the table version of a full-table read then
    retires that live row (a skipped list takes its rows with it). So every page end is
    checked once the next page is in (and the last full page's once the closing empty page
    is): the row at the previous page's last position, asked alone (`size` 1), must still
    be the one read there (an insertion moves it too). If the list moved, it is read again
    until a pass sees it still (:class:`~outreach_kit.passes.PassReads`); rows are
    de-duplicated by id within the sync, so nothing is lost or given twice.
    """

    #: The field that identifies a row, read at page ends.
    row_key = "uuid"

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.page_cap = PageCap()

    @property
    def page_size(self) -> int:  # type: ignore[override]
        """Rows asked per page: `page_size`, or less once the server was seen to cap it."""
        return self.page_cap.bound(int(self.config.get("page_size") or DEFAULT_PAGE_SIZE))

    def get_new_paginator(self) -> PassPaginator:
        return PassPaginator(self.page_size, self.page_cap)

    def prepare_request_payload(self, context: dict | None, next_page_token: t.Any) -> dict:
        if isinstance(next_page_token, BoundaryProbe):  # one row, at its position
            return {"page": next_page_token.position + 1, "size": 1}
        return {"page": next_page_token or 1, "size": self.page_size}

    def read_records(self, context: Context | None) -> t.Iterable[dict]:
        emitted: set[t.Any] = set()

        def read_pass(paginator: PassPaginator) -> t.Generator[dict, None, bool | str]:
            for row in self.request_records(context, paginator, PageGuard()):
                if self.page_end_moved(context, paginator):
                    return True
                key = row.get(self.row_key)
                if key not in emitted:  # the kit rejects rows without one
                    emitted.add(key)
                    yield row
            return self.last_page_end_moved(context, paginator)

        yield from self.read_in_passes(context, read_pass)

    def page_end_moved(self, context: Context | None, paginator: PassPaginator) -> bool:
        """On each row: at the first row of a page after the first, whether the previous
        page's last row left its position (see the class docstring)."""
        if paginator.pages <= paginator.checked:
            return False
        paginator.checked = paginator.pages
        return not self._page_end_holds(context, paginator)

    def last_page_end_moved(self, context: Context | None, paginator: PassPaginator) -> bool | str:
        """Once the pass's pages ended: after a full last page (then an empty one), whether
        its last row moved; after a short one, whether the list goes on past it (see
        :mod:`tap_salesrocks.paging`), a cap learned if it shows one."""
        if paginator.short is None:
            return paginator.last_full and not self._page_end_holds(context, paginator)
        # Not a first page: an empty answer is the end, as the closing empty page would be.
        if not self._rows_at(context, paginator.last_position + 1, first=False):
            return False  # nothing after the short page: the list ends there
        if paginator.larger_seen:
            return "grew while it was read (a row came after its short last page)"
        rows, asked = paginator.short
        self.page_cap.learn(
            rows,
            asked,
            self.logger,
            self.name,
            f"asking for {rows} from now on (the 'page_size' setting can say so)",
        )
        return f"went on past a page the server cut short at {rows} rows"

    def row_id(self, row: t.Any) -> str | None:
        """A row's id as plain text (Mongo's `{"$oid": ...}` unwrapped); None without one."""
        return plain_id(row.get(self.row_key)) if type(row) is dict else None

    def _page_end_holds(self, context: Context | None, paginator: PassPaginator) -> bool:
        """Whether the last row of the pass's latest page still sits at its position (one
        request of one row, with paging guards of its own). A row without an id, read
        there or answered now, cannot be checked: the page end counts as held, and is
        counted in the run's warnings (the row itself was rejected)."""
        if paginator.last_id is not None:
            found = self._rows_at(context, paginator.last_position)
            if len(found) != 1:
                return False  # the list is shorter now: rows before the page end went
            now = self.row_id(found[0])
            if now is not None:
                return now == paginator.last_id
        self._tap.tally.add(self.name, UNCHECKED_PAGE_END)
        return True

    def _rows_at(self, context: Context | None, position: int, *, first: bool = True) -> list:
        """The row at ``position`` (0-based) asked alone: `size` 1, below any server cap; an
        empty list past the list's end. ``first``: whether an empty answer counts as a
        read's first page, asked again once before it is believed (see PageGuard)."""
        probe = ProbePaginator(BoundaryProbe(position))
        return list(self.request_records(context, probe, PageGuard(first=first)))


def object_id(value: t.Any) -> t.Any:
    """Mongo's extended JSON ``{"$oid": "..."}`` as the id inside; any other value as is."""
    if isinstance(value, dict) and "$oid" in value:
        return value["$oid"]
    return value


def plain_id(value: t.Any) -> str | None:
    """`{"$oid": "..."}` (or a bare string) to the plain id string; None when missing."""
    if type(value) is dict:  # the usual shape, once per row: no further calls
        inner = value.get("$oid")
        if type(inner) is str and inner:
            return inner
    value = object_id(value)
    if isinstance(value, dict):  # an object without `$oid`: no id
        return None
    return str(value) if value is not None and value != "" else None
